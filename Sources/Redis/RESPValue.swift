// RESP2 values as the client hands them out, and the arguments it sends.

/// A reply from Redis (RESP2). hiredis reports both the null bulk string (`$-1`) and the
/// null array (`*-1`) as nil, so both arrive here as ``null``.
public enum RESPValue: Sendable, Equatable, Hashable {
    /// `+OK`, `+PONG`, `+QUEUED` ...
    case simpleString(String)
    /// `-ERR ...`: an error reply. ``RedisClient/send(_:)`` throws these as ``RedisError/server(_:)``;
    /// pipelines and transactions return them in place so one bad command doesn't hide the others.
    case error(String)
    case integer(Int)
    /// Binary-safe bulk string.
    case bulkString([UInt8])
    case array([RESPValue])
    /// Null bulk string or null array (for example GET of a missing key, or EXEC after a WATCH abort).
    case null

    /// The value as UTF-8 text: simple strings, bulk strings and error messages; nil otherwise.
    public var string: String? {
        switch self {
        case .simpleString(let s), .error(let s): return s
        case .bulkString(let bytes): return String(decoding: bytes, as: UTF8.self)
        case .integer(let i): return String(i)
        default: return nil
        }
    }

    /// Raw bytes of a bulk or simple string.
    public var bytes: [UInt8]? {
        switch self {
        case .bulkString(let bytes): return bytes
        case .simpleString(let s): return Array(s.utf8)
        default: return nil
        }
    }

    /// Integer replies, or bulk/simple strings holding a decimal integer.
    public var int: Int? {
        switch self {
        case .integer(let i): return i
        case .bulkString, .simpleString: return string.flatMap { Int($0) }
        default: return nil
        }
    }

    public var array: [RESPValue]? {
        if case .array(let values) = self { return values }
        return nil
    }

    public var isNull: Bool { self == .null }

    /// The message of an error reply, nil for anything else.
    public var errorMessage: String? {
        if case .error(let message) = self { return message }
        return nil
    }
}

extension RESPValue: CustomStringConvertible {
    public var description: String {
        switch self {
        case .simpleString(let s): return "+\(s)"
        case .error(let s): return "-\(s)"
        case .integer(let i): return ":\(i)"
        case .bulkString(let b):
            let text = String(decoding: b, as: UTF8.self)
            return b.count > 64 ? "$\(b.count) bytes" : "\"\(text)\""
        case .array(let values): return "[" + values.map(\.description).joined(separator: ", ") + "]"
        case .null: return "(nil)"
        }
    }
}

/// One argument of a command, sent as a binary-safe bulk string.
/// `["SET", "key", RedisArgument(bytes), 42]` all work.
public struct RedisArgument: Sendable, Hashable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
    public var bytes: [UInt8]

    public init(_ string: String) { self.bytes = Array(string.utf8) }
    public init(_ bytes: [UInt8]) { self.bytes = bytes }
    public init<S: Sequence>(bytes: S) where S.Element == UInt8 { self.bytes = Array(bytes) }
    public init(_ int: Int) { self.bytes = Array(String(int).utf8) }
    public init(stringLiteral value: String) { self.init(value) }
    public init(integerLiteral value: Int) { self.init(value) }

    /// The argument as text (for logs and error messages).
    public var string: String { String(decoding: bytes, as: UTF8.self) }
}
