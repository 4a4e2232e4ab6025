import Testing
@testable import Benchmarks
import RelayProtocol

/// `monopoly bench parse` measures what its rows say: inputs within the gateway's message size,
/// each accepted or refused as its name claims.
@Suite struct ParseBenchmarkTests {
    @Test func inputsFitAMessageAndEndAsTheirRowsSay() {
        let inputs = Dictionary(uniqueKeysWithValues: ParseBenchmark.inputs.map { ($0.name, $0.text) })
        #expect(inputs.values.allSatisfy { $0.utf8.count <= 64 * 1024 })
        func outcome(_ name: String) -> String? {
            guard let text = inputs[name] else { return nil }
            switch ClientRequest.parse(text) {
            case .success: return "accepted"
            case .failure(let error): return error.message
            }
        }
        #expect(outcome("765 long keys in 3 objects, 64 KiB") == "accepted")
        #expect(outcome("nesting at the limit, spaced to 64 KiB") == "accepted")
        #expect(outcome("1,020 long keys in 4 objects, 64 KiB") == "more than 1024 JSON values in one message")
        #expect(outcome("nesting past the limit, 64 KiB") == "JSON nested deeper than 32 levels")
        #expect(outcome("1 KB nested 500 deep (the attack)") == "JSON nested deeper than 32 levels")
    }

    @Test func theOldPathStillReadsWhatItWasGiven() {
        #expect(LegacyJSONValue.parseMessage(#"{"type":"bid","amount":120}"#)?["type"] != nil)
        #expect(LegacyJSONValue.parseMessage("[1]") == nil)
    }
}
