import Foundation

/// `JSONPatch.diff` over two JSON texts in `JSONOutput`'s form (keys sorted by their bytes, no
/// whitespace), without building either value: the authority diffs every state message it
/// publishes against the one before, and parsing both into `JSONValue`s (dictionaries of hashed
/// keys) and walking those cost more than the rest of a command.
///
/// In that form two values are equal exactly when their bytes are, so an unchanged member is found
/// by skipping it in the old text and comparing its bytes with the new text's at the same place;
/// only what differs is walked. Objects are walked in step, their keys being sorted; an op's value
/// is the new text's bytes. Sizes are the bytes written: an object's or array's inner ops are
/// written, then replaced by one `replace` of the whole when that is not bigger.
///
/// Texts are not trusted to be in that form: every index is checked, keys out of order or a
/// structure that does not close are refused (no ops), and values written differently but equal
/// (`1.0` and `1`) are merely replaced.
struct JSONTextDiff {
    private let old: UnsafeBufferPointer<UInt8>
    private let new: UnsafeBufferPointer<UInt8>
    /// The ops so far, each followed by a comma.
    private var out: [UInt8] = []
    private var count = 0
    /// The JSON Pointer of the value in hand, its tokens escaped (RFC 6901).
    private var pointer: [UInt8] = []

    /// A text not in the form this diff reads, or not JSON.
    struct Unreadable: Error {}

    /// Deeper than any state; the walk recurses once per level.
    static let maximumDepth = 64

    private init(old: UnsafeBufferPointer<UInt8>, new: UnsafeBufferPointer<UInt8>) {
        self.old = old
        self.new = new
        out.reserveCapacity(1024)
        pointer.reserveCapacity(64)
    }

    /// The ops that turn `old` into `new`, comma-separated (a JSON array's contents), and how many;
    /// nil when either text cannot be read.
    static func diff(old: UnsafeBufferPointer<UInt8>, new: UnsafeBufferPointer<UInt8>) -> (ops: [UInt8], count: Int)? {
        var diff = JSONTextDiff(old: old, new: new)
        do throws(Unreadable) {
            let ends = try diff.value(0, 0, depth: 0)
            guard ends.old == old.count, ends.new == new.count else { return nil }
        } catch {
            return nil
        }
        if diff.count > 0 { diff.out.removeLast() }
        return (diff.out, diff.count)
    }

    // MARK: - The walk

    /// Writes the ops that turn the old text's value at `o` into the new text's at `n`; returns
    /// where each ends.
    private mutating func value(_ o: Int, _ n: Int, depth: Int) throws(Unreadable) -> (old: Int, new: Int) {
        guard depth < Self.maximumDepth, o < old.count, n < new.count else { throw Unreadable() }
        let kinds = (old[o], new[n])
        if kinds.0 == kinds.1, kinds.0 == .openObject || kinds.0 == .openArray {
            // Compared while skipped, up to the first byte that differs: a container that differs
            // (the state, then the member that changed, ...) is not skipped whole before its walk,
            // at every level (the walk finds where it ends).
            if let end = Self.endIfSame(old, from: o, new, at: n) { return (end, n + end - o) }
            return try walk(o, n, depth: depth)
        }
        let oldEnd = try Self.skip(old, from: o)
        let length = oldEnd - o
        if n + length <= new.count, memcmp(old.baseAddress! + o, new.baseAddress! + n, length) == 0 {
            // A number or literal may be the start of a longer one ("12" of "123"); an object, an
            // array or a string ends where its bytes do.
            let first = old[o]
            if first == .openObject || first == .openArray || first == .quote || n + length == new.count || new[n + length].endsMember {
                return (oldEnd, n + length)
            }
        }
        let newEnd = try Self.skip(new, from: n)
        write("replace", value: n..<newEnd)
        return (oldEnd, newEnd)
    }

    /// Two containers of one kind that differ: their inner ops, or one replace of the whole new
    /// value when that is not bigger.
    private mutating func walk(_ o: Int, _ n: Int, depth: Int) throws(Unreadable) -> (old: Int, new: Int) {
        let start = out.count, countBefore = count
        let ends = old[o] == .openObject ? try object(o, n, depth: depth) : try array(o, n, depth: depth)
        let inner = count - countBefore
        // Nothing inside differs (only the way it is written did).
        if inner == 0 { return ends }
        // The inner ops without their commas, against one replace of the whole value.
        if out.count - start - inner < Self.replaceSize(pointer: pointer, valueLength: ends.new - n) { return ends }
        out.removeSubrange(start...)
        count = countBefore
        write("replace", value: n..<ends.new)
        return ends
    }

    /// Both objects' members in step: a key in both is diffed, one only in the old is removed, one
    /// only in the new is added. Removals come first (they name the old object's keys); the rest
    /// follows in key order.
    private mutating func object(_ o: Int, _ n: Int, depth: Int) throws(Unreadable) -> (old: Int, new: Int) {
        var (a, oldEnd) = try Self.firstMember(old, after: o)
        var (b, newEnd) = try Self.firstMember(new, after: n)
        var removals: [UInt8] = []
        var removed = 0
        let start = out.count
        while a != nil || b != nil {
            let order = if let a, let b { Self.compare(old, a, new, b) } else { a != nil ? -1 : 1 }
            let mark = pointer.count
            if order == 0, let this = a, let that = b {
                push(key: that, in: new)
                let ends = try value(this.value, that.value, depth: depth + 1)
                pointer.removeSubrange(mark...)
                (a, oldEnd) = try Self.nextMember(old, after: ends.old, previous: this)
                (b, newEnd) = try Self.nextMember(new, after: ends.new, previous: that)
            } else if order < 0, let this = a {
                let end = try Self.skip(old, from: this.value)
                push(key: this, in: old)
                Self.writeOp("remove", pointer: pointer, value: nil, into: &removals)
                removed += 1
                pointer.removeSubrange(mark...)
                (a, oldEnd) = try Self.nextMember(old, after: end, previous: this)
            } else if let that = b {
                let end = try Self.skip(new, from: that.value)
                push(key: that, in: new)
                write("add", value: that.value..<end)
                pointer.removeSubrange(mark...)
                (b, newEnd) = try Self.nextMember(new, after: end, previous: that)
            }
        }
        if removed > 0 {
            out.insert(contentsOf: removals, at: start)
            count += removed
        }
        return (oldEnd, newEnd)
    }

    /// Elements at the same index are diffed; the new array's extra elements are added, the old
    /// one's removed from the end (so that every index names the element it meant).
    private mutating func array(_ o: Int, _ n: Int, depth: Int) throws(Unreadable) -> (old: Int, new: Int) {
        var (a, oldEnd) = try Self.firstElement(old, after: o)
        var (b, newEnd) = try Self.firstElement(new, after: n)
        var index = 0
        while let this = a, let that = b {
            let mark = pointer.count
            push(index: index)
            let ends = try value(this, that, depth: depth + 1)
            pointer.removeSubrange(mark...)
            (a, oldEnd) = try Self.nextElement(old, after: ends.old)
            (b, newEnd) = try Self.nextElement(new, after: ends.new)
            index += 1
        }
        let common = index
        while let that = b {
            let end = try Self.skip(new, from: that)
            let mark = pointer.count
            push(index: index)
            write("add", value: that..<end)
            pointer.removeSubrange(mark...)
            (b, newEnd) = try Self.nextElement(new, after: end)
            index += 1
        }
        var oldCount = common
        while let this = a {
            (a, oldEnd) = try Self.nextElement(old, after: try Self.skip(old, from: this))
            oldCount += 1
        }
        for index in (common..<oldCount).reversed() {
            let mark = pointer.count
            push(index: index)
            write("remove", value: nil)
            pointer.removeSubrange(mark...)
        }
        return (oldEnd, newEnd)
    }

    // MARK: - Writing ops

    private mutating func write(_ kind: StaticString, value: Range<Int>?) {
        Self.writeOp(kind, pointer: pointer, value: value.map { UnsafeBufferPointer(rebasing: new[$0]) }, into: &out)
        count += 1
    }

    /// `{"op":KIND,"path":POINTER,"value":VALUE},` (`JSONPatch.Operation`'s form, and a comma).
    private static func writeOp(_ kind: StaticString, pointer: [UInt8], value: UnsafeBufferPointer<UInt8>?, into out: inout [UInt8]) {
        append(#"{"op":""#, to: &out)
        append(kind, to: &out)
        append(#"","path":"#, to: &out)
        writeString(pointer, into: &out)
        if let value {
            append(#","value":"#, to: &out)
            out.append(contentsOf: value)
        }
        append("},", to: &out)
    }

    /// The size of `{"op":"replace","path":POINTER,"value":VALUE}`.
    private static func replaceSize(pointer: [UInt8], valueLength: Int) -> Int {
        let head: StaticString = #"{"op":"replace","path":"#, middle: StaticString = #","value":"#
        return head.utf8CodeUnitCount + stringSize(pointer) + middle.utf8CodeUnitCount + valueLength + 1
    }

    private static func append(_ text: StaticString, to out: inout [UInt8]) {
        text.withUTF8Buffer { out.append(contentsOf: $0) }
    }

    /// As `JSONOutput.string` writes it.
    private static func writeString(_ bytes: [UInt8], into out: inout [UInt8]) {
        out.append(.quote)
        for byte in bytes {
            switch byte {
            case .quote, .backslash: out.append(.backslash); out.append(byte)
            case 0x08: out.append(.backslash); out.append(UInt8(ascii: "b"))
            case 0x0C: out.append(.backslash); out.append(UInt8(ascii: "f"))
            case 0x0A: out.append(.backslash); out.append(UInt8(ascii: "n"))
            case 0x0D: out.append(.backslash); out.append(UInt8(ascii: "r"))
            case 0x09: out.append(.backslash); out.append(UInt8(ascii: "t"))
            case 0..<0x20:
                append("\\u00", to: &out)
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0xF)])
            default: out.append(byte)
            }
        }
        out.append(.quote)
    }

    private static func stringSize(_ bytes: [UInt8]) -> Int {
        var size = 2
        for byte in bytes {
            switch byte {
            case .quote, .backslash, 0x08, 0x0C, 0x0A, 0x0D, 0x09: size += 2
            case 0..<0x20: size += 6
            default: size += 1
            }
        }
        return size
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    // MARK: - The pointer

    /// Appends `/` and the key (its JSON escapes decoded, `~` and `/` escaped as RFC 6901 says).
    private mutating func push(key member: Member, in text: UnsafeBufferPointer<UInt8>) {
        pointer.append(UInt8(ascii: "/"))
        let raw = UnsafeBufferPointer(rebasing: text[member.key])
        if member.escaped {
            appendToken(Array(JSONValueBuilder.decodeString(raw, escaped: true).utf8))
        } else {
            appendToken(raw)
        }
    }

    private mutating func appendToken(_ bytes: some Collection<UInt8>) {
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "~"): pointer.append(UInt8(ascii: "~")); pointer.append(UInt8(ascii: "0"))
            case UInt8(ascii: "/"): pointer.append(UInt8(ascii: "~")); pointer.append(UInt8(ascii: "1"))
            default: pointer.append(byte)
            }
        }
    }

    private mutating func push(index: Int) {
        pointer.append(UInt8(ascii: "/"))
        pointer.append(contentsOf: String(index).utf8)
    }

    // MARK: - Reading

    /// An object's member: its key's bytes (between the quotes) and where its value starts.
    private struct Member {
        var key: Range<Int>
        var escaped: Bool
        var value: Int
    }

    /// The object's first member, or nil and where the object ends (`{}`).
    private static func firstMember(_ text: UnsafeBufferPointer<UInt8>, after open: Int) throws(Unreadable) -> (Member?, Int) {
        guard open + 1 < text.count else { throw Unreadable() }
        if text[open + 1] == .closeObject { return (nil, open + 2) }
        return (try member(text, at: open + 1), 0)
    }

    /// The member after the value that ends at `end`, or nil and where the object ends. Keys must
    /// come in ascending order.
    private static func nextMember(_ text: UnsafeBufferPointer<UInt8>, after end: Int, previous: Member) throws(Unreadable) -> (Member?, Int) {
        guard end < text.count else { throw Unreadable() }
        if text[end] == .closeObject { return (nil, end + 1) }
        guard text[end] == .comma else { throw Unreadable() }
        let next = try member(text, at: end + 1)
        guard compare(text, previous, text, next) < 0 else { throw Unreadable() }
        return (next, 0)
    }

    private static func member(_ text: UnsafeBufferPointer<UInt8>, at index: Int) throws(Unreadable) -> Member {
        guard index < text.count, text[index] == .quote else { throw Unreadable() }
        let (end, escaped) = try skipString(text, from: index)
        guard end < text.count - 1, text[end] == .colon else { throw Unreadable() }
        return Member(key: (index + 1)..<(end - 1), escaped: escaped, value: end + 1)
    }

    /// The array's first element, or nil and where the array ends (`[]`).
    private static func firstElement(_ text: UnsafeBufferPointer<UInt8>, after open: Int) throws(Unreadable) -> (Int?, Int) {
        guard open + 1 < text.count else { throw Unreadable() }
        return text[open + 1] == .closeArray ? (nil, open + 2) : (open + 1, 0)
    }

    private static func nextElement(_ text: UnsafeBufferPointer<UInt8>, after end: Int) throws(Unreadable) -> (Int?, Int) {
        guard end < text.count else { throw Unreadable() }
        if text[end] == .closeArray { return (nil, end + 1) }
        guard text[end] == .comma, end + 1 < text.count else { throw Unreadable() }
        return (end + 1, 0)
    }

    /// Keys by their bytes (as `JSONOutput` sorts them), escapes decoded.
    private static func compare(_ a: UnsafeBufferPointer<UInt8>, _ x: Member, _ b: UnsafeBufferPointer<UInt8>, _ y: Member) -> Int {
        let left = UnsafeBufferPointer(rebasing: a[x.key]), right = UnsafeBufferPointer(rebasing: b[y.key])
        guard x.escaped || y.escaped else {
            let common = min(left.count, right.count)
            let order = common == 0 ? 0 : Int(memcmp(left.baseAddress!, right.baseAddress!, common))
            return order != 0 ? order : left.count - right.count
        }
        let l = Array(JSONValueBuilder.decodeString(left, escaped: x.escaped).utf8)
        let r = Array(JSONValueBuilder.decodeString(right, escaped: y.escaped).utf8)
        return l == r ? 0 : l.lexicographicallyPrecedes(r) ? -1 : 1
    }

    /// Where the value at `index` ends. Containers are matched by brackets outside strings (their
    /// members are read when walked); a number or literal runs to the next `,`, `]` or `}`.
    private static func skip(_ text: UnsafeBufferPointer<UInt8>, from index: Int) throws(Unreadable) -> Int {
        guard index < text.count else { throw Unreadable() }
        let first = text[index]
        if first == .quote { return try skipString(text, from: index).end }
        if first == .openObject || first == .openArray {
            var depth = 0
            var at = index
            while at < text.count {
                let byte = text[at]
                if byte == .quote {
                    at = try skipString(text, from: at).end
                    continue
                }
                if byte == .openObject || byte == .openArray {
                    depth += 1
                } else if byte == .closeObject || byte == .closeArray {
                    depth -= 1
                    if depth == 0 { return at + 1 }
                }
                at += 1
            }
            throw Unreadable()
        }
        // A number or literal: no whitespace (not this form) nor structure in it. Its bytes are only
        // compared and copied: the new text's parse by the client checks the rest.
        guard first == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first)
                || first == UInt8(ascii: "t") || first == UInt8(ascii: "f") || first == UInt8(ascii: "n") else { throw Unreadable() }
        var at = index
        while at < text.count {
            let byte = text[at]
            if byte.endsMember { break }
            guard byte > 0x20, byte != .quote, byte != .colon, byte != .openObject, byte != .openArray else { throw Unreadable() }
            at += 1
        }
        return at
    }

    /// Where the container at `o` ends when the new text holds the same bytes at `n` (the same
    /// value, in this form); nil at the first byte that differs, or when it does not close (the
    /// walk then refuses it). Brackets are matched outside strings, as `skip` does.
    private static func endIfSame(_ old: UnsafeBufferPointer<UInt8>, from o: Int, _ new: UnsafeBufferPointer<UInt8>, at n: Int) -> Int? {
        let length = min(old.count - o, new.count - n)
        guard length > 0 else { return nil }
        let a = old.baseAddress! + o, b = new.baseAddress! + n
        var depth = 0
        var inString = false
        var at = 0
        while at < length {
            let byte = a[at]
            guard b[at] == byte else { return nil }
            if inString {
                if byte == .backslash {
                    // The escaped byte is compared, and never ends the string.
                    at += 1
                    guard at < length, b[at] == a[at] else { return nil }
                } else if byte == .quote {
                    inString = false
                }
            } else if byte == .quote {
                inString = true
            } else if byte == .openObject || byte == .openArray {
                depth += 1
            } else if byte == .closeObject || byte == .closeArray {
                depth -= 1
                if depth == 0 { return o + at + 1 }
            }
            at += 1
        }
        return nil
    }

    /// Past the string's closing quote, and whether it has escapes.
    private static func skipString(_ text: UnsafeBufferPointer<UInt8>, from index: Int) throws(Unreadable) -> (end: Int, escaped: Bool) {
        var at = index + 1
        var escaped = false
        while at < text.count {
            let byte = text[at]
            if byte == .backslash {
                escaped = true
                at += 2
            } else if byte == .quote {
                return (at + 1, escaped)
            } else {
                at += 1
            }
        }
        throw Unreadable()
    }
}

private extension UInt8 {
    static let quote = UInt8(ascii: "\"")
    static let backslash = UInt8(ascii: "\\")
    static let openObject = UInt8(ascii: "{")
    static let closeObject = UInt8(ascii: "}")
    static let openArray = UInt8(ascii: "[")
    static let closeArray = UInt8(ascii: "]")
    static let comma = UInt8(ascii: ",")
    static let colon = UInt8(ascii: ":")

    /// What may follow a number or literal.
    var endsMember: Bool { self == .comma || self == .closeObject || self == .closeArray }
}
