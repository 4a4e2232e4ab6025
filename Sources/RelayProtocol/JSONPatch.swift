import Foundation
import Monopoly

/// RFC 6902 JSON Patch, the subset a state patch uses: `add`, `remove` and `replace` (a client
/// that meets `move`, `copy` or `test` refuses the patch). Chosen over RFC 7396 merge patch because
/// that replaces a whole array for one changed element: one square's houses would resend all 40.
///
/// Pure: the authority makes one patch per state against the previous one (`diff`), clients and
/// tests apply it (`apply`); `apply(diff(a, b), to: a) == b` for every pair of values.
public enum JSONPatch {
    public struct Operation: Sendable, Equatable {
        public enum Kind: String, Sendable { case add, remove, replace }
        public var kind: Kind
        /// A JSON Pointer (RFC 6901): "" is the whole document, "/players/0/cash" a value in it.
        public var path: String
        /// Nil for `remove`.
        public var value: JSONValue?

        public init(_ kind: Kind, _ path: String, _ value: JSONValue? = nil) {
            self.kind = kind
            self.path = path
            self.value = value
        }
    }

    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    // MARK: - Making a patch

    /// Operations that turn `old` into `new`. At every object and array the smaller of two patches
    /// is kept: the changes inside it, or one `replace` of the whole value (a state's `events`,
    /// which change entirely, are one replace; its `squares`, of which one changes, are one op).
    ///
    /// The authority runs this for every state it publishes, so it does not encode to compare:
    /// sizes are counted (`encodedSize`), the inner ops' once each, and the whole value's only as
    /// far as the inner ops' size (`boundedSize`); unchanged values are found by the walk itself
    /// (no ops inside), not by comparing each subtree at every level above it. Paths are joined
    /// only for the ops made. (Encoding every candidate op at every level was two thirds of the
    /// authority's instructions per command.)
    public static func diff(from old: JSONValue, to new: JSONValue) -> [Operation] {
        var ops: [Operation] = []
        var path: [String] = []
        _ = diff(old, new, path: &path, into: &ops)
        return ops
    }

    /// Appends the ops that turn `old` into `new` at `path` (its tokens, unescaped) to `ops` and returns
    /// their encoded size with a comma after each (0: the values are equal, no op).
    private static func diff(_ old: JSONValue, _ new: JSONValue, path: inout [String], into ops: inout [Operation]) -> Int {
        var inner: [Operation] = []
        var innerSize = 0
        switch (old, new) {
        case (.object(let before), .object(let after)):
            // Keys are sorted only among those with ops: most of a state's keys keep their values.
            var removed: [String] = []
            for key in before.keys where after[key] == nil { removed.append(key) }
            for key in removed.sorted() {
                path.append(key)
                let op = Operation(.remove, pointer(path))
                path.removeLast()
                innerSize += op.encodedSize + 1
                inner.append(op)
            }
            var changed: [(key: String, ops: [Operation])] = []
            for (key, value) in after {
                path.append(key)
                var ops: [Operation] = []
                if let previous = before[key] {
                    innerSize += diff(previous, value, path: &path, into: &ops)
                } else {
                    let op = Operation(.add, pointer(path), value)
                    innerSize += op.encodedSize + 1
                    ops.append(op)
                }
                path.removeLast()
                if !ops.isEmpty { changed.append((key, ops)) }
            }
            for entry in changed.sorted(by: { $0.key < $1.key }) { inner += entry.ops }
        case (.array(let before), .array(let after)):
            let common = min(before.count, after.count)
            for index in 0..<common {
                path.append(String(index))
                innerSize += diff(before[index], after[index], path: &path, into: &inner)
                path.removeLast()
            }
            for index in common..<after.count {
                let op = Operation(.add, pointer(path + [String(index)]), after[index])
                innerSize += op.encodedSize + 1
                inner.append(op)
            }
            // From the end, so that every index names the element it meant.
            for index in (common..<before.count).reversed() {
                let op = Operation(.remove, pointer(path + [String(index)]))
                innerSize += op.encodedSize + 1
                inner.append(op)
            }
        default:
            if old == new { return 0 }
            let op = Operation(.replace, pointer(path), new)
            ops.append(op)
            return op.encodedSize + 1
        }
        // Nothing inside changed (same keys or length, every member equal): equal.
        if inner.isEmpty { return 0 }
        // As before: the inner ops (without their commas) against the one replace.
        let whole = Operation(.replace, pointer(path), new)
        let ownSize = innerSize - inner.count
        let wholeSize = whole.boundedSize(limit: ownSize)
        if ownSize < wholeSize {
            ops += inner
            return innerSize
        }
        ops.append(whole)
        return wholeSize + 1
    }

    /// A JSON Pointer from its tokens (keys and indices, escaped here): "" for none, "/a/0" for ["a", "0"].
    private static func pointer(_ tokens: [String]) -> String {
        tokens.isEmpty ? "" : "/" + tokens.map(escape).joined(separator: "/")
    }

    // MARK: - Applying a patch

    /// Applies `ops` in order (RFC 6902 section 4). Any op that cannot apply (a path that does not
    /// exist, an index out of range, an op this subset lacks) fails the whole patch.
    public static func apply(_ ops: [Operation], to document: JSONValue) throws(Failure) -> JSONValue {
        var result = document
        for op in ops {
            let tokens = try tokens(of: op.path)
            if op.kind != .remove && op.value == nil { throw Failure(message: "\(op.kind.rawValue) at \"\(op.path)\" has no value") }
            try apply(op, tokens: tokens[...], to: &result)
        }
        return result
    }

    private static func apply(_ op: Operation, tokens: ArraySlice<String>, to target: inout JSONValue) throws(Failure) {
        guard let token = tokens.first else {
            // The whole document (path ""): add and replace set it; removing it leaves nothing.
            guard op.kind != .remove else { throw Failure(message: "cannot remove the whole document") }
            target = op.value!
            return
        }
        let last = tokens.count == 1
        switch target {
        case .object(var object):
            if last {
                switch op.kind {
                case .add: object[token] = op.value!
                case .replace, .remove:
                    guard object[token] != nil else { throw Failure(message: "no \"\(token)\" to \(op.kind.rawValue) at \"\(op.path)\"") }
                    if op.kind == .replace { object[token] = op.value! } else { object[token] = nil }
                }
            } else {
                guard var child = object[token] else { throw Failure(message: "no \"\(token)\" on the way to \"\(op.path)\"") }
                object[token] = nil  // not shared while it is changed: no copy of the child
                try apply(op, tokens: tokens.dropFirst(), to: &child)
                object[token] = child
            }
            target = .object(object)
        case .array(var array):
            let appending = last && op.kind == .add && token == "-"
            guard appending || isArrayIndex(token), let index = appending ? array.count : Int(token) else {
                throw Failure(message: "\"\(token)\" is not an array index in \"\(op.path)\"")
            }
            let limit = last && op.kind == .add ? array.count : array.count - 1
            guard index <= limit else { throw Failure(message: "index \(index) out of range in \"\(op.path)\"") }
            if last {
                switch op.kind {
                case .add: array.insert(op.value!, at: index)
                case .replace: array[index] = op.value!
                case .remove: array.remove(at: index)
                }
            } else {
                var child = array[index]
                array[index] = .null
                try apply(op, tokens: tokens.dropFirst(), to: &child)
                array[index] = child
            }
            target = .array(array)
        default:
            throw Failure(message: "\"\(op.path)\" goes through a value that is neither an object nor an array")
        }
    }

    /// "0", or digits without a leading zero, short enough to be an Int.
    private static func isArrayIndex(_ token: String) -> Bool {
        let digits = token.utf8
        guard !digits.isEmpty, digits.count <= 9, digits.allSatisfy({ (48...57).contains($0) }) else { return false }
        return digits.count == 1 || digits.first != 48
    }

    // MARK: - JSON Pointer (RFC 6901)

    static func escape(_ key: String) -> String {
        guard key.contains(where: { $0 == "~" || $0 == "/" }) else { return key }
        return key.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }

    /// The reference tokens of a pointer, unescaped: "" is none; anything else starts with "/".
    static func tokens(of pointer: String) throws(Failure) -> [String] {
        if pointer.isEmpty { return [] }
        guard pointer.hasPrefix("/") else { throw Failure(message: "the path \"\(pointer)\" does not start with \"/\"") }
        var tokens: [String] = []
        for raw in pointer.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            var token = ""
            var tilde = false
            for character in raw {
                if tilde {
                    guard character == "0" || character == "1" else { throw Failure(message: "bad escape \"~\(character)\" in \"\(pointer)\"") }
                    token.append(character == "0" ? "~" : "/")
                    tilde = false
                } else if character == "~" {
                    tilde = true
                } else {
                    token.append(character)
                }
            }
            if tilde { throw Failure(message: "bad escape \"~\" at the end of a token in \"\(pointer)\"") }
            tokens.append(token)
        }
        return tokens
    }
}

// MARK: - Wire form

extension JSONPatch.Operation: JSONWritable {
    /// `{"op":"replace","path":"/seq","value":8}`: the keys in RFC 6902's order.
    public func writeJSON(to out: inout JSONOutput) {
        out.object { o in
            o.field("op", kind.rawValue)
            o.field("path", path)
            if let value { o.field("value", value) }
        }
    }

    /// The length of `JSONOutput.encode(self)`, counted without writing it.
    var encodedSize: Int { boundedSize(limit: .max) }

    /// `encodedSize` when it is at most `limit`; otherwise some number above `limit` (counting
    /// stops there: a whole state is not measured to learn it is bigger than three small ops).
    func boundedSize(limit: Int) -> Int {
        // {"op":"replace","path":"...","value":...}
        var size = 1 + 5 + (kind.rawValue.utf8.count + 2) + 1 + 7 + JSONValue.encodedSize(of: path) + 1
        if let value {
            size += 9
            size = value.addEncodedSize(to: size, limit: limit)
        }
        return size
    }

    /// Reads one operation as a client sent or a test wrote it; `move`, `copy` and `test` are refused.
    public init(json: JSONValue) throws(JSONPatch.Failure) {
        guard case .object(let fields) = json, let op = fields["op"]?.stringValue, let path = fields["path"]?.stringValue else {
            throw JSONPatch.Failure(message: "an operation is an object with a string \"op\" and \"path\"")
        }
        guard let kind = Kind(rawValue: op) else { throw JSONPatch.Failure(message: "unsupported op \"\(op)\"") }
        if kind != .remove && fields["value"] == nil { throw JSONPatch.Failure(message: "\(op) at \"\(path)\" has no value") }
        self.init(kind, path, kind == .remove ? nil : fields["value"])
    }
}

extension JSONValue {
    /// Adds the length of this value as `writeJSON` writes it to `size`, stopping once the sum is
    /// above `limit` (then the result is above `limit` but not the whole length).
    func addEncodedSize(to size: Int, limit: Int) -> Int {
        guard size <= limit else { return size }
        switch self {
        case .null: return size + 4
        case .bool(let value): return size + (value ? 4 : 5)
        case .number(let value):
            // As `writeJSON` chooses (an integer, or `JSONOutput.double`'s shortest description).
            if value.rounded() == value, abs(value) <= JSONValue.maximumExactInteger, let integer = Int(exactly: value) {
                return size + String(integer).utf8.count
            }
            let text = value.description
            return size + text.utf8.count - (text.hasSuffix(".0") ? 2 : 0)
        case .string(let value): return size + Self.encodedSize(of: value)
        case .array(let values):
            var total = size + 2 + max(0, values.count - 1)
            for value in values {
                total = value.addEncodedSize(to: total, limit: limit)
                if total > limit { return total }
            }
            return total
        case .object(let fields):
            // Braces, commas, and a colon per field.
            var total = size + 2 + max(0, fields.count - 1) + fields.count
            for (key, value) in fields {
                total += Self.encodedSize(of: key)
                total = value.addEncodedSize(to: total, limit: limit)
                if total > limit { return total }
            }
            return total
        }
    }

    /// The length of `JSONOutput.string(text)`: quotes, and the escapes it writes.
    static func encodedSize(of text: String) -> Int {
        var size = 2
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), 0x08, 0x0C, UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"): size += 2
            case 0..<0x20: size += 6
            default: size += 1
            }
        }
        return size
    }
}

extension JSONValue: JSONWritable {
    /// Sorted keys, integers without a fraction: the bytes `JSONEncoder` writes for the value.
    public func writeJSON(to out: inout JSONOutput) {
        switch self {
        case .null: out.null()
        case .bool(let value): out.bool(value)
        case .number(let value):
            if value.rounded() == value, abs(value) <= JSONValue.maximumExactInteger, let integer = Int(exactly: value) {
                out.int(integer)
            } else {
                out.double(value)
            }
        case .string(let value): out.string(value)
        case .array(let values): out.array(values) { $0.value($1) }
        case .object(let fields):
            out.object { o in
                for key in fields.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) { o.field(key, fields[key]!) }
            }
        }
    }
}
