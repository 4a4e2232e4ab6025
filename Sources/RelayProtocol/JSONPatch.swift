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
    /// Removed keys come first, then the changed and added keys in key order (by their bytes);
    /// an array's extra elements are added at the end, or removed from the end, last first.
    ///
    /// Made from both values' texts (`diff(fromText:toText:)`, what the authority runs).
    public static func diff(from old: JSONValue, to new: JSONValue) -> [Operation] {
        let whole = [Operation(.replace, "", new)]
        guard let made = diff(fromText: JSONOutput.encode(old), toText: JSONOutput.encode(new)) else { return whole }
        guard case .array(let values)? = try? JSONValue(parsing: [UInt8(ascii: "[")] + made.ops + [UInt8(ascii: "]")]) else { return whole }
        var ops: [Operation] = []
        for value in values {
            guard let op = try? Operation(json: value) else { return whole }
            ops.append(op)
        }
        return ops
    }

    /// The ops of `diff(from:to:)`, written (comma-separated, as inside a JSON array), from two
    /// JSON texts in `JSONOutput`'s form (sorted keys, no whitespace), and how many: nil when either
    /// is not JSON in that form (see `JSONTextDiff`).
    public static func diff(fromText old: String, toText new: String) -> (ops: [UInt8], count: Int)? {
        withUTF8(old) { old in withUTF8(new) { new in JSONTextDiff.diff(old: old, new: new) } }
    }

    private static func withUTF8<Result>(_ text: String, _ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        if let result = text.utf8.withContiguousStorageIfAvailable(body) { return result }
        return Array(text.utf8).withUnsafeBufferPointer(body)
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
