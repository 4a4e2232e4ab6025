import RelayProtocol

/// The cost of parsing a hostile client message: `ClientRequest.parse` (the shape-checking scanner,
/// then one typed decode) on 64 KiB inputs built to be as expensive as possible within the limits
/// or to pass them, beside the old path (`LegacyJSONValue`) on the same inputs when it finishes in
/// reasonable time.
public enum ParseBenchmark {
    public struct Input: Sendable {
        public var name: String
        public var text: String
        /// Whether the old path is run on it (it takes minutes or more on some).
        public var runLegacy: Bool
    }

    public struct Row: Sendable {
        public var name: String
        public var bytes: Int
        /// "accepted", or the error code and message the client gets.
        public var outcome: String
        public var new: Duration
        public var legacy: Duration?
    }

    public struct Report: Sendable, CustomStringConvertible {
        public var rows: [Row]

        public var description: String {
            var lines = [
                "Client message parse: time per parse, best of runs (new: JSONShape scanner + typed decode; old: JSONDecoder into a try?-per-kind JSONValue)",
                "",
                pad("input", 44) + pad("bytes", 8, right: true) + pad("new", 12, right: true) + pad("old", 12, right: true)
                    + pad("old/new", 10, right: true) + "  outcome",
            ]
            for row in rows {
                let ratio = row.legacy.map { CodecBenchmark.format(CodecBenchmark.seconds($0) / CodecBenchmark.seconds(row.new)) + "x" } ?? "-"
                lines.append(pad(row.name, 44) + pad("\(row.bytes)", 8, right: true) + pad(label(row.new), 12, right: true)
                    + pad(row.legacy.map(label) ?? "not run", 12, right: true) + pad(ratio, 10, right: true) + "  " + row.outcome)
            }
            let worst = rows.filter { $0.bytes >= 60_000 }.map(\.new).max() ?? .zero
            lines.append("")
            lines.append("worst 64 KiB case, new parser: \(label(worst)) (goal: under 1 ms)")
            return lines.joined(separator: "\n")
        }

        private func label(_ duration: Duration) -> String {
            let micros = CodecBenchmark.seconds(duration) * 1e6
            return micros >= 10_000 ? "\(CodecBenchmark.format(micros / 1000)) ms" : "\(CodecBenchmark.format(micros)) µs"
        }

        private func pad(_ text: String, _ width: Int, right: Bool = false) -> String { CodecBenchmark.pad(text, width, right: right) }
    }

    static let size = 64 * 1024

    /// Pads `head`+`tail` with spaces (insignificant whitespace) to exactly `size` bytes.
    static func padded(_ head: String, _ tail: String, to size: Int = size) -> String {
        head + String(repeating: " ", count: max(0, size - head.utf8.count - tail.utf8.count)) + tail
    }

    /// Repeats `unit` (joined by commas) inside `head`...`tail` while the text stays within `size`.
    static func filled(_ head: String, _ unit: String, _ tail: String, count: Int = .max) -> String {
        var parts: [String] = []
        var length = head.utf8.count + tail.utf8.count
        while parts.count < count, length + unit.utf8.count + 1 <= size {
            parts.append(unit)
            length += unit.utf8.count + 1
        }
        return head + parts.joined(separator: ",") + tail
    }

    public static var inputs: [Input] {
        let deep30 = String(repeating: "[", count: 30) + String(repeating: "]", count: 30)
        return [
            Input(name: "typical: bid", text: #"{"type":"bid","amount":120,"id":"c12"}"#, runLegacy: true),
            Input(name: "typical: trade_propose", text: #"{"type":"trade_propose","to":"p2","give":{"cash":50,"properties":[1,3]},"get":{"jail_cards":1},"id":7}"#,
                  runLegacy: true),
            Input(name: "1 KB nested 500 deep (the attack)", text: #"{"type":"lobby","x":"# + String(repeating: "[", count: 500)
                + String(repeating: "]", count: 500) + "}", runLegacy: true),
            Input(name: "nesting at the limit, spaced to 64 KiB", text: padded(#"{"type":"lobby","x":"# + String(repeating: "[", count: 31),
                                                                               String(repeating: "]", count: 31) + "}"), runLegacy: true),
            Input(name: "nesting at the limit, 33 times", text: filled(#"{"type":"lobby","x":["#, deep30, "]}", count: 33),
                  runLegacy: true),
            Input(name: "nesting past the limit, 64 KiB", text: String(repeating: "[", count: size / 2) + String(repeating: "]", count: size / 2),
                  runLegacy: false),
            Input(name: "nesting at the limit repeated to 64 KiB", text: filled(#"{"type":"lobby","x":["#, deep30, "]}"), runLegacy: true),
            Input(name: "many tiny keys, 64 KiB", text: manyTinyKeys(), runLegacy: true),
            Input(name: "1,020 long keys in 4 objects, 64 KiB", text: manyLongKeys(objects: 4), runLegacy: true),
            Input(name: "765 long keys in 3 objects, 64 KiB", text: manyLongKeys(objects: 3), runLegacy: true),
            Input(name: "long escaped string, 64 KiB", text: #"{"type":"chat","text":""# + String(repeating: #"\u00e9"#, count: (size - 26) / 6) + #""}"#,
                  runLegacy: true),
            Input(name: "name: a + combining marks, 64 KiB", text: #"{"type":"create","name":"a"#
                + String(repeating: "\u{0301}", count: (size - 32) / 2) + #""}"#, runLegacy: true),
            Input(name: "1,000 31-digit numbers, spaced to 64 KiB", text: padded(#"{"type":"bid","amount":1,"x":["#
                + Array(repeating: String(repeating: "9", count: 31), count: 1000).joined(separator: ","), "]}"), runLegacy: true),
            Input(name: "huge numbers: 1e400", text: #"{"type":"bid","amount":1e400}"#, runLegacy: true),
        ]
    }

    /// As many distinct keys as fit in one object: refused at the 257th.
    static func manyTinyKeys() -> String {
        var text = #"{"type":"roll""#
        var number = 0
        while text.utf8.count + 16 < size {
            text += #","k\#(number)":0"#
            number += 1
        }
        return text + "}"
    }

    /// Objects of 255 keys of 60 bytes each under one message: 3 stay within every limit (the most
    /// keys an accepted message holds), 4 pass the values limit at the last one.
    static func manyLongKeys(objects: Int) -> String {
        var keyNumber = 0
        func object() -> String {
            "{" + (0..<255).map { _ in
                keyNumber += 1
                return "\"" + String(repeating: "k", count: 52) + String(keyNumber).leftPadded(to: 6) + "\":0"
            }.joined(separator: ",") + "}"
        }
        let fields = (0..<objects).map { #""o\#($0)":"# + object() }.joined(separator: ",")
        return padded(#"{"type":"roll","# + fields, "}")
    }

    /// - Parameters:
    ///   - minimumDuration: each parser repeats an input for at least this long per run.
    ///   - legacyCap: an old-path parse slower than this is timed once, not repeated.
    public static func run(minimumDuration: Duration = .milliseconds(200), runs: Int = 3, legacyCap: Duration = .seconds(1),
                           log: (String) -> Void = { _ in }) -> Report {
        var rows: [Row] = []
        for input in inputs {
            let outcome: String
            switch ClientRequest.parse(input.text) {
            case .success: outcome = "accepted"
            case .failure(let error): outcome = "\(error.code.rawValue): \(error.message.prefix(70))"
            }
            var best = Duration.seconds(1_000)
            for _ in 0..<runs {
                best = min(best, CodecBenchmark.measure(minimumDuration) { _ = ClientRequest.parse(input.text) })
            }
            var legacy: Duration?
            if input.runLegacy {
                let clock = ContinuousClock()
                let once = clock.measure { _ = LegacyJSONValue.parseMessage(input.text) }
                legacy = once
                if once < legacyCap {
                    for _ in 0..<runs {
                        legacy = min(legacy!, CodecBenchmark.measure(minimumDuration) { _ = LegacyJSONValue.parseMessage(input.text) })
                    }
                }
            }
            let row = Row(name: input.name, bytes: input.text.utf8.count, outcome: outcome, new: best, legacy: legacy)
            log("\(row.name): \(row.new)")
            rows.append(row)
        }
        return Report(rows: rows)
    }
}

private extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }

}
