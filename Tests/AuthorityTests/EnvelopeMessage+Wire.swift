import RelayProtocol
import Testing

extension EnvelopeMessage {
    /// A test's message written as its wire JSON (`["type": "bid", "amount": 120]`), read by the
    /// authority's own decoder; one it cannot read fails the test.
    static func wire(_ object: [String: JSONValue], sourceLocation: SourceLocation = #_sourceLocation) -> EnvelopeMessage {
        do {
            return try JSONValue.object(object).decode(EnvelopeMessage.self)
        } catch {
            Issue.record("not a message: \(object): \(error)", sourceLocation: sourceLocation)
            return .disconnect
        }
    }
}
