import NIOCore

/// First in the pipeline of a connection from a trusted proxy (`TRUSTED_PROXIES`): reads the PROXY
/// protocol header, which must come first and complete within the handshake timeout, takes the
/// client's address from it (LOCAL keeps the peer's), then starts HTTP for that client and hands
/// over the bytes that followed the header. Anything else closes the connection.
final class ProxyProtocolHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let server: ServerContext
    private var received: [UInt8] = []
    /// Bytes that came behind the header, replayed to HTTP when this handler leaves.
    private var rest: ByteBuffer?
    private var done = false
    private var deadline: Scheduled<Void>?

    init(server: ServerContext) {
        self.server = server
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let metrics = server.metrics
        deadline = context.eventLoop.assumeIsolated().scheduleTask(in: server.configuration.handshakeTimeout) {
            metrics.handshakeTimeouts.increment()
            self.done = true
            context.close(promise: nil)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !done else { return }
        var buffer = unwrapInboundIn(data)
        // Never more than the longest header is kept: the parser decides within it.
        let take = min(buffer.readableBytes, ProxyHeader.maxLength - received.count)
        received += buffer.readBytes(length: take) ?? []
        switch ProxyHeader.parse(received) {
        case .incomplete where received.count < ProxyHeader.maxLength:
            return
        case .incomplete:
            refuse("PROXY header too long", context: context)
        case .invalid(let reason):
            refuse(reason, context: context)
        case .complete(let header, let length):
            done = true
            deadline?.cancel()
            // What followed the header in this read: the unread tail of `received`, then `buffer`.
            var rest = context.channel.allocator.buffer(capacity: received.count - length + buffer.readableBytes)
            rest.writeBytes(received[length...])
            rest.writeBuffer(&buffer)
            received = []
            self.rest = rest
            start(header, context: context)
        }
    }

    private func refuse(_ reason: String, context: ChannelHandlerContext) {
        done = true
        server.metrics.proxyHeadersRefused.increment()
        server.logger.debug("connection from a trusted proxy refused", metadata: [
            "reason": "\(reason)", "peer": "\(context.channel.remoteAddress?.clientAddressText ?? "?")",
        ])
        context.close(promise: nil)
    }

    private func start(_ header: ProxyHeader, context: ChannelHandlerContext) {
        let peer = context.channel.remoteAddress?.clientAddressText ?? "unknown"
        let clientAddress = header.source?.address.text ?? peer
        do {
            try HTTPRouter.start(on: context.channel, server: server, clientAddress: clientAddress)
        } catch {
            context.close(promise: nil)
            return
        }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    /// Leaving the pipeline: the bytes behind the header go to HTTP.
    func removeHandler(context: ChannelHandlerContext, removalToken: ChannelHandlerContext.RemovalToken) {
        if let rest, rest.readableBytes > 0, context.channel.isActive {
            context.fireChannelRead(wrapInboundOut(rest))
            context.fireChannelReadComplete()
        }
        rest = nil
        context.leavePipeline(removalToken: removalToken)
    }
}
