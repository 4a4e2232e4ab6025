import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ServiceLifecycle
import WebSocket

/// The gateway's listening socket and the life of everything accepted on it.
///
/// `start()` binds (port 0 picks a free port: read `localPort`), `shutdown()` stops accepting, sends
/// close 1001 to every WebSocket client, waits up to the drain timeout for them to go, then drops the
/// rest. `GatewayService` runs it inside a swift-service-lifecycle `ServiceGroup`.
public final class GatewayServer: Sendable {
    public let configuration: GatewayConfiguration
    public let healthChecks: HealthChecks
    public let metrics: GatewayMetrics
    public let logger: Logger
    private let server: ServerContext
    private let group: any EventLoopGroup
    private let ownsGroup: Bool
    private let channel = NIOLockedValueBox<(any Channel)?>(nil)
    let registry: ConnectionRegistry

    /// - Parameters:
    ///   - routes: WebSocket paths (e.g. `.game(endpoint:)` at `/ws`, `.echo()` at `/echo`).
    ///   - staticFiles: the browser client (default: the bundled `Public` directory).
    ///   - eventLoopGroup: share one with other components; otherwise the server makes and owns one.
    public init(
        configuration: GatewayConfiguration,
        routes: [WebSocketRoute],
        staticFiles: StaticFiles = .bundled(),
        healthChecks: HealthChecks = HealthChecks(),
        asyncRoutes: [AsyncRoute] = [],
        metrics: GatewayMetrics = GatewayMetrics(),
        eventLoopGroup: (any EventLoopGroup)? = nil,
        logger: Logger = Logger(label: "monopoly.gateway")
    ) {
        self.configuration = configuration
        self.healthChecks = healthChecks
        self.metrics = metrics
        self.logger = logger
        self.registry = ConnectionRegistry(
            maxConnections: configuration.maxConnections,
            maxHTTPConnections: configuration.maxHTTPConnections,
            maxConnectionsPerClient: configuration.maxConnectionsPerClient
        )
        metrics.maxConnections.record(configuration.maxConnections)
        if let eventLoopGroup {
            self.group = eventLoopGroup
            self.ownsGroup = false
        } else {
            self.group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, configuration.eventLoopThreads))
            self.ownsGroup = true
        }
        self.server = ServerContext(
            configuration: configuration,
            originPolicy: OriginPolicy(allowed: configuration.allowedOrigins),
            routes: Dictionary(routes.map { ($0.path, $0) }, uniquingKeysWith: { _, last in last }),
            staticFiles: staticFiles,
            healthChecks: healthChecks,
            asyncRoutes: asyncRoutes,
            metrics: metrics,
            registry: registry,
            logger: logger
        )
    }

    /// Binds and starts accepting.
    public func start() async throws {
        let server = self.server
        let registry = self.registry
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: configuration.backlog)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                switch registry.admitHTTP(channel) {
                case .admitted:
                    channel.closeFuture.whenComplete { _ in registry.removeHTTP(channel) }
                    return channel.eventLoop.makeCompletedFuture {
                        // Only a trusted proxy may name the client; anyone else is the client.
                        if let peer = channel.remoteAddress, server.configuration.trustedProxies.contains(peer) {
                            try channel.pipeline.syncOperations.addHandler(ProxyProtocolHandler(server: server))
                        } else {
                            try HTTPRouter.start(
                                on: channel, server: server,
                                clientAddress: channel.remoteAddress?.clientAddressText ?? "unknown")
                        }
                    }
                case .full:
                    server.metrics.rejected(.maxHTTPConnections)
                    return channel.close()
                case .draining, .perClient:
                    server.metrics.rejected(.draining)
                    return channel.close()
                }
            }
        if server.staticFiles.paths.isEmpty {
            logger.warning("no static files to serve: the resource bundle (MonopolyRelay_Gateway.resources) is not next to the executable; pass --static-dir")
        }
        let bound = try await bootstrap.bind(host: configuration.host, port: configuration.port).get()
        channel.withLockedValue { $0 = bound }
        logger.info("gateway listening", metadata: [
            "address": "\(bound.localAddress.map { "\($0)" } ?? "?")",
            "routes": "\(server.routes.keys.sorted().joined(separator: ","))",
            "static_files": "\(server.staticFiles.paths.count)",
            "trusted_proxies": "\(configuration.trustedProxies)",
        ])
    }

    /// The bound port (after `start()`).
    public var localPort: Int? {
        channel.withLockedValue { $0?.localAddress?.port }
    }

    /// Open WebSocket connections.
    public var connectionCount: Int { registry.webSocketCount }

    /// Completes when the listening socket closes.
    public var onClose: EventLoopFuture<Void>? {
        channel.withLockedValue { $0?.closeFuture }
    }

    /// Graceful stop: stop accepting, close every WebSocket with 1001, wait up to `drainTimeout`,
    /// drop whatever is left, release the event loops (when owned).
    public func shutdown(drainTimeout: TimeAmount? = nil) async {
        let listener = channel.withLockedValue { channel -> (any Channel)? in
            defer { channel = nil }
            return channel
        }
        try? await listener?.close()
        let (http, webSockets) = registry.beginDraining()
        logger.info("gateway draining", metadata: ["websockets": "\(webSockets.count)", "http": "\(http.count)"])
        for connection in webSockets {
            connection.close(code: .goingAway, reason: "server shutting down")
        }
        for channel in http { channel.close(promise: nil) }

        let deadline = NIODeadline.now() + (drainTimeout ?? configuration.drainTimeout)
        while !registry.isEmpty && NIODeadline.now() < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        if !registry.isEmpty {
            let (http, webSockets) = registry.beginDraining()
            logger.info("drain timeout, dropping remaining connections", metadata: ["websockets": "\(webSockets.count)"])
            for connection in webSockets { connection.dropTransport() }
            for channel in http { channel.close(promise: nil) }
        }
        if ownsGroup {
            try? await group.shutdownGracefully()
        }
        logger.info("gateway stopped")
    }
}

/// Runs a `GatewayServer` in a `ServiceGroup`: starts it, and on graceful shutdown (SIGTERM/SIGINT
/// when the group is configured so) drains it.
public struct GatewayService: Service {
    public let server: GatewayServer

    public init(server: GatewayServer) {
        self.server = server
    }

    public func run() async throws {
        try await server.start()
        // Returns on graceful shutdown or cancellation; either way, drain.
        try? await gracefulShutdown()
        await server.shutdown()
    }
}
