/// What a `JSONScanner` reports as it reads, in text order. Strings come as their raw bytes
/// between the quotes (escapes still in): the shape check never decodes them.
protocol JSONSink {
    mutating func beginObject()
    mutating func beginArray()
    /// Closes the innermost object or array.
    mutating func end()
    mutating func key(_ raw: UnsafeBufferPointer<UInt8>, escaped: Bool)
    mutating func string(_ raw: UnsafeBufferPointer<UInt8>, escaped: Bool)
    /// False when the number cannot be represented (the scan then stops).
    mutating func number(_ raw: UnsafeBufferPointer<UInt8>) -> Bool
    mutating func literal(_ value: JSONLiteral)
}

enum JSONLiteral { case `true`, `false`, null }

/// One pass over a JSON text (RFC 8259) within `JSONLimits`. Iterative, with an explicit stack of
/// open containers: its time and memory are linear in the input whatever the nesting, and a
/// violation stops it where it is found.
struct JSONScanner<Sink: JSONSink> {
    let bytes: UnsafeBufferPointer<UInt8>
    let limits: JSONLimits
    var sink: Sink
    private var index = 0

    init(bytes: UnsafeBufferPointer<UInt8>, limits: JSONLimits, sink: Sink) {
        self.bytes = bytes
        self.limits = limits
        self.sink = sink
    }

    private static var quote: UInt8 { UInt8(ascii: "\"") }
    private static var backslash: UInt8 { UInt8(ascii: "\\") }

    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }

    mutating func run() throws(JSONShapeViolation) {
        // Per open container: whether it is an object, and how many entries it has had so far.
        var isObject: [Bool] = []
        var entries: [Int] = []
        isObject.reserveCapacity(min(limits.maxDepth, 64))
        entries.reserveCapacity(min(limits.maxDepth, 64))
        var values = 0
        skipWhitespace()
        while true {
            // A value starts here.
            guard index < bytes.count else { throw .syntax(at: index, "a value expected") }
            values += 1
            guard values <= limits.maxValues else { throw .limit(.tooManyValues, at: index, limits) }
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                guard isObject.count < limits.maxDepth else { throw .limit(.tooDeep, at: index, limits) }
                let object = byte == UInt8(ascii: "{")
                index += 1
                if object { sink.beginObject() } else { sink.beginArray() }
                skipWhitespace()
                if index < bytes.count, bytes[index] == (object ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                    index += 1
                    sink.end()
                } else {
                    isObject.append(object)
                    entries.append(1)
                    if object { try keyAndColon() }
                    continue
                }
            case Self.quote:
                let (raw, escaped) = try scanString()
                sink.string(raw, escaped: escaped)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                try scanNumber()
            case UInt8(ascii: "t"):
                try expectLiteral("true")
                sink.literal(.true)
            case UInt8(ascii: "f"):
                try expectLiteral("false")
                sink.literal(.false)
            case UInt8(ascii: "n"):
                try expectLiteral("null")
                sink.literal(.null)
            default:
                throw .syntax(at: index, "a value expected")
            }
            // After a value: close containers until one continues, or the text ends.
            while true {
                skipWhitespace()
                guard let inObject = isObject.last else {
                    guard index == bytes.count else { throw .syntax(at: index, "the end expected") }
                    return
                }
                guard index < bytes.count else { throw .syntax(at: index, "the text ends inside a container") }
                let byte = bytes[index]
                index += 1
                if byte == UInt8(ascii: ",") {
                    entries[entries.count - 1] += 1
                    guard entries[entries.count - 1] <= limits.maxEntries else {
                        throw .limit(.tooManyEntries, at: index - 1, limits)
                    }
                    skipWhitespace()
                    if inObject { try keyAndColon() }
                    break
                }
                guard byte == (inObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) else {
                    throw .syntax(at: index - 1, inObject ? "',' or '}' expected" : "',' or ']' expected")
                }
                isObject.removeLast()
                entries.removeLast()
                sink.end()
            }
        }
    }

    private mutating func skipWhitespace() {
        while index < bytes.count, Self.isWhitespace(bytes[index]) { index += 1 }
    }

    private mutating func keyAndColon() throws(JSONShapeViolation) {
        guard index < bytes.count, bytes[index] == Self.quote else { throw .syntax(at: index, "a key expected") }
        let (raw, escaped) = try scanString()
        sink.key(raw, escaped: escaped)
        skipWhitespace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw .syntax(at: index, "':' expected") }
        index += 1
        skipWhitespace()
    }

    /// From the opening quote to past the closing one; the raw bytes between them.
    private mutating func scanString() throws(JSONShapeViolation) -> (UnsafeBufferPointer<UInt8>, escaped: Bool) {
        index += 1
        let start = index
        var escaped = false
        while index < bytes.count {
            let byte = bytes[index]
            if byte == Self.quote {
                guard index - start <= limits.maxStringBytes else { throw .limit(.stringTooLong, at: start - 1, limits) }
                let raw = UnsafeBufferPointer(rebasing: bytes[start..<index])
                index += 1
                return (raw, escaped)
            }
            if byte == Self.backslash {
                escaped = true
                index += 1
                guard index < bytes.count else { break }
                switch bytes[index] {
                case Self.quote, Self.backslash, UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                     UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    index += 1
                case UInt8(ascii: "u"):
                    guard index + 4 < bytes.count,
                          Self.hexValue(bytes[index + 1]) != nil, Self.hexValue(bytes[index + 2]) != nil,
                          Self.hexValue(bytes[index + 3]) != nil, Self.hexValue(bytes[index + 4]) != nil
                    else { throw .syntax(at: index, "a \\u escape needs 4 hex digits") }
                    index += 5
                default:
                    throw .syntax(at: index, "an unknown escape")
                }
            } else if byte < 0x20 {
                throw .syntax(at: index, "a control character in a string")
            } else {
                index += 1
            }
        }
        throw .syntax(at: index, "an unterminated string")
    }

    private mutating func scanNumber() throws(JSONShapeViolation) {
        let start = index
        func digits() -> Int {
            let first = index
            while index < bytes.count, bytes[index] &- UInt8(ascii: "0") < 10 { index += 1 }
            return index - first
        }
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count, bytes[index] &- UInt8(ascii: "0") < 10 else { throw .syntax(at: index, "a digit expected") }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else {
            _ = digits()
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard digits() > 0 else { throw .syntax(at: index, "a digit expected") }
        }
        if index < bytes.count, bytes[index] | 0x20 == UInt8(ascii: "e") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard digits() > 0 else { throw .syntax(at: index, "a digit expected") }
        }
        guard index - start <= limits.maxNumberLength else { throw .limit(.numberTooLong, at: start, limits) }
        let literal = UnsafeBufferPointer(rebasing: bytes[start..<index])
        guard sink.number(literal) else {
            throw JSONShapeViolation(kind: .numberOutOfRange, offset: start,
                                     message: "a JSON number out of range: \(String(decoding: literal, as: UTF8.self))")
        }
    }

    private mutating func expectLiteral(_ word: StaticString) throws(JSONShapeViolation) {
        let count = word.utf8CodeUnitCount
        guard bytes.count - index >= count else { throw .syntax(at: index, "a value expected") }
        let expected = UnsafeBufferPointer(start: word.utf8Start, count: count)
        for offset in 0..<count where bytes[index + offset] != expected[offset] {
            throw .syntax(at: index + offset, "a value expected")
        }
        index += count
    }

    static func hexValue(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(byte - UInt8(ascii: "A") + 10)
        default: nil
        }
    }
}
