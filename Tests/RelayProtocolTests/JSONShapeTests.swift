import Foundation
import Testing
@testable import RelayProtocol

/// The streaming shape check: one pass over the bytes, refusing what is not JSON or past a limit.
@Suite struct JSONShapeTests {
    static func nested(_ depth: Int, open: String = "[", close: String = "]", inner: String = "") -> String {
        String(repeating: open, count: depth) + inner + String(repeating: close, count: depth)
    }

    static let accepted: [String] = [
        "{}", "[]", "0", "-0", "1.5e-3", "-12.25E+2", "true", "false", "null", #""""#,
        #" { "type" : "bid" , "amount" : 120 } "#,
        #"{"a":[1,{"b":[true,false,null]},"x\"\\\/\b\f\n\r\t\u00e9\uD83D\uDE00"]}"#,
        "\t\r\n[ ]\n",
        nested(32),
        #"{"x":"# + nested(31) + "}",
        #"{"s":""# + String(repeating: "a", count: 65_536) + #""}"#,
        "[" + Array(repeating: "0", count: 256).joined(separator: ",") + "]",
        "1" + String(repeating: "0", count: 31),
        #"{"name":"é"}"#,
    ]

    @Test(arguments: accepted) func acceptsJSONWithinTheLimits(_ text: String) {
        #expect(JSONShape.check(text.utf8) == nil)
    }

    static let refused: [(String, JSONShapeViolation.Kind)] = [
        ("", .syntax), (" ", .syntax), ("{", .syntax), ("[1,]", .syntax), ("[,1]", .syntax), ("{,}", .syntax),
        (#"{"a"}"#, .syntax), (#"{"a":}"#, .syntax), (#"{"a":1,}"#, .syntax), (#"{a:1}"#, .syntax),
        ("[1 2]", .syntax), ("{} {}", .syntax), ("01", .syntax), ("1.", .syntax), (".5", .syntax), ("1e", .syntax),
        ("-", .syntax), ("+1", .syntax), ("0x10", .syntax), ("NaN", .syntax), ("Infinity", .syntax),
        ("tru", .syntax), ("nul", .syntax), ("nulll", .syntax), ("True", .syntax),
        (#""abc"#, .syntax), (#""\x""#, .syntax), (#""\u12G4""#, .syntax), (#""\u123""#, .syntax),
        ("\"a\u{01}b\"", .syntax), ("\"tab\there\"", .syntax), ("[1]]", .syntax), ("{]", .syntax), ("[}", .syntax),
        ("'a'", .syntax), ("[1,2", .syntax), ("\u{FEFF}{}", .syntax),
        (nested(33), .tooDeep),
        (#"{"type":"lobby","x":"# + nested(500) + "}", .tooDeep),
        (#"{"x":"# + nested(32, open: #"{"a":"#, close: "}", inner: "1") + "}", .tooDeep),
        (#"{"s":""# + String(repeating: "a", count: 65_537) + #""}"#, .stringTooLong),
        ("{\"" + String(repeating: "k", count: 65_537) + "\":1}", .stringTooLong),
        ("[" + Array(repeating: "0", count: 257).joined(separator: ",") + "]", .tooManyEntries),
        ("{" + (0..<257).map { "\"k\($0)\":0" }.joined(separator: ",") + "}", .tooManyEntries),
        ("[" + Array(repeating: "[" + Array(repeating: "0", count: 200).joined(separator: ",") + "]", count: 6).joined(separator: ",") + "]",
         .tooManyValues),
        ("1" + String(repeating: "0", count: 32), .numberTooLong),
        ("1e" + String(repeating: "4", count: 40), .numberTooLong),
    ]

    @Test(arguments: refused) func refusesWhatIsNotJSONOrPastALimit(_ text: String, _ kind: JSONShapeViolation.Kind) {
        let violation = JSONShape.check(text.utf8)
        #expect(violation?.kind == kind, "\(text.prefix(60))")
    }

    @Test func namesTheLimitInItsMessage() {
        #expect(JSONShape.check(Self.nested(33).utf8)?.message == "JSON nested deeper than 32 levels")
        #expect(JSONShape.check(("[" + String(repeating: "0,", count: 256) + "0]").utf8)?.message
            == "more than 256 keys or elements in one JSON object or array")
        #expect(JSONShape.check("[1,]".utf8)?.message == "not valid JSON: a value expected at byte 3")
    }

    @Test func stopsWhereTheLimitIsPassed() {
        // The deep prefix is refused at the 33rd bracket, however much follows.
        let text = Self.nested(33) + String(repeating: "x", count: 10_000)
        #expect(JSONShape.check(text.utf8)?.offset == 32)
    }

    @Test func refusesInvalidBytesOutsideStringsAndChecksEveryInputKind() {
        #expect(JSONShape.check([0x7B, 0xFF, 0x7D] as [UInt8])?.kind == .syntax)
        #expect(JSONShape.check(Data("{}".utf8)) == nil)
        #expect(JSONShape.check("[1]".utf8.dropFirst()) != nil)
        #expect(JSONShape.isObject("  {\"a\":1}".utf8))
        #expect(!JSONShape.isObject(" [1]".utf8))
    }
}

/// `JSONValue`'s own parser: the values the shape check accepts, built in the same pass.
@Suite struct JSONValueParsingTests {
    @Test func buildsEveryKindOfValue() throws {
        let value = try JSONValue(parsing: #"{"a":[1,-2.5,true,false,null],"b":{"c":"d"},"e":1e3}"#.utf8)
        #expect(value == .object([
            "a": .array([.number(1), .number(-2.5), .bool(true), .bool(false), .null]),
            "b": .object(["c": .string("d")]),
            "e": .number(1000),
        ]))
    }

    @Test(arguments: [
        (#""plain""#, "plain"),
        (#""q\"b\\s\/""#, "q\"b\\s/"),
        (#""\b\f\n\r\t""#, "\u{08}\u{0C}\n\r\t"),
        (#""\u00e9\u00C9""#, "éÉ"),
        (#""\uD83D\uDE00""#, "😀"),
        (#""\uD83Dx""#, "\u{FFFD}x"),
        (#""\uDE00\uD83D""#, "\u{FFFD}\u{FFFD}"),
        (#""a\u0301""#, "a\u{0301}"),
        (#""ünï""#, "ünï"),
    ])
    func decodesStringsAndEscapes(_ text: String, _ expected: String) throws {
        #expect(try JSONValue(parsing: text.utf8) == .string(expected))
    }

    @Test func refusesNumbersADoubleCannotHold() throws {
        #expect(throws: JSONShapeViolation.self) { try JSONValue(parsing: "1e400".utf8) }
        #expect(throws: JSONShapeViolation.self) { try JSONValue(parsing: "[-1e400]".utf8) }
        #expect(try JSONValue(parsing: "10000000000000000".utf8) == .number(1e16))
    }

    @Test func appliesItsLimits() {
        #expect(throws: JSONShapeViolation.self) { try JSONValue(parsing: JSONShapeTests.nested(33).utf8) }
        #expect((try? JSONValue(parsing: JSONShapeTests.nested(32).utf8)) != nil)
    }

    @Test func aDuplicateKeyKeepsTheLastValue() throws {
        #expect(try JSONValue(parsing: #"{"a":1,"a":2}"#.utf8) == .object(["a": .number(2)]))
    }

    @Test func integersUpToTwoToThe53StayIntegersOnTheWire() {
        #expect(WireJSON.encode(JSONValue.array([.number(9_007_199_254_740_991), .number(-3), .number(0.5), .number(1e300)]))
            == "[9007199254740991,-3,0.5,1e+300]")
        #expect(JSONValue.number(9_007_199_254_740_991).intValue == 9_007_199_254_740_991)
        #expect(JSONValue.number(1e300).intValue == nil)
    }

    @Test func roundTripsWhatTheWireWrites() throws {
        let value = JSONValue.object(["games": .array([.object(["game": .string("ABC234"), "names": .array([.string("Zoë \"Z\"")])])]),
                                      "n": .number(3), "x": .null])
        #expect(try JSONValue(parsing: WireJSON.encode(value).utf8) == value)
    }

    /// Objects are built at their end from their fields in order: a repeated key keeps its last
    /// value, nested and empty objects come out whole.
    @Test func aRepeatedKeyKeepsItsLastValue() throws {
        let parsed = try JSONValue(parsing: Array(#"{"a":1,"b":{"c":[{},{"d":2,"d":3}]},"a":{"e":null}}"#.utf8))
        #expect(parsed == .object(["a": .object(["e": .null]), "b": .object(["c": .array([.object([:]), .object(["d": .number(3)])])])]))
    }
}
