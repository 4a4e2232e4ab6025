import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle

/// One answer of the operations endpoint.
public struct OperationsResponse: Sendable {
    public var status: HTTPResponseStatus
    public var contentType: String
    public var body: [UInt8]

    public init(status: HTTPResponseStatus = .ok, contentType: String, body: [UInt8]) {
        self.status = status
        self.contentType = contentType
        self.body = body
    }

    public static func json(_ text: String, status: HTTPResponseStatus = .ok) -> OperationsResponse {
        OperationsResponse(status: status, contentType: "application/json", body: Array((text + "\n").utf8))
    }

    /// `/healthz`: 200 when healthy, 503 otherwise (load balancers and orchestrators read the status).
    public static func health(_ json: String, healthy: Bool) -> OperationsResponse {
        .json(json, status: healthy ? .ok : .serviceUnavailable)
    }

    /// Prometheus text exposition format 0.0.4.
    public static func prometheus(_ bytes: [UInt8]) -> OperationsResponse {
        OperationsResponse(contentType: "text/plain; version=0.0.4; charset=utf-8", body: bytes)
    }
}

/// A small HTTP/1.1 server for processes that only need `/healthz` and `/metrics` (the authority):
/// GET and HEAD on fixed paths, each answered by an async closure. The gateway has its own router
/// (it also upgrades WebSockets and serves files); this one pulls in nothing of the relay.
public final class OperationsServer: Service, Sendable {
    public typealias Route = @Sendable () async -> OperationsResponse

    public let host: String
    public let port: Int
    private let routes: [String: Route]
    private let logger: Logger
    private let group: any EventLoopGroup
    private let channel = NIOLockedValueBox<(any Channel)?>(nil)

    public init(host: String, port: Int, routes: [String: Route], logger: Logger,
                eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.host = host
        self.port = port
        self.routes = routes
        self.logger = logger
        self.group = eventLoopGroup
    }

    /// Binds (port 0 picks a free port: read `localPort`).
    public func start() async throws {
        let routes = self.routes
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(OperationsHandler(routes: routes))
                }
            }
        let bound = try await bootstrap.bind(host: host, port: port).get()
        channel.withLockedValue { $0 = bound }
        logger.info("operations endpoint listening", metadata: [
            "address": "\(bound.localAddress.map { "\($0)" } ?? "?")", "paths": "\(routes.keys.sorted().joined(separator: ","))",
        ])
    }

    public var localPort: Int? { channel.withLockedValue { $0?.localAddress?.port } }

    public func stop() async {
        let listener = channel.withLockedValue { channel -> (any Channel)? in
            defer { channel = nil }
            return channel
        }
        try? await listener?.close()
    }

    /// As a service: serves until graceful shutdown.
    public func run() async throws {
        try await start()
        try? await gracefulShutdown()
        await stop()
    }
}

private final class OperationsHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let routes: [String: OperationsServer.Route]
    private var request: HTTPRequestHead?
    private var busy = false

    init(routes: [String: OperationsServer.Route]) {
        self.routes = routes
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            request = head
        case .body:
            break
        case .end:
            guard let head = request, !busy else { return }
            request = nil
            respond(to: head, context: context)
        }
    }

    private func respond(to head: HTTPRequestHead, context: ChannelHandlerContext) {
        let path = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? head.uri
        guard head.method == .GET || head.method == .HEAD else {
            return write(OperationsResponse(status: .methodNotAllowed, contentType: "text/plain", body: Array("use GET\n".utf8)),
                         for: head, context: context)
        }
        guard let route = routes[path] else {
            return write(OperationsResponse(status: .notFound, contentType: "text/plain", body: Array("not found\n".utf8)),
                         for: head, context: context)
        }
        busy = true
        let promise = context.eventLoop.makePromise(of: OperationsResponse.self)
        promise.completeWithTask { await route() }
        promise.futureResult.assumeIsolated().whenSuccess { response in
            self.busy = false
            self.write(response, for: head, context: context)
        }
    }

    private func write(_ response: OperationsResponse, for head: HTTPRequestHead, context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: response.contentType)
        headers.add(name: "content-length", value: String(response.body.count))
        headers.add(name: "cache-control", value: "no-store")
        let keepAlive = head.isKeepAlive
        headers.add(name: "connection", value: keepAlive ? "keep-alive" : "close")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: response.status, headers: headers))), promise: nil)
        if head.method != .HEAD {
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: response.body)))), promise: nil)
        }
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            done.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
    }
}
