/// Any JSON value: what the gateway answers with (`welcome`, `lobby`, ...), the lobby entries it
/// reads back, the `id` a client may send. Client commands are never held as one: they are decoded
/// into their types (`ClientRequest`).
///
/// Parsed by our own scanner (`init(parsing:limits:)`), never through `Decodable`: a decoder can
/// only learn a value's kind by trying each in turn, which costs the cube of the nesting depth.
public enum JSONValue: Sendable, Hashable, Encodable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// The largest integer a double (and so a browser's JSON) holds exactly: 2^53 - 1.
    public static let maximumExactInteger: Double = 9_007_199_254_740_991

    /// Parses one JSON text within `limits`: the shape check's scan, then a second that builds the
    /// value (numbers too large for a Double are refused). Both linear, neither recursive.
    public init(parsing bytes: some Collection<UInt8>, limits: JSONLimits = .document) throws(JSONShapeViolation) {
        let result = withContiguousBytes(bytes) { buffer -> Result<JSONValue, JSONShapeViolation> in
            // The shape check first: a text past a limit costs a scan, nothing built.
            var check = JSONScanner(bytes: buffer, limits: limits, sink: ShapeOnly())
            do throws(JSONShapeViolation) {
                try check.run()
            } catch {
                return .failure(error)
            }
            var scanner = JSONScanner(bytes: buffer, limits: limits, sink: JSONValueBuilder())
            do throws(JSONShapeViolation) {
                try scanner.run()
            } catch {
                return .failure(error)
            }
            return .success(scanner.sink.result ?? .null)
        }
        self = try result.get()
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value):
            // Integers stay integers on the wire ("amount": 200, not 200.0).
            if let integer = exactInteger(value) {
                try container.encode(integer)
            } else {
                try container.encode(value)
            }
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    public subscript(key: String) -> JSONValue? {
        if case .object(let object) = self { return object[key] }
        return nil
    }

    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    public var intValue: Int? {
        if case .number(let value) = self { return exactInteger(value).map(Int.init) }
        return nil
    }
}

private func exactInteger(_ value: Double) -> Int64? {
    guard value.rounded() == value, abs(value) <= JSONValue.maximumExactInteger else { return nil }
    return Int64(value)
}

/// Builds a `JSONValue` from what the scanner reads: one stack of open containers, each added to
/// its parent when it closes.
struct JSONValueBuilder: JSONSink {
    private var objects: [[String: JSONValue]] = []
    private var arrays: [[JSONValue]] = []
    /// Per open container, innermost last: whether it is an object.
    private var open: [Bool] = []
    /// The key each open object's next value goes to.
    private var keys: [String] = []
    private(set) var result: JSONValue?

    mutating func beginObject() {
        objects.append([:])
        open.append(true)
    }

    mutating func beginArray() {
        arrays.append([])
        open.append(false)
    }

    mutating func end() {
        let value: JSONValue = open.removeLast() ? .object(objects.removeLast()) : .array(arrays.removeLast())
        add(value)
    }

    mutating func key(_ raw: UnsafeBufferPointer<UInt8>, escaped: Bool) {
        keys.append(Self.decodeString(raw, escaped: escaped))
    }

    mutating func string(_ raw: UnsafeBufferPointer<UInt8>, escaped: Bool) {
        add(.string(Self.decodeString(raw, escaped: escaped)))
    }

    mutating func number(_ raw: UnsafeBufferPointer<UInt8>) -> Bool {
        // Most numbers are small integers: read them digit by digit, without a string or strtod.
        if raw.count <= 15, let integer = Self.smallInteger(raw) {
            add(.number(Double(integer)))
            return true
        }
        guard let value = Double(String(decoding: raw, as: UTF8.self)), value.isFinite else { return false }
        add(.number(value))
        return true
    }

    /// An integer literal of at most 15 characters (so exact in a double), or nil.
    private static func smallInteger(_ raw: UnsafeBufferPointer<UInt8>) -> Int64? {
        var index = 0
        let negative = raw.first == UInt8(ascii: "-")
        if negative { index = 1 }
        guard index < raw.count else { return nil }
        var value: Int64 = 0
        while index < raw.count {
            let digit = raw[index] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            value = value * 10 + Int64(digit)
            index += 1
        }
        return negative ? -value : value
    }

    mutating func literal(_ value: JSONLiteral) {
        switch value {
        case .true: add(.bool(true))
        case .false: add(.bool(false))
        case .null: add(.null)
        }
    }

    private mutating func add(_ value: JSONValue) {
        guard let inObject = open.last else {
            result = value
            return
        }
        if inObject {
            objects[objects.count - 1][keys.removeLast()] = value
        } else {
            arrays[arrays.count - 1].append(value)
        }
    }

    private static func appendUTF8(_ scalar: Unicode.Scalar, to out: inout [UInt8]) {
        let value = scalar.value
        switch value {
        case ..<0x80:
            out.append(UInt8(value))
        case ..<0x800:
            out.append(0xC0 | UInt8(value >> 6))
            out.append(0x80 | UInt8(value & 0x3F))
        case ..<0x10000:
            out.append(0xE0 | UInt8(value >> 12))
            out.append(0x80 | UInt8(value >> 6 & 0x3F))
            out.append(0x80 | UInt8(value & 0x3F))
        default:
            out.append(0xF0 | UInt8(value >> 18))
            out.append(0x80 | UInt8(value >> 12 & 0x3F))
            out.append(0x80 | UInt8(value >> 6 & 0x3F))
            out.append(0x80 | UInt8(value & 0x3F))
        }
    }

    /// The string a scanned (so well-formed) JSON string stands for. A lone surrogate escape
    /// becomes U+FFFD, as invalid UTF-8 does.
    static func decodeString(_ raw: UnsafeBufferPointer<UInt8>, escaped: Bool) -> String {
        guard escaped else { return String(decoding: raw, as: UTF8.self) }
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        var index = 0
        func hex4(_ at: Int) -> UInt32? {
            guard at + 4 <= raw.count else { return nil }
            var value: UInt32 = 0
            for offset in 0..<4 {
                guard let digit = JSONScanner<ShapeOnly>.hexValue(raw[at + offset]) else { return nil }
                value = value << 4 | digit
            }
            return value
        }
        while index < raw.count {
            let byte = raw[index]
            guard byte == UInt8(ascii: "\\") else {
                out.append(byte)
                index += 1
                continue
            }
            let escape = raw[index + 1]
            index += 2
            switch escape {
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                let unit = hex4(index) ?? 0xFFFD
                index += 4
                var scalar = unit
                if (0xD800...0xDBFF).contains(unit), index + 6 <= raw.count, raw[index] == UInt8(ascii: "\\"),
                   raw[index + 1] == UInt8(ascii: "u"), let low = hex4(index + 2), (0xDC00...0xDFFF).contains(low) {
                    scalar = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                    index += 6
                }
                Self.appendUTF8(Unicode.Scalar(scalar) ?? "\u{FFFD}", to: &out)
            default: out.append(escape)  // \" \\ \/
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
