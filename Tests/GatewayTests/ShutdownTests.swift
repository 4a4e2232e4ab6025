import Foundation
import Logging
import Testing
@testable import Gateway

@Suite("Graceful shutdown")
struct ShutdownTests {
    @Test func shutdownSendsGoingAwayAndWaitsForClients() async throws {
        let server = makeTestServer(routes: [.echo()])
        try await server.start()
        let port = try #require(server.localPort)

        let clients = try await offload {
            try (0..<3).map { _ in
                let client = try TestClient(port: port)
                try client.upgrade()
                return client
            }
        }
        #expect(await eventually { server.connectionCount == 3 })

        let started = ContinuousClock.now
        async let stopped: Void = server.shutdown(drainTimeout: .seconds(60))
        let codes = try await offload {
            try clients.map { try $0.answerServerClose() }
        }
        await stopped
        #expect(codes == [1001, 1001, 1001])
        // Everyone answered, so shutdown did not sit out the drain timeout.
        #expect(ContinuousClock.now - started < .seconds(30))
        // No longer accepting.
        #expect(throws: (any Error).self) { try TestClient(port: port) }
    }

    @Test func drainTimeoutDropsClientsThatDoNotAnswer() async throws {
        let server = makeTestServer(configure: { $0.closeTimeout = .seconds(120) }, routes: [.echo()])
        try await server.start()
        let port = try #require(server.localPort)
        let client = try await offload {
            let client = try TestClient(port: port)
            try client.upgrade()
            return client
        }
        let started = ContinuousClock.now
        await server.shutdown(drainTimeout: .milliseconds(300))
        // Well below the 120 s close timeout: the drain timeout dropped the silent client.
        #expect(ContinuousClock.now - started < .seconds(30))
        try await offload { () throws in
            #expect(try client.readDataOrClose().closeCode == 1001)
            #expect(try client.waitForEOF())
        }
    }
}
