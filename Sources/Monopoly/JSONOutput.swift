/// A value that writes its own JSON, byte for byte what `JSONEncoder` with `.sortedKeys` and
/// `.withoutEscapingSlashes` produces from its `Encodable` conformance.
///
/// The authority encodes the whole game state for every command it applies (the stored record
/// and the published state): through `JSONEncoder` that was three quarters of its CPU. The
/// conformances write keys in sorted order by hand; `StateJSONTests` checks them against
/// `JSONEncoder` over thousands of simulated states.
public protocol JSONWritable {
    func writeJSON(to out: inout JSONOutput)
}

/// An append-only JSON text. Objects are written with `object { ... }` and their fields in
/// ascending key order (checked in debug builds).
public struct JSONOutput {
    public private(set) var bytes: [UInt8] = []

    public init(capacity: Int = 8 << 10) {
        bytes.reserveCapacity(capacity)
    }

    public var text: String { String(decoding: bytes, as: UTF8.self) }

    public static func encode(_ value: some JSONWritable) -> String {
        var out = JSONOutput()
        value.writeJSON(to: &out)
        return out.text
    }

    // MARK: values

    public mutating func null() { append("null") }
    public mutating func bool(_ value: Bool) { append(value ? "true" : "false") }
    /// Digits written straight into the text: `String(value)` first was a tenth of writing a state.
    public mutating func int(_ value: Int) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        if magnitude < 10 {
            bytes.append(UInt8(ascii: "0") + UInt8(magnitude))
            return
        }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var start = digits.count
            while magnitude > 0 {
                start -= 1
                digits[start] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: digits[start...]))
        }
    }

    /// As `JSONEncoder` writes a Double: Swift's shortest description, without a trailing ".0".
    public mutating func double(_ value: Double) {
        var text = value.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        append(text)
    }

    public mutating func string(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        // Most strings (every key, ids, names) have nothing to escape: copied whole, not byte by byte.
        let copied = value.utf8.withContiguousStorageIfAvailable { utf8 in
            guard !utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) else { return false }
            bytes.append(contentsOf: utf8)
            return true
        }
        if copied == true {
            bytes.append(UInt8(ascii: "\""))
            return
        }
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): append("\\\"")
            case UInt8(ascii: "\\"): append("\\\\")
            case 0x08: append("\\b")
            case 0x0C: append("\\f")
            case UInt8(ascii: "\n"): append("\\n")
            case UInt8(ascii: "\r"): append("\\r")
            case UInt8(ascii: "\t"): append("\\t")
            case 0..<0x20:
                append("\\u00")
                bytes.append(Self.hexDigits[Int(byte >> 4)])
                bytes.append(Self.hexDigits[Int(byte & 0xF)])
            default:
                bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    public mutating func value(_ value: some JSONWritable) { value.writeJSON(to: &self) }

    /// Bytes that are JSON already (a fixed key, a piece of structure), as they are: for texts
    /// whose keys are not in sorted order (the command log's lines, `seq` first), written by hand.
    public mutating func raw(_ text: StaticString) { append(text) }
    public mutating func raw(_ text: String) { append(text) }

    public mutating func array<Element>(_ elements: [Element], _ write: (inout JSONOutput, Element) -> Void) {
        bytes.append(UInt8(ascii: "["))
        for (index, element) in elements.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            write(&self, element)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    public mutating func object(_ body: (inout ObjectWriter) -> Void) {
        bytes.append(UInt8(ascii: "{"))
        // The writer has the text while the body writes: swapped in and out, never copied (a copy
        // held a second reference to the buffer, and appending then copied the whole text, for
        // every square of every state written).
        var writer = ObjectWriter(out: JSONOutput(capacity: 0))
        swap(&self, &writer.out)
        body(&writer)
        swap(&self, &writer.out)
        bytes.append(UInt8(ascii: "}"))
    }

    /// The fields of one object, in ascending key order.
    public struct ObjectWriter {
        fileprivate var out: JSONOutput
        private var count = 0
        #if DEBUG
        private var lastKey: String?
        #endif

        fileprivate init(out: JSONOutput) { self.out = out }

        /// Writes `"key":` (the caller writes the value next).
        public mutating func key(_ key: String) {
            #if DEBUG
            if let lastKey { assert(lastKey.utf8.lexicographicallyPrecedes(key.utf8), "JSON keys out of order: \(lastKey), \(key)") }
            lastKey = key
            #endif
            if count > 0 { out.bytes.append(UInt8(ascii: ",")) }
            count += 1
            out.string(key)
            out.bytes.append(UInt8(ascii: ":"))
        }

        public mutating func field(_ key: String, _ value: Int) { self.key(key); out.int(value) }
        public mutating func field(_ key: String, _ value: Bool) { self.key(key); out.bool(value) }
        public mutating func field(_ key: String, _ value: String) { self.key(key); out.string(value) }
        public mutating func field(_ key: String, _ value: Double) { self.key(key); out.double(value) }
        public mutating func field(_ key: String, _ value: some JSONWritable) { self.key(key); value.writeJSON(to: &out) }
        public mutating func field(_ key: String, _ values: [Int]) { self.key(key); out.array(values) { $0.int($1) } }
        public mutating func field(_ key: String, _ values: [String]) { self.key(key); out.array(values) { $0.string($1) } }
        public mutating func field<Element: JSONWritable>(_ key: String, _ values: [Element]) {
            self.key(key)
            out.array(values) { $0.value($1) }
        }

        /// A nested object written field by field (e.g. a dictionary's entries, sorted).
        public mutating func object(_ key: String, _ body: (inout ObjectWriter) -> Void) {
            self.key(key)
            out.object(body)
        }

        /// `null` when absent, as `JSONEncoder` writes an `encode(_:forKey:)` of nil.
        public mutating func field(_ key: String, _ value: Int?) { optional(key, value) { $0.int($1) } }
        public mutating func field(_ key: String, _ value: String?) { optional(key, value) { $0.string($1) } }
        public mutating func field(_ key: String, _ value: Double?) { optional(key, value) { $0.double($1) } }
        public mutating func field(_ key: String, _ value: [Int]?) { optional(key, value) { $0.array($1) { $0.int($1) } } }
        public mutating func field<Value: JSONWritable>(_ key: String, _ value: Value?) { optional(key, value) { $0.value($1) } }

        private mutating func optional<Value>(_ key: String, _ value: Value?, _ write: (inout JSONOutput, Value) -> Void) {
            self.key(key)
            if let value { write(&out, value) } else { out.null() }
        }
    }

    private mutating func append(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    private mutating func append(_ text: String) {
        bytes.append(contentsOf: text.utf8)
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)
}
