import Logging
import NIOCore
import WebSocket

/// The shell around the sans-IO codec for one upgraded connection: feeds inbound bytes to
/// `ServerConnection`, performs its actions, delivers messages to the endpoint, and owns the
/// connection's timers (ping/pong, idle, close) and its bounded outbound queue.
final class WebSocketChannelHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    struct Settings {
        var route: WebSocketRoute
        var pingInterval: TimeAmount?
        var pongTimeout: TimeAmount
        var idleTimeout: TimeAmount?
        var closeTimeout: TimeAmount
        var fragmentTimeout: TimeAmount?
        /// permessage-deflate as negotiated in the opening handshake.
        var deflate: PerMessageDeflate?
    }

    private var codec: ServerConnection
    private let settings: Settings
    private let endpoint: any WebSocketEndpoint
    private let metrics: GatewayMetrics
    private let registry: ConnectionRegistry
    /// Without per-connection metadata: setting it would copy the handler's metadata dictionary for
    /// every connection (memory held for the connection's life); `logger` adds it when logging.
    private let baseLogger: Logger
    private var logger: Logger {
        var logger = baseLogger
        logger[metadataKey: "connection"] = "\(id)"
        logger[metadataKey: "client"] = "\(clientAddress)"
        return logger
    }
    private var outbound: OutboundQueue
    private let id: ConnectionID
    private let clientAddress: String

    private(set) var handle: WebSocketConnection?
    private var context: ChannelHandlerContext?

    /// True while actions of one read are being performed: writes are flushed once at the end.
    private var inActionLoop = false
    private var needsFlush = false
    /// A read() was held back because the channel was not writable.
    private var pendingRead = false
    /// A close frame has been written: nothing may follow it.
    private var closeFrameWritten = false
    /// The close code we sent, once we did.
    private var closeCodeSent: WebSocketCloseCode?
    private var closedReported = false

    /// One timer per connection serves the ping and the idle check, firing at whichever is due
    /// first: each scheduled task costs ~0.35 KiB for the connection's whole life.
    private var timer: Scheduled<Void>?
    private var nextPing: NIODeadline?
    private var pongDeadline: Scheduled<Void>?
    private var awaitedPong: [UInt8]?
    private var pingCounter: UInt64 = 0
    private var lastInbound = NIODeadline.now()
    private var closeTimer: Scheduled<Void>?
    /// Armed while a data message is being received (only one that spans reads: most arrive whole).
    private var fragmentDeadline: Scheduled<Void>?

    init(
        id: ConnectionID, clientAddress: String, settings: Settings,
        metrics: GatewayMetrics, registry: ConnectionRegistry, logger: Logger
    ) {
        self.id = id
        self.clientAddress = clientAddress
        self.settings = settings
        self.codec = ServerConnection(configuration: settings.route.limits, deflate: settings.deflate)
        self.endpoint = settings.route.endpoint
        self.outbound = OutboundQueue(policy: settings.route.outbound)
        self.metrics = metrics
        self.registry = registry
        self.baseLogger = logger
    }

    // MARK: lifecycle

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        let handle = WebSocketConnection(id: id, path: settings.route.path, clientAddress: clientAddress, deflate: settings.deflate, channel: context.channel, handler: self)
        self.handle = handle
        let policy = settings.route.outbound
        try? context.channel.syncOptions?.setOption(
            ChannelOptions.writeBufferWaterMark,
            value: .init(low: policy.lowWatermark, high: policy.highWatermark)
        )
        let admitted = registry.register(handle)
        metrics.connectionsAccepted.increment()
        metrics.connectionsOpen.increment()
        logger.debug("websocket open", metadata: ["path": "\(settings.route.path)"])
        scheduleTimer(context: context)
        endpoint.connectionOpened(handle)
        if !admitted {
            initiateClose(code: .goingAway, reason: "server shutting down")
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        finish()
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish()
        context.fireChannelInactive()
    }

    private func finish() {
        guard !closedReported else { return }
        closedReported = true
        timer?.cancel()
        pongDeadline?.cancel()
        closeTimer?.cancel()
        fragmentDeadline?.cancel()
        outbound.removeAll()
        metrics.connectionsOpen.decrement()
        guard let handle else { return }
        registry.unregister(handle)
        logger.debug("websocket closed", metadata: ["code": "\(closeCodeSent.map { String($0.rawValue) } ?? "none")"])
        endpoint.connectionClosed(handle, code: closeCodeSent)
        handle.detach()
    }

    // MARK: inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        metrics.bytesIn.increment(by: buffer.readableBytes)
        if lingering { return }
        lastInbound = .now()
        buffer.withUnsafeReadableBytes { codec.receive($0) }
        performActions(context: context)
        watchFragmentDeadline(context: context)
    }

    /// A message left unfinished (fragments or a frame that stop coming while other bytes, such as
    /// pongs, keep the connection from idling) holds its buffer: it gets `fragmentTimeout` from its
    /// first header.
    private func watchFragmentDeadline(context: ChannelHandlerContext) {
        guard codec.isReceivingMessage, !closeFrameWritten, !lingering else {
            fragmentDeadline?.cancel()
            fragmentDeadline = nil
            return
        }
        guard fragmentDeadline == nil, let timeout = settings.fragmentTimeout, timeout > .zero else { return }
        fragmentDeadline = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) {
            self.fragmentDeadline = nil
            self.metrics.fragmentTimeouts.increment()
            self.logger.info("message not completed in time, closing")
            self.initiateClose(code: .policyViolation, reason: "message not completed in time")
        }
    }

    private func performActions(context: ChannelHandlerContext) {
        inActionLoop = true
        while let action = codec.nextAction() {
            switch action {
            case .message(let message):
                metrics.messagesIn.increment()
                if let handle { endpoint.connection(handle, received: message) }
            case .write(let bytes):
                noteCloseFrame(bytes, context: context)
                write(ByteBuffer(bytes: bytes), context: context)
            case .pongReceived(let payload):
                if let awaited = awaitedPong, awaited == payload {
                    awaitedPong = nil
                    pongDeadline?.cancel()
                    pongDeadline = nil
                }
            case .closeTransport:
                inActionLoop = false
                closeTransport(context: context)
                return
            }
        }
        inActionLoop = false
        flushIfNeeded(context: context)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("websocket channel error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }

    // MARK: outbound

    /// Application frames (already encoded) go through the bounded queue.
    /// `whole`: what replaces a queued frame under the same key instead of `bytes` (a patch's whole
    /// state), in this connection's encoding: `bytes(deflateWindowBits:)` only when it does.
    func send(_ bytes: ByteBuffer, conflationKey: ConflationKey?, whole: PreEncodedFrame? = nil) {
        // Our own view, not the codec's: the codec processes a whole read at once, so it may already
        // be closed (an error later in the same read) while earlier messages are still being
        // answered, and those answers must go out before the close frame.
        guard let context, !closeFrameWritten else { return }
        let windowBits = settings.deflate?.serverCompressionWindowBits
        switch outbound.submit(bytes, key: conflationKey, whole: whole?.bytes(deflateWindowBits: windowBits), channelWritable: context.channel.isWritable) {
        case .writeNow:
            metrics.messagesOut.increment()
            write(bytes, context: context)
            flushIfNeeded(context: context)
        case .queued(let replaced):
            metrics.messagesOut.increment()
            if replaced { metrics.conflatedFrames.increment() }
        case .overflow:
            metrics.slowConsumerCloses.increment()
            logger.info("closing slow consumer", metadata: ["queued": "\(outbound.queuedBytes)"])
            outbound.removeAll()
            initiateClose(code: settings.route.outbound.slowConsumerCloseCode, reason: "slow consumer")
        }
    }

    /// Server-initiated close: sends the close frame and waits (bounded) for the peer's reply.
    func initiateClose(code: WebSocketCloseCode, reason: String) {
        guard let context else { return }
        outbound.removeAll()
        guard let bytes = codec.close(code: code, reason: reason) else { return }
        closeCodeSent = code
        closeFrameWritten = true
        metrics.closeSent(code.rawValue)
        write(ByteBuffer(bytes: bytes), context: context)
        flushIfNeeded(context: context)
        armCloseTimer(context: context)
    }

    func dropTransport() {
        context?.close(promise: nil)
    }

    private func write(_ buffer: ByteBuffer, context: ChannelHandlerContext) {
        metrics.bytesOut.increment(by: buffer.readableBytes)
        context.write(wrapOutboundOut(buffer), promise: nil)
        needsFlush = true
    }

    private func flushIfNeeded(context: ChannelHandlerContext) {
        guard needsFlush, !inActionLoop else { return }
        needsFlush = false
        context.flush()
    }

    /// Ends the TCP connection after the close exchange (or a failure). The write side is shut first
    /// (FIN after our close frame) and whatever the peer still sends is read and discarded until it
    /// closes too, or `lingerTimeout` passes: closing a socket with unread input makes the kernel
    /// send RST, which can destroy our close frame before the peer reads it (e.g. after 1009 on a
    /// message whose bytes are still arriving).
    private func closeTransport(context: ChannelHandlerContext) {
        needsFlush = false
        context.flush()
        guard !lingering else { return }
        lingering = true
        timer?.cancel()
        pongDeadline?.cancel()
        closeTimer?.cancel()
        fragmentDeadline?.cancel()
        context.close(mode: .output).assumeIsolated().whenFailure { _ in
            context.close(promise: nil)
        }
        closeTimer = context.eventLoop.assumeIsolated().scheduleTask(in: Self.lingerTimeout) {
            context.close(promise: nil)
        }
        context.read()
    }

    private static let lingerTimeout: TimeAmount = .seconds(2)
    /// Output is shut; input is drained and dropped until the peer closes.
    private var lingering = false

    /// Records the code of a close frame the codec asked us to write (its reply or its error close).
    private func noteCloseFrame(_ bytes: [UInt8], context: ChannelHandlerContext) {
        guard bytes.count >= 2, bytes[0] == 0x88 else { return }
        closeFrameWritten = true
        outbound.removeAll()
        let code: UInt16 = bytes[1] & 0x7F >= 2 && bytes.count >= 4 ? UInt16(bytes[2]) << 8 | UInt16(bytes[3]) : 1005
        if closeCodeSent == nil {
            closeCodeSent = WebSocketCloseCode(rawValue: code)
            metrics.closeSent(code)
        }
        armCloseTimer(context: context)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            while context.channel.isWritable, let next = outbound.popFirst() {
                write(next, context: context)
            }
            flushIfNeeded(context: context)
            if context.channel.isWritable && pendingRead {
                pendingRead = false
                context.read()
            }
        }
        context.fireChannelWritabilityChanged()
    }

    /// Back-pressure: while the client is not draining what we send, stop reading what it sends.
    func read(context: ChannelHandlerContext) {
        if context.channel.isWritable || lingering {
            context.read()
        } else {
            pendingRead = true
        }
    }

    // MARK: timers

    private func armCloseTimer(context: ChannelHandlerContext) {
        guard closeTimer == nil else { return }
        timer?.cancel()
        pongDeadline?.cancel()
        fragmentDeadline?.cancel()
        closeTimer = context.eventLoop.assumeIsolated().scheduleTask(in: settings.closeTimeout) {
            self.logger.debug("close handshake timed out")
            context.close(promise: nil)
        }
    }

    private func scheduleTimer(context: ChannelHandlerContext) {
        var due: NIODeadline?
        if let interval = settings.pingInterval, interval > .zero {
            if nextPing == nil { nextPing = .now() + interval }
            due = nextPing
        }
        if let idle = settings.idleTimeout, idle > .zero {
            let idleAt = lastInbound + idle
            due = due.map { min($0, idleAt) } ?? idleAt
        }
        guard let due else { return }
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: due) {
            self.timerFired(context: context)
        }
    }

    private func timerFired(context: ChannelHandlerContext) {
        let now = NIODeadline.now()
        if let idle = settings.idleTimeout, idle > .zero, now - lastInbound >= idle {
            logger.info("idle timeout, closing")
            initiateClose(code: .goingAway, reason: "idle timeout")
            return
        }
        if let next = nextPing, now >= next, let interval = settings.pingInterval {
            sendPing(context: context)
            nextPing = now + interval
        }
        scheduleTimer(context: context)
    }

    private func sendPing(context: ChannelHandlerContext) {
        guard codec.state == .open, !closeFrameWritten else { return }
        pingCounter += 1
        let payload = withUnsafeBytes(of: pingCounter.bigEndian) { Array($0) }
        if awaitedPong == nil {
            awaitedPong = payload
            pongDeadline = context.eventLoop.assumeIsolated().scheduleTask(in: settings.pongTimeout) {
                self.pingTimedOut(context: context)
            }
        }
        write(ByteBuffer(bytes: WebSocketFrameEncoder.ping(payload)), context: context)
        flushIfNeeded(context: context)
    }

    private func pingTimedOut(context: ChannelHandlerContext) {
        metrics.pingTimeouts.increment()
        logger.info("no pong in time, closing")
        initiateClose(code: .policyViolation, reason: "ping timeout")
        // The peer is unresponsive: do not wait for its close reply.
        context.flush()
        context.close(promise: nil)
    }
}
