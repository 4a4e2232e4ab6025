/// The server side of one WebSocket connection, sans-IO: bytes in through `receive`, actions out
/// through `nextAction`. It owns no socket and never blocks, so every rule is a unit test.
///
/// The close handshake is an enum state machine:
/// - `open`: data flows. A peer close is validated and echoed, then `.closeTransport` (RFC 6455
///   section 7.1.1: the server closes TCP first). A protocol error sends a close with its code,
///   then `.closeTransport` (section 7.1.7, _Fail the WebSocket Connection_).
/// - `closing`: we sent a close (`close(code:reason:)`); data is ignored until the peer's close
///   arrives, then `.closeTransport`.
/// - `closed`: everything received is ignored.
public struct ServerConnection: Sendable {
    public enum State: Sendable, Equatable { case open, closing, closed }

    public private(set) var state: State = .open

    /// A data message has begun (its first frame header arrived) and is not complete yet: its
    /// fragments or the rest of its frame are awaited, in a buffer of up to the message size limit.
    /// The shell bounds how long this may last (it owns the clocks).
    public var isReceivingMessage: Bool { state == .open && assembler.state != .idle }

    /// Open, between messages and holding nothing: no frame begun (not even part of a header), no
    /// message assembled, no action waiting. What the next bytes decode to then depends on them
    /// alone, unless the peer compresses with context takeover (`decodesNextMessageAlone`).
    var isBetweenMessages: Bool {
        state == .open && decoder.isAtFrameStart && assembler.state == .idle && controlOpcode == nil && pendingHead == pending.count
    }

    /// `isBetweenMessages`, and no compression window carried from one message to the next: the
    /// next message is a function of its frames' bytes (and this connection's agreement) only.
    var decodesNextMessageAlone: Bool { isBetweenMessages && !assembler.peerContextTakeover }

    private var decoder: FrameDecoder
    private var assembler: MessageAssembler
    /// The frame being received, when it is a control frame (payload <= 125 bytes, buffered).
    private var controlOpcode: WebSocketOpcode?
    private var controlPayload: [UInt8] = []
    /// Actions produced by `receive`, drained by `nextAction`.
    private var pending: [ServerConnectionAction] = []
    private var pendingHead = 0

    /// Which end of the connection this is: the client role (`ClientConnection`) expects unmasked
    /// frames and masks the control frames it writes.
    enum Role: Sendable { case server, client }
    private let role: Role

    /// - Parameter deflate: the permessage-deflate agreement of the opening handshake, if any:
    ///   compressed messages from the client are then inflated (within `maxMessageSize`).
    public init(configuration: WebSocketConfiguration = .init(), deflate: PerMessageDeflate? = nil) {
        self.init(configuration: configuration, role: .server, deflate: deflate)
    }

    init(configuration: WebSocketConfiguration, role: Role, deflate: PerMessageDeflate? = nil) {
        self.role = role
        decoder = FrameDecoder(maxFrameSize: configuration.maxFrameSize, expectMasked: role == .server,
                               allowsCompression: deflate != nil)
        let peerContextTakeover = switch role {
        case .server: deflate.map { !$0.clientNoContextTakeover } ?? false
        case .client: deflate.map { !$0.serverNoContextTakeover } ?? false
        }
        assembler = MessageAssembler(maxMessageSize: configuration.maxMessageSize, peerContextTakeover: peerContextTakeover)
    }

    /// A control frame we write: unmasked from a server, masked with a fresh key from a client.
    private func controlFrame(_ opcode: WebSocketOpcode, _ payload: [UInt8]) -> [UInt8] {
        switch role {
        case .server: return WebSocketFrameEncoder.frame(opcode: opcode, payload: payload)
        case .client: return WebSocketFrameEncoder.maskedFrame(opcode: opcode, payload: payload, maskingKey: ClientConnection.randomMaskingKey())
        }
    }

    private func closeFrame(_ code: WebSocketCloseCode, reason: String) -> [UInt8] {
        controlFrame(.close, WebSocketFrameEncoder.closePayload(code: code, reason: reason))
    }

    /// Appends received bytes (any split: one byte, or many frames at once). Bytes are processed
    /// at once, so the buffer only needs to live for the duration of the call.
    public mutating func receive(_ bytes: UnsafeRawBufferPointer) {
        var cursor = ReceiveCursor(bytes)
        while state != .closed, let event = decoder.next(&cursor) {
            handle(event)
        }
    }

    public mutating func receive(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { receive($0) }
    }

    /// Next action, or nil when more bytes are needed. Call until nil after each receive.
    public mutating func nextAction() -> ServerConnectionAction? {
        guard pendingHead < pending.count else { return nil }
        // Move the action out (a trivial placeholder stays behind) instead of copying it, which
        // would retain its payload here and release it again when the queue is cleared.
        var action = ServerConnectionAction.closeTransport
        swap(&action, &pending[pendingHead])
        pendingHead += 1
        if pendingHead == pending.count {
            pending.removeAll(keepingCapacity: true)
            pendingHead = 0
        }
        return action
    }

    /// Server-initiated close (shutdown 1001, policy 1008, slow 1013 ...): returns the close frame
    /// to write, or nil when a close was already sent. After the peer's close reply, nextAction()
    /// yields .closeTransport.
    public mutating func close(code: WebSocketCloseCode, reason: String) -> [UInt8]? {
        guard state == .open else { return nil }
        state = .closing
        // A partial message is dropped, even one whose current frame is still arriving: the
        // decoder keeps framing it, but its bytes no longer reach the assembler.
        assembler.reset()
        return closeFrame(code, reason: reason)
    }

    // MARK: - Events

    private mutating func handle(_ event: FrameDecoder.Event) {
        switch event {
        case .header(let header):
            if header.opcode.isControl {
                controlOpcode = header.opcode
                controlPayload.removeAll(keepingCapacity: true)
            } else if state != .open {
                // Section 1.4: after sending a close we ignore data, but keep parsing frames to
                // find the peer's close.
            } else if let error = assembler.beginFrame(header) {
                fail(error)
            }
        case .payload(let chunk, var mask, let endsFrame):
            if controlOpcode != nil {
                let start = controlPayload.count
                controlPayload.append(contentsOf: chunk.assumingMemoryBound(to: UInt8.self))
                controlPayload.withUnsafeMutableBytes {
                    mask.apply(to: UnsafeMutableRawBufferPointer(rebasing: $0[start...]))
                }
            } else if state == .open, let error = assembler.append(chunk, mask: mask, endsFrame: endsFrame) {
                fail(error)
            }
        case .frameEnd:
            if let opcode = controlOpcode {
                controlOpcode = nil
                handleControlFrame(opcode)
            } else if state != .open {
                // A data frame that began before or after our close: dropped (see `close`).
            } else {
                switch assembler.endFrame() {
                case .incomplete: break
                case .message(let message): pending.append(.message(message))
                case .error(let violation): fail(violation)
                }
            }
        case .error(let violation):
            fail(violation)
        }
    }

    private mutating func handleControlFrame(_ opcode: WebSocketOpcode) {
        switch opcode {
        case .ping:
            // Section 5.5.3: answer with a pong carrying the same payload, unless we already sent
            // a close (nothing may follow our close frame).
            if state == .open {
                pending.append(.write(controlFrame(.pong, controlPayload)))
            }
        case .pong:
            if state == .open { pending.append(.pongReceived(controlPayload)) }
        case .close:
            receivedClose()
        default:
            preconditionFailure("not a control opcode")
        }
    }

    private mutating func receivedClose() {
        if state == .closing {
            // The peer answered our close: the handshake is complete.
            state = .closed
            pending.append(.closeTransport)
            return
        }
        let payload = controlPayload
        if payload.isEmpty {
            reply(.normalClosure)
            return
        }
        // Section 5.5.1: if there is a body, its first two bytes are the status code.
        guard payload.count >= 2 else {
            return fail(ProtocolViolation(.protocolError, "close payload of 1 byte"))
        }
        let code = WebSocketCloseCode(rawValue: UInt16(payload[0]) << 8 | UInt16(payload[1]))
        guard code.isValidOnWire else {
            return fail(ProtocolViolation(.protocolError, "invalid close code"))
        }
        let reasonIsValid = payload.withUnsafeBytes {
            UTF8Validator.isValid(UnsafeRawBufferPointer(rebasing: $0[2...]))
        }
        // Autobahn 7.5.1 accepts 1002 or 1007 here; 1007 says precisely what was wrong.
        guard reasonIsValid else {
            return fail(ProtocolViolation(.invalidPayloadData, "invalid UTF-8 in close reason"))
        }
        reply(code)
    }

    /// Echoes the peer's close code and ends the connection.
    private mutating func reply(_ code: WebSocketCloseCode) {
        state = .closed
        assembler.reset()
        pending.append(.write(closeFrame(code, reason: "")))
        pending.append(.closeTransport)
    }

    /// Fails the connection: close frame with `code` (unless we already sent one), then close TCP.
    private mutating func fail(_ violation: ProtocolViolation) {
        if state == .open {
            pending.append(.write(closeFrame(violation.code, reason: violation.reason.description)))
        }
        state = .closed
        assembler.reset()
        pending.append(.closeTransport)
    }
}
