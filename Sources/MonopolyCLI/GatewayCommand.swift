import ArgumentParser
import Foundation
import Gateway
import Logging
import NIOCore
import ServiceLifecycle

/// `monopoly gateway`: the browser-facing WebSocket server.
struct GatewayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway",
        abstract: "Serve the browser client, /healthz, /metrics and WebSocket connections at /ws."
    )

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "TCP port to listen on (0 picks a free one).")
    var port = 8080

    @Flag(help: "Enable /echo, an endpoint that echoes every message (conformance and benchmarks).")
    var echo = false

    @Option(help: "Maximum open WebSocket connections; upgrades beyond get 503.")
    var maxConnections = 10_000

    @Option(help: "Seconds between server pings (0 disables).")
    var pingInterval: Double = 25

    @Option(help: "Seconds a ping may stay unanswered before the connection is closed.")
    var pongTimeout: Double = 10

    @Option(help: "Seconds a client has to send a complete HTTP request (slowloris).")
    var handshakeTimeout: Double = 10

    @Option(help: "Seconds without any data from a WebSocket client before it is closed (0 disables).")
    var idleTimeout: Double = 120

    @Option(help: "Seconds to wait for clients after sending close 1001 on SIGTERM/SIGINT.")
    var drainTimeout: Double = 5

    @Option(help: "Maximum message size at /ws, in bytes.")
    var maxMessageSize = 64 << 10

    @Option(help: "Allowed Origin for WebSocket upgrades (repeatable; default: any).")
    var allowedOrigin: [String] = []

    @Option(help: "Serve the browser client from this directory instead of the bundled files.")
    var staticDir: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical (default: $LOG_LEVEL or info).")
    var logLevel: String?

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0...65535") }
        guard maxConnections > 0 else { throw ValidationError("--max-connections must be positive") }
        guard pingInterval >= 0, pongTimeout > 0, handshakeTimeout > 0, idleTimeout >= 0, drainTimeout >= 0 else {
            throw ValidationError("timeouts must not be negative")
        }
        guard maxMessageSize > 0 else { throw ValidationError("--max-message-size must be positive") }
        _ = try CLILogging.level(flag: logLevel)
    }

    func gatewayConfiguration() -> GatewayConfiguration {
        var config = GatewayConfiguration(host: host, port: port)
        config.maxConnections = maxConnections
        config.pingInterval = pingInterval > 0 ? .seconds(pingInterval) : nil
        config.pongTimeout = .seconds(pongTimeout)
        config.handshakeTimeout = .seconds(handshakeTimeout)
        config.idleTimeout = idleTimeout > 0 ? .seconds(idleTimeout) : nil
        config.drainTimeout = .seconds(drainTimeout)
        config.allowedOrigins = allowedOrigin.isEmpty ? nil : Set(allowedOrigin)
        return config
    }

    func run() async throws {
        let logger = try CLILogging.bootstrap(label: "monopoly.gateway", flag: logLevel)
        let metrics = GatewayMetrics.bootstrappingMetricsSystem()

        var routes = [WebSocketRoute.game(endpoint: UnavailableEndpoint())]
        routes[0].limits = .init(maxFrameSize: maxMessageSize, maxMessageSize: maxMessageSize)
        if echo { routes.append(.echo()) }

        let staticFiles = try staticDir.map { try StaticFiles(directory: URL(fileURLWithPath: $0)) } ?? .bundled()
        let server = GatewayServer(
            configuration: gatewayConfiguration(), routes: routes, staticFiles: staticFiles,
            metrics: metrics, logger: logger
        )
        let group = ServiceGroup(
            services: [GatewayService(server: server)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        )
        try await group.run()
    }
}

extension TimeAmount {
    static func seconds(_ seconds: Double) -> TimeAmount {
        .nanoseconds(Int64((seconds * 1e9).rounded()))
    }
}
