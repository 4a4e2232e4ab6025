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
        // An object is compared while skipped: brackets and escaped quotes in its strings neither
        // end it nor hide a change after them.
        Case(old: #"{"a":{"s":"]}\"{[","t":1},"b":2}"#, new: #"{"a":{"s":"]}\"{[","t":1},"b":3}"#, patch: #"[{"op":"replace","path":"/b","value":3}]"#),
        Case(old: #"{"a":{"s":"]}\"{[","t":1}}"#, new: #"{"a":{"s":"]}\"{[","t":2}}"#, patch: #"[{"op":"replace","path":"/a/t","value":2}]"#),
        Case(old: #"{"a":["x\\\\","]"],"b":[1,5,6]}"#, new: #"{"a":["x\\\\","]"],"b":[2,5,6]}"#, patch: #"[{"op":"replace","path":"/b/0","value":2}]"#),
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

    /// The diff as it was first written (every candidate encoded, every subtree compared): the
    /// counting one must choose the same ops for any pair of documents.
    static func referenceDiff(_ old: JSONValue, _ new: JSONValue, path: String = "", into ops: inout [JSONPatch.Operation]) {
        if old == new { return }
        var inner: [JSONPatch.Operation] = []
        switch (old, new) {
        case (.object(let before), .object(let after)):
            for key in before.keys.sorted() where after[key] == nil { inner.append(.init(.remove, path + "/" + JSONPatch.escape(key))) }
            for key in after.keys.sorted() {
                let child = path + "/" + JSONPatch.escape(key)
                if let previous = before[key] { referenceDiff(previous, after[key]!, path: child, into: &inner) } else { inner.append(.init(.add, child, after[key]!)) }
            }
        case (.array(let before), .array(let after)):
            let common = min(before.count, after.count)
            for index in 0..<common { referenceDiff(before[index], after[index], path: path + "/\(index)", into: &inner) }
            for index in common..<after.count { inner.append(.init(.add, path + "/\(index)", after[index])) }
            for index in (common..<before.count).reversed() { inner.append(.init(.remove, path + "/\(index)")) }
        default:
            ops.append(.init(.replace, path, new))
            return
        }
        let whole = JSONPatch.Operation(.replace, path, new)
        let size = { (op: JSONPatch.Operation) in JSONOutput.encode(op).utf8.count }
        if inner.reduce(0, { $0 + size($1) }) < size(whole) { ops += inner } else { ops.append(whole) }
    }

    @Test func diffChoosesWhatTheReferenceChoosesOnRandomDocuments() throws {
        var generator = SplitMix64(seed: 14)  // the same documents every run
        func leaf() -> JSONValue {
            switch generator.next() % 5 {
            case 0: .null
            case 1: .bool(generator.next() % 2 == 0)
            case 2: .number(Double(Int(generator.next() % 2000) - 1000))
            case 3: .number(Double(generator.next() % 1000) / 8)
            default: .string(["", "a", "bb/c", "~d", "é\"", "long text here"][Int(generator.next() % 6)])
            }
        }
        func document(depth: Int) -> JSONValue {
            guard depth > 0, generator.next() % 4 != 0 else { return leaf() }
            let count = Int(generator.next() % 5)
            if generator.next() % 2 == 0 { return .array((0..<count).map { _ in document(depth: depth - 1) }) }
            return .object(Dictionary(uniqueKeysWithValues: (0..<count).map { ("k\($0)", document(depth: depth - 1)) }))
        }
        func mutated(_ value: JSONValue, depth: Int) -> JSONValue {
            switch (value, generator.next() % 4) {
            case (_, 0): return document(depth: depth)
            case (.array(var values), _):
                for index in values.indices where generator.next() % 3 == 0 { values[index] = mutated(values[index], depth: depth - 1) }
                if generator.next() % 4 == 0 { values.append(leaf()) }
                if generator.next() % 4 == 0, !values.isEmpty { values.removeLast() }
                return .array(values)
            case (.object(var fields), _):
                for key in fields.keys where generator.next() % 3 == 0 { fields[key] = mutated(fields[key]!, depth: depth - 1) }
                if generator.next() % 4 == 0 { fields["new"] = leaf() }
                if generator.next() % 4 == 0, let key = fields.keys.first { fields[key] = nil }
                return .object(fields)
            default: return generator.next() % 2 == 0 ? value : leaf()
            }
        }
        for _ in 0..<2000 {
            let old = document(depth: 4)
            let new = mutated(old, depth: 4)
            var expected: [JSONPatch.Operation] = []
            Self.referenceDiff(old, new, into: &expected)
            let made = JSONPatch.diff(from: old, to: new)
            #expect(made == expected)
            #expect(try JSONPatch.apply(made, to: old) == new)
        }
    }

    /// The states of a played bot game, as the authority writes them (with the events and a seq):
    /// the text diff makes the reference's ops from one to the next, and they make the next.
    @Test func onTheStatesOfAPlayedGameTheTextDiffMakesTheReferenceOps() throws {
        var game = GameState(seed: 7)
        _ = try game.join(name: "Human")
        for k in 1...3 { _ = try game.join(name: "Bot \(k)", bot: true) }
        _ = try game.apply(.start, by: game.host!)
        var previous: String?
        var compared = 0
        while game.phase == .playing, compared < 300 {
            guard let (actor, command) = game.respondents.lazy.compactMap({ p in Bot.nextCommand(for: p, in: game).map { (p, $0) } }).first else { break }
            let events = try game.apply(command, by: actor)
            var out = JSONOutput()
            out.object { o in
                o.field("events", events)
                o.field("seq", compared + 1)
                o.field("state", game.redactedForClients())
            }
            let text = out.text
            if let previous {
                let old = Self.json(previous), new = Self.json(text)
                var expected: [JSONPatch.Operation] = []
                Self.referenceDiff(old, new, into: &expected)
                let made = try #require(JSONPatch.diff(fromText: previous, toText: text))
                let ops = Self.ops("[" + String(decoding: made.ops, as: UTF8.self) + "]")
                #expect(ops == expected)
                #expect(made.count == ops.count)
                #expect(try JSONPatch.apply(ops, to: old) == new)
            }
            previous = text
            compared += 1
        }
        #expect(compared == 300)
    }

    /// Texts not in `JSONOutput`'s form: refused (nil) when the walk cannot read them (keys out of
    /// order or repeated, brackets that do not match, not JSON, nothing), a valid patch otherwise.
    @Test func textsNotInTheWrittenFormAreRefusedOrStillPatchedRight() throws {
        let refused: [(String, String)] = [
            (#"{"b":1,"a":2}"#, #"{"b":1,"a":3}"#), (#"{"a":1,"a":2}"#, #"{"a":1,"a":3}"#), (#"{"a":[1,2}"#, #"{"a":[1,3}"#),
            (#"{"a":1}"#, #"{"a":1"#), (#"{"a":1}"#, #"{"a":1}}"#), ("", "1"), ("1", ""), (#"{"a" :1}"#, #"{"a":2}"#),
            (#"{"a":"x}"#, #"{"a":"y}"#), (#"["\"#, #"["\"#), (#"{"a": 1}"#, #"{"a": 2}"#), (#"[1, 2]"#, #"[1, 3]"#), (#"[ {"a":1}]"#, #"[ {"a":2}]"#), (#"{"a":{"b":[1,{"c":"\u00"}]}}"#, #"{"a":{"b":[1,{"c":"#),
        ]
        for (old, new) in refused { #expect(JSONPatch.diff(fromText: old, toText: new) == nil, "\(old) -> \(new)") }
        let readable: [(String, String)] = [
            (#"{"a":1.0}"#, #"{"a":1}"#), (#"{"a\u0062":1,"c":2}"#, #"{"ab":2,"c":2}"#), (#"[1,2,3]"#, #"[1,2,30]"#),
            (#"{"a":12}"#, #"{"a":123}"#), (#"{"a":"x\"y"}"#, #"{"a":"x\"z"}"#), (#"{"a/b~":{"c":[true]}}"#, #"{"a/b~":{"c":[false]}}"#),
        ]
        for (old, new) in readable {
            let made = try #require(JSONPatch.diff(fromText: old, toText: new), "\(old) -> \(new)")
            let ops = Self.ops("[" + String(decoding: made.ops, as: UTF8.self) + "]")
            #expect(try JSONPatch.apply(ops, to: Self.json(old)) == Self.json(new), "\(old) -> \(new)")
        }
        // Whatever the bytes, no trap: cut and changed texts of a document.
        var generator = SplitMix64(seed: 6902)
        let text = Array(#"{"a":[1,{"b":"c\"d","e":null}],"f":{"g":[true,false,-1.5e3]},"h":"~/"}"#.utf8)
        for _ in 0..<2000 {
            var old = text, new = text
            for _ in 0..<Int(generator.next() % 3) { old[Int(generator.next() % UInt64(old.count))] = UInt8(truncatingIfNeeded: generator.next()) }
            for _ in 0..<Int(generator.next() % 3) { new[Int(generator.next() % UInt64(new.count))] = UInt8(truncatingIfNeeded: generator.next()) }
            if generator.next() % 2 == 0 { new.removeLast(Int(generator.next() % UInt64(new.count))) }
            let made = JSONPatch.diff(fromText: String(decoding: old, as: UTF8.self), toText: String(decoding: new, as: UTF8.self))
            // When both still parse and the diff read them, its ops are valid and make the new one.
            guard let made, let before = try? JSONValue(parsing: old), let after = try? JSONValue(parsing: new) else { continue }
            guard case .array(let values)? = try? JSONValue(parsing: [UInt8(ascii: "[")] + made.ops + [UInt8(ascii: "]")]),
                  let ops = try? values.map({ value throws(JSONPatch.Failure) in try JSONPatch.Operation(json: value) }) else {
                Issue.record("unreadable ops \(String(decoding: made.ops, as: UTF8.self)) for \(String(decoding: new, as: UTF8.self))")
                continue
            }
            #expect(try JSONPatch.apply(ops, to: before) == after)
        }
    }
}
