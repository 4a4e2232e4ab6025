/// Encodes frames. Server frames are unmasked (RFC 6455 section 5.1), so one encoding can be
/// written to many connections.
public enum WebSocketFrameEncoder {
    public static func frame(opcode: WebSocketOpcode, payload: some Collection<UInt8>, fin: Bool = true) -> [UInt8] {
        encode(opcode: opcode, payload: payload, fin: fin, compressed: false, maskingKey: nil)
    }

    /// A permessage-deflate message in one frame: RSV1 set, the payload already compressed
    /// (`Deflater`). Only data frames are ever compressed (RFC 7692 section 6.1).
    public static func compressedFrame(opcode: WebSocketOpcode, compressedPayload: some Collection<UInt8>) -> [UInt8] {
        precondition(!opcode.isControl, "control frames are never compressed")
        return encode(opcode: opcode, payload: compressedPayload, fin: true, compressed: true, maskingKey: nil)
    }

    public static func text(_ text: String) -> [UInt8] {
        var text = text
        return text.withUTF8 { frame(opcode: .text, payload: $0) }
    }

    public static func binary(_ bytes: [UInt8]) -> [UInt8] {
        frame(opcode: .binary, payload: bytes)
    }

    public static func ping(_ payload: [UInt8]) -> [UInt8] {
        frame(opcode: .ping, payload: payload.prefix(125))
    }

    /// A close frame. The reason is cut (on a character boundary) so the payload fits the 125 bytes
    /// allowed for control frames.
    public static func close(code: WebSocketCloseCode, reason: String) -> [UInt8] {
        frame(opcode: .close, payload: closePayload(code: code, reason: reason))
    }

    /// The payload of a close frame: the code, then the reason cut to fit 125 bytes.
    static func closePayload(code: WebSocketCloseCode, reason: String) -> [UInt8] {
        var payload: [UInt8] = [UInt8(code.rawValue >> 8), UInt8(code.rawValue & 0xFF)]
        var budget = 123
        for scalar in reason.unicodeScalars {
            let utf8 = UTF8.encode(scalar)!
            if utf8.count > budget { break }
            payload.append(contentsOf: utf8)
            budget -= utf8.count
        }
        return payload
    }

    /// Client role (tests, `monopoly bench`): masked with the given key.
    public static func maskedFrame(
        opcode: WebSocketOpcode, payload: some Collection<UInt8>, fin: Bool = true,
        compressed: Bool = false, maskingKey: (UInt8, UInt8, UInt8, UInt8)
    ) -> [UInt8] {
        encode(opcode: opcode, payload: payload, fin: fin, compressed: compressed, maskingKey: maskingKey)
    }

    /// Bytes of a frame header: 2, plus 2 or 8 for the extended length, plus 4 for a masking key.
    public static func headerLength(payloadLength: Int, masked: Bool = false) -> Int {
        2 + (payloadLength < 126 ? 0 : (payloadLength <= 0xFFFF ? 2 : 8)) + (masked ? 4 : 0)
    }

    /// Writes a frame header at the start of `buffer` (at least `headerLength` bytes), so a caller
    /// can put the payload right behind it in a buffer of its own (one allocation, one copy).
    /// Returns the header's length.
    @discardableResult
    public static func writeHeader(
        opcode: WebSocketOpcode, payloadLength length: Int, fin: Bool = true, compressed: Bool = false,
        maskingKey: (UInt8, UInt8, UInt8, UInt8)? = nil, to buffer: UnsafeMutableRawBufferPointer
    ) -> Int {
        let headerLength = headerLength(payloadLength: length, masked: maskingKey != nil)
        precondition(buffer.count >= headerLength, "no room for the frame header")
        buffer[0] = (fin ? 0x80 : 0) | (compressed ? 0x40 : 0) | opcode.rawValue
        let maskBit: UInt8 = maskingKey == nil ? 0 : 0x80
        if length < 126 {
            buffer[1] = maskBit | UInt8(length)
        } else if length <= 0xFFFF {
            buffer[1] = maskBit | 126
            buffer[2] = UInt8(length >> 8)
            buffer[3] = UInt8(length & 0xFF)
        } else {
            buffer[1] = maskBit | 127
            for i in 0..<8 { buffer[2 + i] = UInt8(truncatingIfNeeded: UInt64(length) >> (56 - 8 * i)) }
        }
        if let key = maskingKey {
            buffer[headerLength - 4] = key.0
            buffer[headerLength - 3] = key.1
            buffer[headerLength - 2] = key.2
            buffer[headerLength - 1] = key.3
        }
        return headerLength
    }

    private static func encode(
        opcode: WebSocketOpcode, payload: some Collection<UInt8>, fin: Bool, compressed: Bool,
        maskingKey: (UInt8, UInt8, UInt8, UInt8)?
    ) -> [UInt8] {
        let length = payload.count
        let headerLength = headerLength(payloadLength: length, masked: maskingKey != nil)
        return [UInt8](unsafeUninitializedCapacity: headerLength + length) { buffer, initialized in
            writeHeader(opcode: opcode, payloadLength: length, fin: fin, compressed: compressed, maskingKey: maskingKey,
                        to: UnsafeMutableRawBufferPointer(buffer))
            let body = UnsafeMutableBufferPointer(rebasing: buffer[headerLength...])
            let copied = payload.withContiguousStorageIfAvailable { source -> Int in
                if let base = source.baseAddress, let destination = body.baseAddress, !source.isEmpty {
                    destination.initialize(from: base, count: source.count)
                }
                return source.count
            }
            if copied == nil {
                _ = body.initialize(from: payload)
            }
            if let key = maskingKey {
                var mask = WebSocketMask(key: key)
                mask.apply(to: UnsafeMutableRawBufferPointer(body))
            }
            initialized = headerLength + length
        }
    }
}
