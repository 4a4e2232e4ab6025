/// The fragmentation state machine (RFC 6455 section 5.4): joins data frames into messages,
/// validates text incrementally and enforces `maxMessageSize`. Control frames never reach it.
struct MessageAssembler: Sendable {
    enum State: Sendable, Equatable {
        /// Between messages: the next data frame must be text or binary.
        case idle
        /// Inside a message whose first frame had FIN clear: only continuations may follow.
        case text
        case binary
    }

    enum Completion: Equatable {
        case incomplete
        case message(WebSocketMessage)
        case error(ProtocolViolation)
    }

    private(set) var state: State = .idle
    /// The current message so far, unmasked (and inflated). Handed over (not copied) when the
    /// message completes.
    private var payload: [UInt8] = []
    private var utf8 = UTF8Validator()
    /// Whether the frame being received ends its message.
    private var frameIsFinal = false
    let maxMessageSize: Int

    /// With permessage-deflate, whether the peer keeps its LZ77 window across messages (it did not
    /// agree to no context takeover): then so must our inflater.
    let peerContextTakeover: Bool
    /// The current message is compressed (RSV1 on its first frame).
    private var compressed = false
    /// Compressed bytes received for the current message: bounded too (`maxCompressedSize`), so
    /// that input which inflates to nothing cannot grow without end.
    private var compressedBytes = 0
    /// Created with the first compressed message; dropped after each one when the peer takes no
    /// context over (an idle connection then holds no zlib state).
    private var inflater: Inflater?
    /// Unmasked compressed bytes on their way to the inflater.
    private var scratch: [UInt8] = []

    init(maxMessageSize: Int, peerContextTakeover: Bool = false) {
        self.maxMessageSize = maxMessageSize
        self.peerContextTakeover = peerContextTakeover
    }

    /// Compressed input allowed per message: the message limit plus deflate's worst-case growth of
    /// incompressible data (5 bytes per stored block of up to 64 KiB), with room to spare.
    var maxCompressedSize: Int { maxMessageSize + maxMessageSize / 1024 + 64 }

    /// Starts a data frame. Checks sequencing and the message size before any payload is stored.
    mutating func beginFrame(_ header: FrameHeader) -> ProtocolViolation? {
        switch (state, header.opcode) {
        case (.idle, .text):
            state = .text
            utf8 = UTF8Validator()
            compressed = header.compressed
        case (.idle, .binary):
            state = .binary
            compressed = header.compressed
        case (.idle, .continuation):
            return ProtocolViolation(.protocolError, "continuation without a message")
        case (.text, .continuation), (.binary, .continuation):
            break
        case (.text, _), (.binary, _):
            return ProtocolViolation(.protocolError, "new message inside a fragmented message")
        default:
            preconditionFailure("control frames are not assembled")
        }
        if compressed {
            if header.payloadLength > maxCompressedSize - compressedBytes {
                return ProtocolViolation(.messageTooBig, "message too big")
            }
            compressedBytes += header.payloadLength
        } else if header.payloadLength > maxMessageSize - payload.count {
            return ProtocolViolation(.messageTooBig, "message too big")
        }
        if payload.isEmpty, !compressed {
            // Reserving per frame would grow linearly and copy quadratically; the first frame is the
            // whole message in the common unfragmented case.
            payload.reserveCapacity(header.payloadLength)
        }
        frameIsFinal = header.fin
        return nil
    }

    /// Adds masked payload bytes: one copy into the message, unmasked in place, then validated.
    ///
    /// Text is validated incrementally so an invalid byte fails the connection as soon as it
    /// arrives (Autobahn 6.4.x), except for the chunk that ends the message: all its bytes are
    /// here, and building the String validates them anyway, so checking twice would only halve
    /// text throughput.
    mutating func append(_ chunk: UnsafeRawBufferPointer, mask: WebSocketMask, endsFrame: Bool) -> ProtocolViolation? {
        let start = payload.count
        let validateNow = state == .text && !(endsFrame && frameIsFinal)
        if compressed {
            // Inflated text is validated as it comes, the last bytes included: what was inflated
            // before a failure (the size limit, corrupt data) is judged first, so the close code
            // does not depend on how the input was split.
            let outcome = inflate(chunk, mask: mask)
            return validateInflated(from: start) ?? Self.violation(outcome)
        }
        payload.append(contentsOf: chunk.assumingMemoryBound(to: UInt8.self))
        var mask = mask
        let valid = payload.withUnsafeMutableBytes { all -> Bool in
            let added = UnsafeMutableRawBufferPointer(rebasing: all[start...])
            mask.apply(to: added)
            return validateNow ? utf8.validate(UnsafeRawBufferPointer(added)) : true
        }
        return valid ? nil : ProtocolViolation(.invalidPayloadData, "invalid UTF-8")
    }

    private mutating func validateInflated(from start: Int) -> ProtocolViolation? {
        guard state == .text, start < payload.count else { return nil }
        let valid = payload.withUnsafeBytes { utf8.validate(UnsafeRawBufferPointer(rebasing: $0[start...])) }
        return valid ? nil : ProtocolViolation(.invalidPayloadData, "invalid UTF-8")
    }

    /// Unmasks compressed bytes and inflates them into the message, within `maxMessageSize`.
    private mutating func inflate(_ chunk: UnsafeRawBufferPointer, mask: WebSocketMask) -> Inflater.Outcome {
        if inflater == nil {
            // A larger window than the peer's always inflates its data, so one size fits all.
            inflater = Inflater(windowBits: 15)
            // zlib could not allocate its state: the message cannot be read.
            guard inflater != nil else { return .corrupt }
        }
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: chunk.assumingMemoryBound(to: UInt8.self))
        var mask = mask
        let outcome = scratch.withUnsafeMutableBytes { bytes -> Inflater.Outcome in
            mask.apply(to: bytes)
            return inflater!.inflate(UnsafeRawBufferPointer(bytes), into: &payload, limit: maxMessageSize)
        }
        return outcome
    }

    private static func violation(_ outcome: Inflater.Outcome) -> ProtocolViolation? {
        switch outcome {
        case .ok: return nil
        case .tooBig: return ProtocolViolation(.messageTooBig, "message too big")
        case .corrupt: return ProtocolViolation(.invalidPayloadData, "invalid compressed data")
        }
    }

    /// The message's last frame ended: inflates the removed tail, then keeps the window for the
    /// next message only when the peer takes context over.
    private mutating func finishInflating() -> ProtocolViolation? {
        guard let inflater else { return nil } // an empty compressed message: nothing was inflated
        let start = payload.count
        let outcome = inflater.finishMessage(into: &payload, limit: maxMessageSize)
        if !peerContextTakeover {
            self.inflater = nil
        } else if inflater.streamEnded {
            inflater.reset()
        }
        if scratch.capacity > Self.retainedTextCapacity { scratch = [] }
        return validateInflated(from: start) ?? Self.violation(outcome)
    }

    /// Ends the current frame; returns the message when the frame had FIN set.
    mutating func endFrame() -> Completion {
        guard frameIsFinal else { return .incomplete }
        if compressed {
            compressed = false
            compressedBytes = 0
            if let violation = finishInflating() { return .error(violation) }
        }
        let kind = state
        state = .idle
        switch kind {
        case .text:
            let text = Self.validatedString(payload)
            // The text buffer is reused for the next message (the String has its own copy), unless
            // it grew beyond what game messages need: an idle connection should not keep the
            // largest message it ever sent (10,000 idle connections that each sent one 64 KiB
            // message once would hold 640 MiB).
            if payload.capacity > Self.retainedTextCapacity { payload = [] } else { payload.removeAll(keepingCapacity: true) }
            guard let text else { return .error(ProtocolViolation(.invalidPayloadData, "invalid UTF-8")) }
            return .message(.text(text))
        case .binary:
            // Handed over, not copied: the next message starts a new array.
            let bytes = payload
            payload = []
            return .message(.binary(bytes))
        case .idle:
            preconditionFailure("endFrame without beginFrame")
        }
    }

    static let retainedTextCapacity = 4 * 1024

    /// Bytes of buffer held between messages (tests).
    var bufferCapacity: Int { payload.capacity }

    /// The message as a String, or nil when it is not valid UTF-8 (including a truncated final
    /// character).
    static func validatedString(_ bytes: [UInt8]) -> String? {
        // String(validating:) is one pass, the fastest from about 64 bytes up; below that its fixed
        // cost dominates (measured 4x slower at 16 bytes than our validator + String(decoding:)).
        if bytes.count >= 64, #available(macOS 15, iOS 18, tvOS 18, watchOS 11, visionOS 2, *) {
            return String(validating: bytes, as: UTF8.self)
        }
        var validator = UTF8Validator()
        guard validator.validate(bytes), validator.isComplete else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Drops a partial message (the connection is closing and no longer delivers data).
    mutating func reset() {
        state = .idle
        payload = []
        frameIsFinal = false
        compressed = false
        compressedBytes = 0
        inflater = nil
        scratch = []
    }
}
