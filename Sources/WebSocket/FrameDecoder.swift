/// Splits a byte stream into frame headers and payload chunks, enforcing every per-frame rule of
/// RFC 6455 section 5. It knows nothing of messages or of the close handshake (see
/// `MessageAssembler` and `ServerConnection`).
///
/// The payload is never buffered here: each chunk is a slice of the caller's bytes, still masked,
/// along with the mask at the right phase, so the consumer unmasks while it copies.
struct FrameDecoder: Sendable {
    enum State: Sendable, Equatable {
        /// Waiting for (the rest of) a header; the bytes seen so far are in `partialHeader`.
        case header
        /// Inside a payload with `remaining` bytes to go; `mask.phase` tracks the key position.
        case payload(remaining: Int, mask: WebSocketMask)
        /// A protocol error was reported: the stream has no usable framing any more.
        case failed
    }

    enum Event {
        case header(FrameHeader)
        /// Masked payload bytes (a slice of the received bytes), the mask to apply to them, and
        /// whether they are the last bytes of the frame.
        case payload(UnsafeRawBufferPointer, WebSocketMask, endsFrame: Bool)
        case frameEnd
        case error(ProtocolViolation)
    }

    private(set) var state: State = .header
    /// Header bytes of a header split across reads (at most 14).
    private var partialHeader: [UInt8] = []
    /// Nothing of a frame received yet: the next byte starts a header.
    var isAtFrameStart: Bool { state == .header && partialHeader.isEmpty }
    let maxFrameSize: Int
    /// Server role: every frame must be masked (section 5.1). Client role (`ClientConnection`):
    /// none may be.
    let expectMasked: Bool
    /// permessage-deflate was negotiated: RSV1 may be set on the first frame of a data message.
    let allowsCompression: Bool

    init(maxFrameSize: Int, expectMasked: Bool = true, allowsCompression: Bool = false) {
        self.maxFrameSize = maxFrameSize
        self.expectMasked = expectMasked
        self.allowsCompression = allowsCompression
    }

    /// The next event, or nil when `cursor` is exhausted and more bytes are needed.
    mutating func next(_ cursor: inout ReceiveCursor) -> Event? {
        switch state {
        case .failed:
            return nil
        case .payload(let remaining, var mask):
            if remaining == 0 {
                state = .header
                return .frameEnd
            }
            if cursor.isEmpty { return nil }
            let chunk = cursor.consume(atMost: remaining)
            let chunkMask = mask
            mask.phase = (mask.phase + chunk.count) & 3
            state = .payload(remaining: remaining - chunk.count, mask: mask)
            return .payload(chunk, chunkMask, endsFrame: chunk.count == remaining)
        case .header:
            return nextHeader(&cursor)
        }
    }

    private mutating func nextHeader(_ cursor: inout ReceiveCursor) -> Event? {
        // Fast path: the whole header is in this read, parse it in place.
        if partialHeader.isEmpty, cursor.remaining >= 2 {
            let first = cursor.peek(0), second = cursor.peek(1)
            if let violation = Self.checkFirstBytes(first, second, expectMasked: expectMasked, allowsCompression: allowsCompression) { return fail(violation) }
            let length = Self.headerLength(second)
            if cursor.remaining >= length {
                let header = cursor.consume(atMost: length)
                return parse(header)
            }
        }
        // Slow path: keep header bytes until the header is complete.
        if partialHeader.capacity < 14 { partialHeader.reserveCapacity(14) }
        while !cursor.isEmpty {
            partialHeader.append(cursor.peek(0))
            _ = cursor.consume(atMost: 1)
            if partialHeader.count == 2,
               let error = Self.checkFirstBytes(partialHeader[0], partialHeader[1], expectMasked: expectMasked, allowsCompression: allowsCompression) {
                return fail(error)
            }
            if partialHeader.count >= 2, partialHeader.count == Self.headerLength(partialHeader[1]) {
                let event = partialHeader.withUnsafeBytes { parse($0) }
                partialHeader.removeAll(keepingCapacity: true)
                return event
            }
        }
        return nil
    }

    /// The length (header and payload) of the frame `bytes` start with, when all of it is there;
    /// nil when it is not (or its length does not fit an Int). Nothing is checked but the length.
    static func wholeFrameLength(in bytes: UnsafeRawBufferPointer) -> Int? {
        guard bytes.count >= 2 else { return nil }
        let header = headerLength(bytes[1])
        guard bytes.count >= header else { return nil }
        var payload: UInt64
        switch bytes[1] & 0x7F {
        case 126: payload = UInt64(bytes[2]) << 8 | UInt64(bytes[3])
        case 127: payload = (2..<10).reduce(0) { $0 << 8 | UInt64(bytes[$1]) }
        case let code: payload = UInt64(code)
        }
        guard payload <= UInt64(bytes.count - header) else { return nil }
        return header + Int(payload)
    }

    /// Bytes of the header given its second byte: 2, plus 2 or 8 for the extended length, plus 4
    /// for the masking key.
    private static func headerLength(_ second: UInt8) -> Int {
        let lengthCode = second & 0x7F
        let extended = lengthCode == 126 ? 2 : (lengthCode == 127 ? 8 : 0)
        return 2 + extended + (second & 0x80 != 0 ? 4 : 0)
    }

    /// Rules decidable from the first two bytes, checked before waiting for the rest so a bad
    /// frame fails at once.
    private static func checkFirstBytes(_ first: UInt8, _ second: UInt8, expectMasked: Bool, allowsCompression: Bool) -> ProtocolViolation? {
        if first & (allowsCompression ? 0x30 : 0x70) != 0 {
            // RSV1 is permessage-deflate's when negotiated; no extension uses RSV2 or RSV3, and
            // without one every reserved bit must be zero (section 5.2).
            return ProtocolViolation(.protocolError, "reserved bits set")
        }
        guard let opcode = WebSocketOpcode(rawValue: first & 0x0F) else {
            return ProtocolViolation(.protocolError, "reserved opcode")
        }
        if first & 0x40 != 0, opcode != .text, opcode != .binary {
            // RSV1 means "compressed" only with permessage-deflate, and only on the first frame of
            // a data message: never on a continuation or a control frame (RFC 7692 section 6).
            return ProtocolViolation(.protocolError, "reserved bits set")
        }
        if expectMasked, second & 0x80 == 0 {
            // Section 5.1: a server MUST close on an unmasked client frame.
            return ProtocolViolation(.protocolError, "unmasked client frame")
        }
        if !expectMasked, second & 0x80 != 0 {
            // Section 5.1: a client MUST close on a masked server frame.
            return ProtocolViolation(.protocolError, "masked server frame")
        }
        if opcode.isControl {
            if first & 0x80 == 0 { return ProtocolViolation(.protocolError, "fragmented control frame") }
            if second & 0x7F > 125 { return ProtocolViolation(.protocolError, "control frame too long") }
        }
        return nil
    }

    /// Parses a complete header whose first two bytes already passed `checkFirstBytes`.
    private mutating func parse(_ header: UnsafeRawBufferPointer) -> Event {
        let first = header[0], second = header[1]
        let lengthCode = second & 0x7F
        var length: UInt64
        var position = 2
        switch lengthCode {
        case 126:
            length = UInt64(header[2]) << 8 | UInt64(header[3])
            position = 4
            // Section 5.2: "the minimal number of bytes MUST be used to encode the length".
            if length < 126 { return fail(ProtocolViolation(.protocolError, "non-minimal length")) }
        case 127:
            length = 0
            for i in 2..<10 { length = length << 8 | UInt64(header[i]) }
            position = 10
            if length & (1 << 63) != 0 { return fail(ProtocolViolation(.protocolError, "length MSB set")) }
            if length <= 0xFFFF { return fail(ProtocolViolation(.protocolError, "non-minimal length")) }
        default:
            length = UInt64(lengthCode)
        }
        if length > UInt64(maxFrameSize) { return fail(ProtocolViolation(.messageTooBig, "frame too big")) }
        // An unmasked (server) frame gets the zero key: XOR with it leaves the payload as it is.
        let key = second & 0x80 != 0
            ? (header[position], header[position + 1], header[position + 2], header[position + 3])
            : (0, 0, 0, 0)
        let mask = WebSocketMask(key: key)
        let frame = FrameHeader(
            fin: first & 0x80 != 0,
            compressed: first & 0x40 != 0,
            opcode: WebSocketOpcode(rawValue: first & 0x0F)!,
            payloadLength: Int(length),
            mask: mask
        )
        state = .payload(remaining: Int(length), mask: mask)
        return .header(frame)
    }

    private mutating func fail(_ error: ProtocolViolation) -> Event {
        state = .failed
        partialHeader = []
        return .error(error)
    }
}
