import Foundation
import Testing
import Logging
import NIOCore
@testable import Gateway

/// A real `GatewayServer` on an ephemeral port, one event loop thread, quiet logs.
func makeTestServer(
    configure: (inout GatewayConfiguration) -> Void = { _ in },
    routes: [WebSocketRoute] = [.game(endpoint: UnavailableEndpoint()), .echo(maxMessageSize: 1 << 20)],
    healthChecks: HealthChecks = HealthChecks(timeout: .seconds(1)),
    staticFiles: StaticFiles = .bundled(),
    asyncRoutes: [AsyncRoute] = []
) -> GatewayServer {
    var config = GatewayConfiguration(host: "127.0.0.1", port: 0)
    config.eventLoopThreads = 1
    config.drainTimeout = .seconds(2)
    // Timers that are not under test stay out of the way of slow, parallel test runs; the tests of
    // those timers set them explicitly.
    config.pingInterval = nil
    config.handshakeTimeout = .seconds(60)
    configure(&config)
    var logger = Logger(label: "gateway-test")
    logger.logLevel = .critical
    return GatewayServer(
        configuration: config, routes: routes, staticFiles: staticFiles,
        healthChecks: healthChecks, asyncRoutes: asyncRoutes, logger: logger
    )
}

/// Starts a test server for the duration of `body`, then shuts it down.
func withServer<T: Sendable>(
    configure: (inout GatewayConfiguration) -> Void = { _ in },
    routes: [WebSocketRoute] = [.game(endpoint: UnavailableEndpoint()), .echo(maxMessageSize: 1 << 20)],
    healthChecks: HealthChecks = HealthChecks(timeout: .seconds(1)),
    asyncRoutes: [AsyncRoute] = [],
    _ body: (GatewayServer, Int) async throws -> T
) async throws -> T {
    let server = makeTestServer(configure: configure, routes: routes, healthChecks: healthChecks, asyncRoutes: asyncRoutes)
    try await server.start()
    let port = try #require(server.localPort)
    do {
        let result = try await body(server, port)
        await server.shutdown()
        return result
    } catch {
        await server.shutdown()
        throw error
    }
}

/// Polls `condition` until it holds or `timeout` passes.
func eventually(timeout: Duration = .seconds(30), _ condition: @Sendable () async -> Bool) async -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while clock.now < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return await condition()
}

/// A metric sample from the Prometheus text (first line starting with `name`).
func metricValue(_ text: String, _ name: String) -> Double? {
    for line in text.split(separator: "\n") where line.hasPrefix(name + " ") {
        return Double(line.split(separator: " ").last ?? "")
    }
    return nil
}
