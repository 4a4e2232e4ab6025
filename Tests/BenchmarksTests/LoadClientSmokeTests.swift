@testable import Benchmarks
import Foundation
import Gateway
import Testing

/// Short runs of the load generator against an in-process gateway: outcomes, never timings.
@Suite struct LoadClientSmokeTests {
    private func withEchoGateway(_ body: (Int) async throws -> Void) async throws {
        var configuration = GatewayConfiguration(host: "127.0.0.1", port: 0)
        configuration.eventLoopThreads = 1
        let server = GatewayServer(configuration: configuration, routes: [.echo()])
        try await server.start()
        do {
            try await body(server.localPort!)
        } catch {
            await server.shutdown(drainTimeout: .milliseconds(200))
            throw error
        }
        await server.shutdown(drainTimeout: .milliseconds(200))
    }

    @Test func benchEchoDeliversEveryMessageBack() async throws {
        try await withEchoGateway { port in
            for size in [128, 70_000] {
                var options = EchoBenchmark.Options()
                options.connections = 4
                options.size = size
                options.pipeline = 2
                options.duration = 0.5
                options.warmup = 0.1
                let figures = try await EchoBenchmark.run(options, url: WebSocketURL(host: "127.0.0.1", port: port, path: "/echo"))
                #expect(figures.messages > 0)
                #expect(figures.errors == 0)
                #expect(figures.latencyMilliseconds.p50 > 0)
            }
        }
    }

    @Test func benchConnectionsHoldsThemAll() async throws {
        try await withEchoGateway { port in
            var options = ConnectionsBenchmark.Options()
            options.url = "ws://127.0.0.1:\(port)/echo"
            options.count = 50
            options.concurrency = 16
            options.hold = 0.2
            let report = try await ConnectionsBenchmark.run(options, progress: { _ in })
            #expect(report.opened == 50)
            #expect(report.held == 50)
            #expect(report.failed == 0)
        }
    }
}

/// The fan-out spectators reach a gateway by name, and report a refused `spectate` as such.
@Suite struct SpectatorSwarmTests {
    @Test func spectatorsConnectByHostNameAndReportTheRefusal() async throws {
        // Listening on every interface: the machine's own name resolves to one of them.
        var configuration = GatewayConfiguration(host: "0.0.0.0", port: 0)
        configuration.eventLoopThreads = 1
        // Without a relay, /ws answers every request with an error: the spectate is refused.
        let server = GatewayServer(configuration: configuration, routes: [.game(endpoint: UnavailableEndpoint())])
        try await server.start()
        defer { Task { await server.shutdown(drainTimeout: .milliseconds(200)) } }
        let swarm = try SpectatorSwarm(game: "ABC234", threads: 1)
        do {
            try await swarm.connect(count: 2, to: [WebSocketURL(host: ProcessInfo.processInfo.hostName, port: server.localPort!, path: "/ws")],
                                    timeout: 10, progress: { _ in })
            Issue.record("the spectate was not refused")
        } catch {
            #expect("\(error)".contains("refused"), "\(error)")
            #expect("\(error)".contains("unavailable"), "\(error)")
        }
        #expect(throws: (any Error).self) {
            try SpectatorSwarm.resolve(WebSocketURL(host: "no-such-host.invalid", port: 80, path: "/ws"))
        }
    }
}
