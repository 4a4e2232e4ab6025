import NIOConcurrencyHelpers
import NIOCore
import Testing
import WebSocket
@testable import Gateway

/// Records the client address of every connection it sees.
final class AddressRecorder: WebSocketEndpoint {
    let addresses = NIOLockedValueBox<[String]>([])
    func connectionOpened(_ connection: WebSocketConnection) {
        addresses.withLockedValue { $0.append(connection.clientAddress) }
    }
    func connection(_ connection: WebSocketConnection, received message: WebSocketMessage) {}
}

@Suite("Client address: per connection, without the port")
struct ClientAddressTests {
    @Test(arguments: [
        ("127.0.0.1", "127.0.0.1"),
        ("::1", "::1"),
        ("2001:db8::7", "2001:db8::7"),
        ("::ffff:10.1.2.3", "10.1.2.3"),
    ])
    func textOfASocketAddress(_ ip: String, _ expected: String) throws {
        #expect(try SocketAddress(ipAddress: ip, port: 43_210).clientAddressText == expected)
    }

    @Test(arguments: [
        ("127.0.0.1", "127.0.0.1"),
        ("10.1.2.3", "10.1.2.3"),
        ("::ffff:10.1.2.3", "10.1.2.3"),
        ("2001:db8:0:1::7", "2001:db8:0:1::/64"),
        ("2001:db8:0:1:ffff:ffff:ffff:ffff", "2001:db8:0:1::/64"),
        ("2001:db8:0:2::7", "2001:db8:0:2::/64"),
        ("::1", "::/64"),
        ("fe80::1:2:3:4", "fe80::/64"),
        ("2001:db8:aaaa:bbbb:cccc::1", "2001:db8:aaaa:bbbb::/64"),
        ("local", "local"),
        ("unknown", "unknown"),
    ])
    func limitKeyIsTheIPv4AddressOrTheIPv6Slash64(_ client: String, _ expected: String) {
        #expect(IPAddress.limitKey(ofClient: client) == expected)
    }

    @Test func everyConnectionKnowsItsClientAddress() async throws {
        let recorder = AddressRecorder()
        try await withServer(routes: [WebSocketRoute(path: "/ws", endpoint: recorder)]) { _, port in
            try await offload {
                let client = try TestClient(port: port)
                try client.upgrade(path: "/ws")
            }
            #expect(await eventually { recorder.addresses.withLockedValue { $0 } == ["127.0.0.1"] })
        }
    }
}

@Suite("Per-client-address connection limits")
struct PerClientLimitTests {
    @Test func registryCountsEachAddressAndForgetsItAtZero() {
        let registry = ConnectionRegistry(maxConnections: 100, maxHTTPConnections: 100, maxConnectionsPerClient: 2)
        #expect(registry.reserveWebSocket(clientAddress: "10.0.0.1") == .admitted)
        #expect(registry.reserveWebSocket(clientAddress: "10.0.0.1") == .admitted)
        #expect(registry.reserveWebSocket(clientAddress: "10.0.0.1") == .perClient)
        // Another address has its own quota.
        #expect(registry.reserveWebSocket(clientAddress: "10.0.0.2") == .admitted)
        #expect(registry.trackedClientAddresses == 2)
        registry.cancelReservation(clientAddress: "10.0.0.1")
        #expect(registry.reserveWebSocket(clientAddress: "10.0.0.1") == .admitted)
        for address in ["10.0.0.1", "10.0.0.1", "10.0.0.2"] { registry.cancelReservation(clientAddress: address) }
        #expect(registry.trackedClientAddresses == 0)
        #expect(registry.webSocketCount == 0)
    }

    @Test func addressesOfOneIPv6Slash64ShareOneQuota() {
        let registry = ConnectionRegistry(maxConnections: 100, maxHTTPConnections: 100, maxConnectionsPerClient: 2)
        #expect(registry.reserveWebSocket(clientAddress: "2001:db8:0:1::1") == .admitted)
        #expect(registry.reserveWebSocket(clientAddress: "2001:db8:0:1::2") == .admitted)
        #expect(registry.reserveWebSocket(clientAddress: "2001:db8:0:1:ffff::3") == .perClient)
        #expect(registry.reserveWebSocket(clientAddress: "2001:db8:0:2::1") == .admitted)
        #expect(registry.trackedClientAddresses == 2)
    }

    @Test func upgradeBeyondTheLimitGets429AndAFreedSlotIsReused() async throws {
        try await withServer(configure: { $0.maxConnectionsPerClient = 2 }) { server, port in
            let b = try await offload {
                let a = try TestClient(port: port)
                try a.upgrade()
                let b = try TestClient(port: port)
                try b.upgrade()
                let c = try TestClient(port: port)
                try c.send(TestClient.upgradeRequest(path: "/echo"))
                let refused = try c.readHTTPResponse()
                #expect(refused.status == 429)
                #expect(refused.header("retry-after") != nil)
                #expect(try c.waitForEOF())
                try a.sendClose(code: 1000)
                _ = try a.readDataOrClose()
                #expect(try a.waitForEOF())
                return b
            }
            #expect(await eventually { server.connectionCount == 1 })
            try await offload {
                let d = try TestClient(port: port)
                try d.upgrade()
                try d.sendText("still served")
                #expect(try d.readDataOrClose().text == "still served")
            }
            let metrics = String(decoding: server.metrics.render(), as: UTF8.self)
            #expect(metrics.contains(#"monopoly_gateway_connections_rejected_total{reason="per_client"} 1"#))
            _ = b
        }
    }

    @Test func waitingConnectionsPerAddressAreBoundedAndTheTablesEmpty() async throws {
        try await withServer(configure: { $0.maxConnectionsPerClient = 2 }) { server, port in
            try await offload {
                // Two connections that never send a request hold the address's two waiting slots.
                let idle = try (0..<2).map { _ in try TestClient(port: port) }
                let third = try TestClient(port: port)
                #expect(try third.waitForEOF())
                // A waiting connection that upgrades frees its waiting slot.
                try idle[0].upgrade()
                let fourth = try TestClient(port: port)
                let page = try fourth.get("/healthz")
                #expect(page.status == 200 || page.status == 503)
            }
            let metrics = String(decoding: server.metrics.render(), as: UTF8.self)
            #expect(metrics.contains(#"monopoly_gateway_connections_rejected_total{reason="per_client_http"} 1"#))
            #expect(await eventually { server.registry.trackedClientAddresses == 0 })
        }
    }
}
