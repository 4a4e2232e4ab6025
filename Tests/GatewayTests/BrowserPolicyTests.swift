import Testing
@testable import Gateway

@Suite("Browser policy: Origin of WebSocket upgrades")
struct BrowserPolicyTests {
    /// The status of an upgrade to /ws with `headers` (TestClient sends `Host: 127.0.0.1`).
    static func upgradeStatus(port: Int, _ headers: [String: String]) throws -> Int {
        let client = try TestClient(port: port)
        try client.send(TestClient.upgradeRequest(path: "/ws", extraHeaders: headers))
        return try client.readHTTPResponse().status
    }

    @Test func foreignOriginsGet403AndTheRequestedHostOrAListedOneGetIn() async throws {
        try await withServer(configure: { $0.allowedOrigins = ["https://play.monopoly.example"] }) { server, port in
            let statuses = try await offload {
                try [
                    [:], ["Origin": "http://127.0.0.1"], ["Origin": "https://play.monopoly.example"],
                    ["Origin": "https://evil.example"], ["Origin": "null"], ["Origin": "http://127.0.0.1:9"],
                ].map { try Self.upgradeStatus(port: port, $0) }
            }
            #expect(statuses == [101, 101, 101, 403, 403, 403])
            let metrics = String(decoding: server.metrics.render(), as: UTF8.self)
            #expect(metrics.contains(#"monopoly_gateway_handshake_failures_total{status="403"} 3"#))
        }
    }
}
