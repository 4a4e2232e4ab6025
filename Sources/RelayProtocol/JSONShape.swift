/// Bounds on the shape of a JSON text, checked in one pass over its bytes before anything decodes
/// it. Decoders pay for what they are given (Foundation's for each value and key, a recursive one
/// in stack per level): every limit here is far above what any message of ours needs, and every
/// text past one is refused at the cost of reading it up to there.
public struct JSONLimits: Sendable, Equatable {
    /// Containers open at once. A command's deepest value is 3 levels down (`give.properties`).
    public var maxDepth: Int
    /// Keys of one object or elements of one array (a trade's properties are at most 28).
    public var maxEntries: Int
    /// Values in the whole text, containers included.
    public var maxValues: Int
    /// Bytes of one string or key as written, escapes included. Reading a string costs what it
    /// is long, so this only needs to keep what a Redis payload may hold within what a client's
    /// message may (`MAX_MESSAGE_SIZE`'s default); a name or chat line has its own, far lower limit
    /// (`PlayerText`), which its error names.
    public var maxStringBytes: Int
    /// Characters of one number literal: any integer or double we write fits in 25.
    public var maxNumberLength: Int

    public init(maxDepth: Int, maxEntries: Int, maxValues: Int, maxStringBytes: Int, maxNumberLength: Int) {
        self.maxDepth = maxDepth
        self.maxEntries = maxEntries
        self.maxValues = maxValues
        self.maxStringBytes = maxStringBytes
        self.maxNumberLength = maxNumberLength
    }

    /// A client's message, and a command envelope read from Redis.
    public static let message = JSONLimits(maxDepth: 32, maxEntries: 256, maxValues: 1024, maxStringBytes: 65_536, maxNumberLength: 32)

    /// Texts our own processes wrote and nobody else shapes (states, lobby entries): only the
    /// depth is bounded (it bounds the stack of everything that walks the value afterwards).
    public static let document = JSONLimits(maxDepth: 32, maxEntries: .max, maxValues: .max, maxStringBytes: .max, maxNumberLength: 64)
}

/// Why a text was refused: not JSON at all, or JSON past one of the limits. `message` names the
/// limit, for the client whose message it was.
public struct JSONShapeViolation: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case syntax
        case tooDeep
        case tooManyEntries
        case tooManyValues
        case stringTooLong
        case numberTooLong
        /// A number too large for a Double (only when values are built: `1e400`).
        case numberOutOfRange
    }

    public var kind: Kind
    /// Where the scan stopped, in bytes from the start.
    public var offset: Int
    public var message: String

    /// Whether the text was JSON at all (a limit was exceeded rather than the grammar broken).
    public var isSyntax: Bool { kind == .syntax }

    public var description: String { message }

    static func syntax(at offset: Int, _ what: String) -> JSONShapeViolation {
        JSONShapeViolation(kind: .syntax, offset: offset, message: "not valid JSON: \(what) at byte \(offset)")
    }

    static func limit(_ kind: Kind, at offset: Int, _ limits: JSONLimits) -> JSONShapeViolation {
        let message = switch kind {
        case .tooDeep: "JSON nested deeper than \(limits.maxDepth) levels"
        case .tooManyEntries: "more than \(limits.maxEntries) keys or elements in one JSON object or array"
        case .tooManyValues: "more than \(limits.maxValues) JSON values in one message"
        case .stringTooLong: "a JSON string longer than \(limits.maxStringBytes) bytes"
        case .numberTooLong: "a JSON number longer than \(limits.maxNumberLength) characters"
        case .syntax, .numberOutOfRange: "not valid JSON"
        }
        return JSONShapeViolation(kind: kind, offset: offset, message: message)
    }
}

/// The streaming shape check: one pass over the bytes, cost linear in their number whatever they
/// hold, nothing built. Run before any decoder sees a client's message or a Redis payload.
public enum JSONShape {
    /// Nil when `bytes` is one JSON value (RFC 8259) within `limits`.
    public static func check(_ bytes: some Collection<UInt8>, limits: JSONLimits = .message) -> JSONShapeViolation? {
        withContiguousBytes(bytes) { buffer -> JSONShapeViolation? in
            var scanner = JSONScanner(bytes: buffer, limits: limits, sink: ShapeOnly())
            do throws(JSONShapeViolation) {
                try scanner.run()
                return nil
            } catch {
                return error
            }
        }
    }

    /// Whether the first byte that is not whitespace opens an object.
    public static func isObject(_ bytes: some Collection<UInt8>) -> Bool {
        bytes.first { !JSONScanner<ShapeOnly>.isWhitespace($0) } == UInt8(ascii: "{")
    }
}

/// Runs `body` over contiguous bytes: in place for arrays and native strings, copied otherwise.
func withContiguousBytes<R>(_ bytes: some Collection<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
    if let result = bytes.withContiguousStorageIfAvailable(body) { return result }
    return Array(bytes).withUnsafeBufferPointer(body)
}

/// The shape check's sink: reads everything, keeps nothing.
struct ShapeOnly: JSONSink {
    mutating func beginObject() {}
    mutating func beginArray() {}
    mutating func end() {}
    mutating func key(_ raw: UnsafeBufferPointer<UInt8>, escaped: Bool) {}
    mutating func string(_ raw: UnsafeBufferPointer<UInt8>, escaped: Bool) {}
    mutating func number(_ raw: UnsafeBufferPointer<UInt8>) -> Bool { true }
    mutating func literal(_ value: JSONLiteral) {}
}
