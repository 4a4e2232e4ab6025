import NIOCore
import WebSocket

/// Process-unique id of one WebSocket connection (the relay prefixes it with the gateway id).
public struct ConnectionID: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }
    public var description: String { String(rawValue) }
}

/// The endpoint's handle on one connection. Safe to use from any thread; calls made off the
/// connection's event loop hop onto it. Sends after the connection closed are dropped.
public final class WebSocketConnection: Sendable, Hashable, CustomStringConvertible {
    public let id: ConnectionID
    /// The route's path (`/ws`, `/echo`). Nothing else of the upgrade request is kept: a browser
    /// sends 0.5 to 1 KiB of headers (cookies, user agent, languages ...) and a client up to the
    /// HTTP parser's limits, which would otherwise stay in memory for the connection's life.
    public let path: String
    /// The client's IP as text, without the port: the socket's peer (or, behind a trusted load
    /// balancer, the address its PROXY protocol header names), as logs show it.
    public let clientAddress: String
    /// What per-address limits count for this client (`IPAddress.limitKey`: an IPv6 /64).
    public let limitKey: String
    /// The compression window of the permessage-deflate it negotiated, if it did: frames sent to
    /// it go out compressed (`PreEncodedFrame.bytes(deflateWindowBits:)`).
    let deflateWindowBits: Int?
    public let eventLoop: any EventLoop
    /// Succeeds when the TCP connection has closed.
    public let closeFuture: EventLoopFuture<Void>
    /// Cleared when the channel closes, which also breaks the handler <-> handle cycle.
    private let handler: HandlerSlot

    init(id: ConnectionID, path: String, clientAddress: String, deflate: PerMessageDeflate?, channel: any Channel, handler: WebSocketChannelHandler) {
        self.id = id
        self.deflateWindowBits = deflate?.serverCompressionWindowBits
        self.path = path
        self.clientAddress = clientAddress
        self.limitKey = IPAddress.limitKey(ofClient: clientAddress)
        self.eventLoop = channel.eventLoop
        self.closeFuture = channel.closeFuture
        self.handler = HandlerSlot(handler, eventLoop: channel.eventLoop)
    }

    /// The handler, read and written on the connection's loop only: checked in debug builds.
    /// (`NIOLoopBoundBox` checks in release builds too: a second thread check on every write of
    /// a fan-out, whose caller already knows its loop.)
    private final class HandlerSlot: @unchecked Sendable {
        private var handler: WebSocketChannelHandler?
        private let eventLoop: any EventLoop

        init(_ handler: WebSocketChannelHandler, eventLoop: any EventLoop) {
            self.handler = handler
            self.eventLoop = eventLoop
        }

        var value: WebSocketChannelHandler? {
            get {
                assert(eventLoop.inEventLoop)
                return handler
            }
            set {
                assert(eventLoop.inEventLoop)
                handler = newValue
            }
        }
    }

    public var description: String { "ws#\(id)" }

    public static func == (lhs: WebSocketConnection, rhs: WebSocketConnection) -> Bool { lhs === rhs }
    public func hash(into hasher: inout Hasher) { hasher.combine(ObjectIdentifier(self)) }

    public func send(text: String) {
        var text = text
        let bytes = text.withUTF8 { PreEncodedFrame.single(.text, payload: UnsafeRawBufferPointer($0), deflateWindowBits: deflateWindowBits) }
        send(bytes: bytes, conflationKey: nil, whole: nil)
    }

    public func send(binary: [UInt8]) {
        let bytes = binary.withUnsafeBytes { PreEncodedFrame.single(.binary, payload: $0, deflateWindowBits: deflateWindowBits) }
        send(bytes: bytes, conflationKey: nil, whole: nil)
    }

    public func send(_ message: WebSocketMessage) {
        switch message {
        case .text(let text): send(text: text)
        case .binary(let bytes): send(binary: bytes)
        }
    }

    /// Writes pre-encoded frame bytes. With a `conflationKey`, a frame that is still queued for this
    /// connection under the same key (the client is reading slowly) is replaced by this one, or by
    /// `whole` when given (a state patch replaced by the whole state it makes).
    public func send(_ frame: PreEncodedFrame, conflationKey: ConflationKey? = nil, whole: PreEncodedFrame? = nil) {
        // Compressed (once per frame and window, whichever connection asks first) here, on the
        // sender's thread, so the fan-out does not wait for another loop to compress it.
        send(bytes: frame.bytes(deflateWindowBits: deflateWindowBits), conflationKey: conflationKey, whole: whole)
    }

    /// `send` for a caller on the connection's loop (`FanOut`) with the bytes for this connection
    /// (`PreEncodedFrame.bytes(deflateWindowBits:)` with its `deflateWindowBits`).
    func sendOnLoop(_ bytes: ByteBuffer, conflationKey: ConflationKey?, whole: PreEncodedFrame?) {
        handler.value?.send(bytes, conflationKey: conflationKey, whole: whole)
    }

    private func send(bytes: ByteBuffer, conflationKey: ConflationKey?, whole: PreEncodedFrame?) {
        // The hot path of fan-out: no closure allocation when already on the connection's loop.
        if eventLoop.inEventLoop {
            handler.value?.send(bytes, conflationKey: conflationKey, whole: whole)
        } else {
            eventLoop.execute { self.handler.value?.send(bytes, conflationKey: conflationKey, whole: whole) }
        }
    }

    /// Starts the closing handshake with `code`; the TCP connection ends when the client answers or
    /// after the close timeout.
    public func close(code: WebSocketCloseCode = .normalClosure, reason: String = "") {
        onLoop { $0.initiateClose(code: code, reason: reason) }
    }

    /// Closes TCP without a handshake (end of the shutdown drain).
    func dropTransport() {
        onLoop { $0.dropTransport() }
    }

    func detach() {
        handler.value = nil
    }

    private func onLoop(_ body: @escaping @Sendable (WebSocketChannelHandler) -> Void) {
        if eventLoop.inEventLoop {
            if let handler = handler.value { body(handler) }
        } else {
            eventLoop.execute {
                if let handler = self.handler.value { body(handler) }
            }
        }
    }
}
