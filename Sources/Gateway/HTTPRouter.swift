import Foundation
import Logging
import NIOCore
import NIOHTTP1
import WebSocket

/// Everything the per-connection HTTP handlers share.
struct ServerContext: Sendable {
    var configuration: GatewayConfiguration
    var originPolicy: OriginPolicy
    var routes: [String: WebSocketRoute]
    var staticFiles: StaticFiles
    var healthChecks: HealthChecks
    var asyncRoutes: [AsyncRoute] = []
    var metrics: GatewayMetrics
    var registry: ConnectionRegistry
    var logger: Logger
}

/// The HTTP/1.1 side of a connection: routes `/healthz`, `/metrics`, static files and WebSocket
/// upgrades, enforces the request deadline (slowloris), and on a successful upgrade replaces the
/// HTTP handlers with a `WebSocketChannelHandler`, handing over any bytes that arrived behind the
/// upgrade request.
final class HTTPRouter: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private enum State {
        case idle
        case head(HTTPRequestHead, bodyBytes: Int)
        /// A response is being produced asynchronously (health checks); later parts wait.
        case responding
        /// The 101 is out; inbound data is raw WebSocket bytes kept until the handler takes over.
        case upgrading
        case closed
    }

    private static let maxBodyBytes = 64 << 10
    private static let maxQueuedParts = 64

    private let server: ServerContext
    /// Who this connection is: the socket's peer, or the client a trusted proxy named.
    private let clientAddress: String
    private let encoder: HTTPResponseEncoder
    private let decoder: ByteToMessageHandler<HTTPRequestDecoder>
    private var state = State.idle
    private var queuedParts: [HTTPServerRequestPart] = []
    private var upgradeBuffer: [NIOAny] = []
    private var requestDeadline: Scheduled<Void>?

    init(server: ServerContext, clientAddress: String, encoder: HTTPResponseEncoder, decoder: ByteToMessageHandler<HTTPRequestDecoder>) {
        self.server = server
        self.clientAddress = clientAddress
        self.encoder = encoder
        self.decoder = decoder
    }

    /// Counts a connection against its client address's limit and installs the HTTP pipeline, once
    /// the client is known (at accept, or after a trusted proxy's header); a client that already
    /// has `maxConnectionsPerClient` connections waiting for their request is closed.
    static func start(on channel: any Channel, server: ServerContext, clientAddress: String) throws {
        switch server.registry.identifyHTTP(channel, clientAddress: clientAddress) {
        case .admitted:
            try install(on: channel, server: server, clientAddress: clientAddress)
        case .perClient:
            server.metrics.rejected(.perClientHTTP)
            server.logger.debug("connection refused: too many from this client", metadata: ["client": "\(clientAddress)"])
            channel.close(promise: nil)
        case .full, .draining:
            // Already closed or being closed by the shutdown.
            channel.close(promise: nil)
        }
    }

    private static func install(on channel: any Channel, server: ServerContext, clientAddress: String) throws {
        let encoder = HTTPResponseEncoder()
        let decoder = ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .forwardBytes))
        let router = HTTPRouter(server: server, clientAddress: clientAddress, encoder: encoder, decoder: decoder)
        try channel.pipeline.syncOperations.addHandlers([encoder, decoder, router])
    }

    func handlerAdded(context: ChannelHandlerContext) {
        armRequestDeadline(context: context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        requestDeadline?.cancel()
    }

    func channelInactive(context: ChannelHandlerContext) {
        requestDeadline?.cancel()
        state = .closed
        context.fireChannelInactive()
    }

    // MARK: reading

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch state {
        case .upgrading:
            upgradeBuffer.append(data)
        case .closed:
            return
        case .responding:
            queuedParts.append(unwrapInboundIn(data))
            if queuedParts.count > Self.maxQueuedParts { context.close(promise: nil) }
        case .idle, .head:
            handle(unwrapInboundIn(data), context: context)
        }
    }

    private func handle(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        switch (part, state) {
        case (.head(let head), .idle):
            state = .head(head, bodyBytes: 0)
        case (.body(let body), .head(let head, let bodyBytes)):
            let total = bodyBytes + body.readableBytes
            if total > Self.maxBodyBytes {
                respond(context: context, head: head, status: .payloadTooLarge, text: "request body too large", close: true)
                return
            }
            state = .head(head, bodyBytes: total)
        case (.end, .head(let head, _)):
            requestDeadline?.cancel()
            requestDeadline = nil
            server.metrics.httpRequests.increment()
            route(head, context: context)
        default:
            context.close(promise: nil)
            state = .closed
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        var awaitingRequest = false
        switch state {
        case .idle, .head: awaitingRequest = true
        default: break
        }
        if error is HTTPParserError, awaitingRequest {
            // Malformed request: answer 400 once, then close.
            let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/")
            respond(context: context, head: head, status: .badRequest, text: "malformed HTTP request", close: true)
        } else {
            server.logger.debug("http channel error", metadata: ["error": "\(error)"])
            context.close(promise: nil)
        }
        state = .closed
    }

    // MARK: routing

    private func route(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        let path = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? head.uri
        if let wsRoute = server.routes[path] {
            upgrade(head, route: wsRoute, context: context)
            return
        }
        // Any other request carrying an Upgrade made llhttp stop parsing: answer and close.
        let mustClose = head.headers.contains(name: "upgrade")
        switch path {
        case "/healthz":
            guard head.method == .GET || head.method == .HEAD else {
                return respond(context: context, head: head, status: .methodNotAllowed, text: "use GET", close: mustClose)
            }
            respondHealth(head, context: context, close: mustClose)
        case "/metrics":
            guard head.method == .GET || head.method == .HEAD else {
                return respond(context: context, head: head, status: .methodNotAllowed, text: "use GET", close: mustClose)
            }
            var headers = HTTPHeaders()
            headers.add(name: "content-type", value: "text/plain; version=0.0.4; charset=utf-8")
            headers.add(name: "cache-control", value: "no-store")
            respond(context: context, head: head, status: .ok, headers: headers,
                    body: ByteBuffer(bytes: server.metrics.render()), close: mustClose)
        default:
            if let asyncRoute = server.asyncRoutes.first(where: { path.hasPrefix($0.prefix) }) {
                guard head.method == .GET || head.method == .HEAD else {
                    return respond(context: context, head: head, status: .methodNotAllowed, text: "use GET", close: mustClose)
                }
                return respondAsync(head, path: path, route: asyncRoute, context: context, close: mustClose)
            }
            serveStatic(head, context: context, close: mustClose)
        }
    }

    /// Like `/healthz`: later requests on the connection wait for the answer.
    private func respondAsync(_ head: HTTPRequestHead, path: String, route: AsyncRoute, context: ChannelHandlerContext, close: Bool) {
        state = .responding
        let promise = context.eventLoop.makePromise(of: AsyncRoute.Response.self)
        promise.completeWithTask { await route.respond(path) }
        promise.futureResult.assumeIsolated().whenComplete { result in
            let response = (try? result.get()) ?? .text(.internalServerError, "internal error")
            guard case .responding = self.state else {
                response.written?()  // the connection closed meanwhile: nothing is held
                return
            }
            self.state = .idle
            var headers = HTTPHeaders()
            for field in response.headers { headers.add(name: field.name, value: field.value) }
            self.respond(context: context, head: head, status: response.status, headers: headers, body: response.body, close: close,
                         written: response.written)
            self.drainQueuedParts(context: context)
        }
    }

    private func serveStatic(_ head: HTTPRequestHead, context: ChannelHandlerContext, close: Bool) {
        guard head.method == .GET || head.method == .HEAD else {
            var headers = HTTPHeaders()
            headers.add(name: "allow", value: "GET, HEAD")
            return respond(context: context, head: head, status: .methodNotAllowed, headers: headers,
                           body: ByteBuffer(string: "method not allowed\n"), close: close)
        }
        guard let file = server.staticFiles.lookup(target: head.uri) else {
            return respond(context: context, head: head, status: .notFound, text: "not found", close: close)
        }
        var headers = HTTPHeaders()
        headers.add(name: "etag", value: file.etag)
        headers.add(name: "cache-control", value: file.cacheControl)
        if head.headers["if-none-match"].contains(where: { $0.split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces) == file.etag } }) {
            return respond(context: context, head: head, status: .notModified, headers: headers, body: nil, close: close)
        }
        headers.add(name: "content-type", value: file.contentType)
        respond(context: context, head: head, status: .ok, headers: headers, body: file.body, close: close)
    }

    private func respondHealth(_ head: HTTPRequestHead, context: ChannelHandlerContext, close: Bool) {
        state = .responding
        let server = self.server
        let promise = context.eventLoop.makePromise(of: HealthChecks.Report.self)
        promise.completeWithTask { await server.healthChecks.evaluate() }
        promise.futureResult.assumeIsolated().whenComplete { result in
            guard case .responding = self.state else { return }
            self.state = .idle
            let report = (try? result.get()) ?? HealthChecks.Report(healthy: false, results: [])
            let draining = server.registry.isDraining
            let status = draining ? "draining" : (report.healthy ? "ok" : "unhealthy")
            var checks: [String] = []
            for (name, result) in report.results {
                var entry = #"{"status":"# + JSONText.quoted(result.healthy ? "ok" : "failing")
                if let detail = result.detail { entry += #","detail":"# + JSONText.quoted(detail) }
                checks.append(JSONText.quoted(name) + ":" + entry + "}")
            }
            let json = #"{"status":"# + JSONText.quoted(status)
                + #","checks":{"# + checks.joined(separator: ",") + "}"
                + #","connections":\#(server.registry.webSocketCount)"#
                + #","draining":\#(draining)}"# + "\n"
            var headers = HTTPHeaders()
            headers.add(name: "content-type", value: "application/json")
            headers.add(name: "cache-control", value: "no-store")
            self.respond(context: context, head: head, status: report.healthy && !draining ? .ok : .serviceUnavailable,
                         headers: headers, body: ByteBuffer(string: json), close: close)
            self.drainQueuedParts(context: context)
        }
    }

    private func drainQueuedParts(context: ChannelHandlerContext) {
        while !queuedParts.isEmpty {
            switch state {
            case .idle, .head:
                handle(queuedParts.removeFirst(), context: context)
            default:
                return
            }
        }
    }

    // MARK: upgrade

    private func upgrade(_ head: HTTPRequestHead, route: WebSocketRoute, context: ChannelHandlerContext) {
        let headers = head.headers.map { HTTPHeaderField(name: $0.name, value: $0.value) }
        let result = OpeningHandshake.evaluate(
            method: head.method.rawValue,
            httpVersion: (Int(head.version.major), Int(head.version.minor)),
            headers: headers,
            originPolicy: server.originPolicy
        )
        switch result {
        case .reject(let status, let reason, let extra):
            server.metrics.handshakeFailed(status: status)
            var responseHeaders = HTTPHeaders()
            for field in extra { responseHeaders.add(name: field.name, value: field.value) }
            server.logger.debug("websocket handshake rejected", metadata: [
                "status": "\(status)", "reason": "\(reason)", "client": "\(clientAddress)",
            ])
            respond(context: context, head: head, status: HTTPResponseStatus(statusCode: status), headers: responseHeaders,
                    body: ByteBuffer(string: reason + "\n"), close: true)
        case .accept(var acceptHeaders):
            let deflate = server.configuration.perMessageDeflate ? PerMessageDeflate.negotiate(headers: headers) : nil
            if let deflate {
                acceptHeaders.append(HTTPHeaderField(name: "Sec-WebSocket-Extensions", value: deflate.responseHeaderValue))
            }
            switch server.registry.reserveWebSocket(clientAddress: clientAddress) {
            case .perClient:
                server.metrics.rejected(.perClient)
                server.logger.debug("websocket refused: too many from this client", metadata: ["client": "\(clientAddress)"])
                respond(context: context, head: head, status: .tooManyRequests, headers: retryAfter(),
                        body: ByteBuffer(string: "too many connections from your address\n"), close: true)
            case .full:
                server.metrics.rejected(.maxConnections)
                respond(context: context, head: head, status: .serviceUnavailable, headers: retryAfter(),
                        body: ByteBuffer(string: "too many connections\n"), close: true)
            case .draining:
                server.metrics.rejected(.draining)
                respond(context: context, head: head, status: .serviceUnavailable, headers: retryAfter(),
                        body: ByteBuffer(string: "server shutting down\n"), close: true)
            case .admitted:
                performUpgrade(head, route: route, acceptHeaders: acceptHeaders, deflate: deflate, context: context)
            }
        }
    }

    private func retryAfter() -> HTTPHeaders {
        var headers = HTTPHeaders()
        headers.add(name: "retry-after", value: "5")
        return headers
    }

    private func performUpgrade(
        _ head: HTTPRequestHead, route: WebSocketRoute, acceptHeaders: [HTTPHeaderField], deflate: PerMessageDeflate?,
        context: ChannelHandlerContext
    ) {
        state = .upgrading
        requestDeadline?.cancel()
        requestDeadline = nil
        let channel = context.channel
        let registry = server.registry
        let clientAddress = self.clientAddress
        registry.removeHTTP(channel)

        var response = "HTTP/1.1 101 Switching Protocols\r\n"
        for field in acceptHeaders { response += "\(field.name): \(field.value)\r\n" }
        response += "\r\n"

        let id = registry.makeConnectionID()
        let settings = WebSocketChannelHandler.Settings(
            route: route,
            pingInterval: server.configuration.pingInterval,
            pongTimeout: server.configuration.pongTimeout,
            idleTimeout: server.configuration.idleTimeout,
            closeTimeout: server.configuration.closeTimeout,
            fragmentTimeout: server.configuration.fragmentTimeout,
            deflate: deflate
        )
        let handler = WebSocketChannelHandler(
            id: id, clientAddress: clientAddress, settings: settings,
            metrics: server.metrics, registry: registry, logger: server.logger
        )

        let pipeline = context.pipeline.syncOperations
        // The 101 goes out as raw bytes, so the HTTP encoder leaves first.
        pipeline.removeHandler(encoder, promise: nil)
        context.writeAndFlush(NIOAny(ByteBuffer(string: response)), promise: nil)
        // Removing the decoder forwards whatever it still holds (bytes pipelined behind the
        // request) to us; we keep them until the WebSocket handler is in place.
        pipeline.removeHandler(decoder).assumeIsolated().whenComplete { result in
            guard case .success = result, channel.isActive else {
                registry.cancelReservation(clientAddress: clientAddress)
                context.close(promise: nil)
                return
            }
            do {
                try context.pipeline.syncOperations.addHandler(handler, position: .after(self))
            } catch {
                registry.cancelReservation(clientAddress: clientAddress)
                context.close(promise: nil)
                return
            }
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        }
    }

    /// Leaving the pipeline after an upgrade: replay the buffered bytes to the WebSocket handler.
    func removeHandler(context: ChannelHandlerContext, removalToken: ChannelHandlerContext.RemovalToken) {
        let buffered = upgradeBuffer
        upgradeBuffer.removeAll()
        for data in buffered { context.fireChannelRead(data) }
        if !buffered.isEmpty { context.fireChannelReadComplete() }
        context.leavePipeline(removalToken: removalToken)
    }

    // MARK: responses

    private func respond(
        context: ChannelHandlerContext, head request: HTTPRequestHead, status: HTTPResponseStatus,
        text: String, close: Bool
    ) {
        respond(context: context, head: request, status: status, headers: HTTPHeaders(),
                body: ByteBuffer(string: text + "\n"), close: close)
    }

    private func respond(
        context: ChannelHandlerContext, head request: HTTPRequestHead, status: HTTPResponseStatus,
        headers: HTTPHeaders, body: ByteBuffer?, close: Bool, written: (@Sendable () -> Void)? = nil
    ) {
        let keepAlive = request.isKeepAlive && !close && server.registry.isDraining == false
        var headers = headers
        if !headers.contains(name: "content-type"), body != nil {
            headers.add(name: "content-type", value: "text/plain; charset=utf-8")
        }
        if status != .notModified {
            headers.replaceOrAdd(name: "content-length", value: String(body?.readableBytes ?? 0))
        }
        headers.replaceOrAdd(name: "connection", value: keepAlive ? "keep-alive" : "close")
        SecurityHeaders.add(to: &headers, host: request.headers.first(name: "host"))
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        if let body, request.method != .HEAD, status != .notModified {
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
        let end = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if let written { end.whenComplete { _ in written() } }
        if keepAlive {
            state = .idle
        } else {
            state = .closed
            end.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
        // Keep-alive: the next request must come within the deadline. Either way, a response the
        // client does not read is dropped then, with its connection: its body is not held for ever.
        armRequestDeadline(context: context)
    }

    /// The next complete request must arrive within the handshake timeout.
    private func armRequestDeadline(context: ChannelHandlerContext) {
        requestDeadline?.cancel()
        let metrics = server.metrics
        requestDeadline = context.eventLoop.assumeIsolated().scheduleTask(in: server.configuration.handshakeTimeout) {
            metrics.handshakeTimeouts.increment()
            self.state = .closed
            context.close(promise: nil)
        }
    }
}
