import Foundation
import Monopoly
import Testing
@testable import RelayProtocol

/// RFC 6902 patches as the authority makes them and clients apply them: tables of values (objects,
/// arrays, nulls, removed keys, escaped keys) and of patches that must be refused.
@Suite struct JSONPatchTests {
    static func json(_ text: String) -> JSONValue { try! JSONValue(parsing: Array(text.utf8)) }
    static func ops(_ text: String) -> [JSONPatch.Operation] {
        guard case .array(let values) = json(text) else { fatalError("not an array: \(text)") }
        return values.map { try! JSONPatch.Operation(json: $0) }
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var old: String
        var new: String
        /// The ops `diff` makes, as JSON.
        var patch: String
        var testDescription: String { "\(old) -> \(new)" }
    }

    static let diffs: [Case] = [
        Case(old: #"{"a":1}"#, new: #"{"a":1}"#, patch: "[]"),
        Case(old: #"{"a":1,"b":2}"#, new: #"{"a":1,"b":3}"#, patch: #"[{"op":"replace","path":"/b","value":3}]"#),
        // A key that goes is removed; a key that comes is added; null is a value, not an absence.
        Case(old: #"{"a":1,"gone":{"x":[1,2,3]}}"#, new: #"{"a":1}"#, patch: #"[{"op":"remove","path":"/gone"}]"#),
        Case(old: #"{"a":1}"#, new: #"{"a":1,"b":null}"#, patch: #"[{"op":"add","path":"/b","value":null}]"#),
        Case(old: #"{"a":{"deep":[1,2]},"b":"keep"}"#, new: #"{"a":null,"b":"keep"}"#, patch: #"[{"op":"replace","path":"/a","value":null}]"#),
        Case(old: #"{"a":null,"b":"keep"}"#, new: #"{"a":{"deep":[1,2]},"b":"keep"}"#, patch: #"[{"op":"replace","path":"/a","value":{"deep":[1,2]}}]"#),
        // Arrays: one element changed, elements added at the end, the end removed (last first).
        Case(old: #"{"s":[{"h":0,"o":null},{"h":0,"o":null},{"h":0,"o":null},{"h":0,"o":null}]}"#,
             new: #"{"s":[{"h":0,"o":null},{"h":2,"o":null},{"h":0,"o":null},{"h":0,"o":null}]}"#,
             patch: #"[{"op":"replace","path":"/s/1/h","value":2}]"#),
        Case(old: #"{"t":["alpha","beta","gamma","delta"]}"#, new: #"{"t":["alpha","beta","gamma","delta","epsilon"]}"#,
             patch: #"[{"op":"add","path":"/t/4","value":"epsilon"}]"#),
        Case(old: #"{"t":["alpha","beta","gamma","delta","epsilon"]}"#, new: #"{"t":["alpha","beta","gamma"]}"#,
             patch: #"[{"op":"remove","path":"/t/4"},{"op":"remove","path":"/t/3"}]"#),
        Case(old: #"{"t":[1,2,3]}"#, new: #"{"t":[]}"#, patch: #"[{"op":"replace","path":"/t","value":[]}]"#),
        // Everything changed: one replace is smaller than an op per element.
        Case(old: #"{"e":[{"k":1},{"k":2}]}"#, new: #"{"e":[{"k":3},{"k":4}]}"#, patch: #"[{"op":"replace","path":"/e","value":[{"k":3},{"k":4}]}]"#),
        // Keys with "/" and "~" are escaped in the path (RFC 6901).
        Case(old: #"{"a/b":1,"m~n":1}"#, new: #"{"a/b":2,"m~n":1}"#, patch: #"[{"op":"replace","path":"/a~1b","value":2}]"#),
        Case(old: #"{"a/b":1,"m~n":1}"#, new: #"{"a/b":1,"m~n":2}"#, patch: #"[{"op":"replace","path":"/m~0n","value":2}]"#),
        // Another kind of value, or another document: the whole is replaced (path "").
        Case(old: #"[1,2]"#, new: #"{"a":1}"#, patch: #"[{"op":"replace","path":"","value":{"a":1}}]"#),
        Case(old: #"{"n":1.5,"s":"é\"\\"}"#, new: #"{"n":1764100000.25,"s":"é\"\\"}"#, patch: #"[{"op":"replace","path":"/n","value":1764100000.25}]"#),
    ]

    @Test(arguments: diffs) func diffMakesTheSmallPatchAndItApplies(_ c: Case) throws {
        let old = Self.json(c.old), new = Self.json(c.new)
        let made = JSONPatch.diff(from: old, to: new)
        #expect(made == Self.ops(c.patch))
        #expect(try JSONPatch.apply(made, to: old) == new)
        // And what it writes reads back as the same ops.
        #expect(Self.ops("[" + made.map { JSONOutput.encode($0) }.joined(separator: ",") + "]") == made)
    }

    struct Application: Sendable, CustomTestStringConvertible {
        var document: String
        var patch: String
        var result: String
        var testDescription: String { patch }
    }

    /// What clients must do with patches they did not make themselves (RFC 6902's own examples).
    static let applications: [Application] = [
        Application(document: #"{"foo":["bar","baz"]}"#, patch: #"[{"op":"add","path":"/foo/1","value":"qux"}]"#, result: #"{"foo":["bar","qux","baz"]}"#),
        Application(document: #"{"foo":["bar"]}"#, patch: #"[{"op":"add","path":"/foo/-","value":["abc","def"]}]"#, result: #"{"foo":["bar",["abc","def"]]}"#),
        Application(document: #"{"foo":"bar"}"#, patch: #"[{"op":"add","path":"/foo","value":"replaced by add"}]"#, result: #"{"foo":"replaced by add"}"#),
        Application(document: #"{"foo":"bar","baz":"qux"}"#, patch: #"[{"op":"remove","path":"/baz"}]"#, result: #"{"foo":"bar"}"#),
        Application(document: #"{"a":1}"#, patch: #"[{"op":"add","path":"","value":[null]}]"#, result: #"[null]"#),
        Application(document: #"{"":{"x":1}}"#, patch: #"[{"op":"replace","path":"//x","value":2}]"#, result: #"{"":{"x":2}}"#),
    ]

    @Test(arguments: applications) func appliesRFC6902Ops(_ a: Application) throws {
        #expect(try JSONPatch.apply(Self.ops(a.patch), to: Self.json(a.document)) == Self.json(a.result))
    }

    /// Bad patches are refused, whole: nothing half-applied, no trap.
    static let refused: [(document: String, patch: String)] = [
        (#"{"a":1}"#, #"[{"op":"remove","path":"/b"}]"#),
        (#"{"a":1}"#, #"[{"op":"replace","path":"/b","value":1}]"#),
        (#"{"a":1}"#, #"[{"op":"add","path":"/b/c","value":1}]"#),
        (#"{"a":[1,2]}"#, #"[{"op":"replace","path":"/a/2","value":1}]"#),
        (#"{"a":[1,2]}"#, #"[{"op":"add","path":"/a/3","value":1}]"#),
        (#"{"a":[1,2]}"#, #"[{"op":"remove","path":"/a/-"}]"#),
        (#"{"a":[1,2]}"#, #"[{"op":"replace","path":"/a/01","value":1}]"#),
        (#"{"a":[1,2]}"#, #"[{"op":"replace","path":"/a/-1","value":1}]"#),
        (#"{"a":[1,2]}"#, #"[{"op":"replace","path":"/a/99999999999999999999","value":1}]"#),
        (#"{"a":1}"#, #"[{"op":"replace","path":"/a/x","value":1}]"#),
        (#"{"a":1}"#, #"[{"op":"replace","path":"a","value":1}]"#),
        (#"{"a~2":1}"#, #"[{"op":"replace","path":"/a~2","value":1}]"#),
        (#"{"a~":1}"#, #"[{"op":"replace","path":"/a~","value":1}]"#),
        (#"{"a":1}"#, #"[{"op":"remove","path":""}]"#),
    ]

    @Test func badPatchesAreRefused() throws {
        for (document, patch) in Self.refused {
            #expect(throws: JSONPatch.Failure.self, "\(patch)") { try JSONPatch.apply(Self.ops(patch), to: Self.json(document)) }
        }
        // Ops this subset lacks, or without what they need, are refused when read.
        for op in [#"{"op":"move","from":"/a","path":"/b"}"#, #"{"op":"copy","from":"/a","path":"/b"}"#, #"{"op":"test","path":"/a","value":1}"#,
                   #"{"op":"add","path":"/a"}"#, #"{"op":"replace","path":"/a"}"#, #"{"path":"/a"}"#, #"{"op":"remove","path":7}"#, "[]", "null"] {
            #expect(throws: JSONPatch.Failure.self, "\(op)") { try JSONPatch.Operation(json: Self.json(op)) }
        }
        // A value given to remove is ignored, as RFC 6902 ignores unknown members.
        #expect(try JSONPatch.Operation(json: Self.json(#"{"op":"remove","path":"/a","value":1}"#)) == .init(.remove, "/a"))
    }

    @Test func aPatchMessageAndItsHeader() throws {
        let game = GameID(rawValue: "ABC234")!
        let patch = StatePatch(game: game, seq: 12, base: 11, ops: [.init(.replace, "/seq", .number(12)), .init(.remove, "/x")])
        let text = patch.text
        #expect(text == #"{"type":"patch","game":"ABC234","seq":12,"base":11,"ops":[{"op":"replace","path":"/seq","value":12},{"op":"remove","path":"/x"}]}"#)
        #expect(StatePatch.header(in: Array(text.utf8), game: game) == .init(seq: 12, base: 11))
        #expect(try StatePatch(json: Self.json(text)) == patch)
        // Not a patch of this game, or not in the authority's form: no header (the gateway then
        // treats it as any other payload).
        for other in [text.replacingOccurrences(of: "ABC234", with: "XYZ789"), #"{"type":"patch","game":"ABC234","seq":x,"base":1,"ops":[]}"#,
                      #"{"type":"patch","game":"ABC234","seq":12,"ops":[],"base":11}"#, #"{"type":"patch","game":"ABC234","seq":1234567890123456789,"base":1,"ops":[]}"#,
                      #"{"type":"patch","game":"ABC234","seq":12"#, #"{"type":"patch","game":"ABC234","seq":12,"base":"#, #"{"type":"state","game":"ABC234","seq":12}"#, ""] {
            #expect(StatePatch.header(in: Array(other.utf8), game: game) == nil, "\(other)")
        }
    }
}
