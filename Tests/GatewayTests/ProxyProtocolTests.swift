import Testing
@testable import Gateway

@Suite("PROXY protocol from trusted load balancers")
struct ProxyProtocolTests {
    static func trustingLoopback(_ config: inout GatewayConfiguration) {
        config.trustedProxies = try! TrustedProxies(parsing: "127.0.0.1, ::1")
    }

    static func upgrade(through header: [UInt8], port: Int) throws -> TestClient {
        let client = try TestClient(port: port)
        try client.send(header + Array(TestClient.upgradeRequest(path: "/ws").utf8))
        let response = try client.readHTTPResponse()
        guard response.status == 101 else { throw TestClient.Failure.protocolError("status \(response.status)") }
        return client
    }

    @Test func theHeaderNamesTheClientAndLocalKeepsThePeer() async throws {
        let recorder = AddressRecorder()
        try await withServer(configure: Self.trustingLoopback, routes: [WebSocketRoute(path: "/ws", endpoint: recorder)]) { _, port in
            try await offload {
                _ = try Self.upgrade(through: proxyV2(ipv4: [203, 0, 113, 7], port: 50_000), port: port)
                _ = try Self.upgrade(through: Array("PROXY TCP6 2001:db8::9 ::1 50000 8080\r\n".utf8), port: port)
                _ = try Self.upgrade(through: proxyV2(command: 0, family: 0, payload: []), port: port)
                // Header and request arriving a byte at a time.
                let slow = try TestClient(port: port)
                for byte in proxyV2(ipv4: [198, 51, 100, 1], port: 1) + Array(TestClient.upgradeRequest(path: "/ws").utf8) {
                    try slow.send([byte])
                }
                #expect(try slow.readHTTPResponse().status == 101)
            }
            #expect(await eventually {
                recorder.addresses.withLockedValue { $0 } == ["203.0.113.7", "2001:db8::9", "127.0.0.1", "198.51.100.1"]
            })
        }
    }

    @Test func eachProxiedClientHasItsOwnQuota() async throws {
        try await withServer(configure: { Self.trustingLoopback(&$0); $0.maxConnectionsPerClient = 1 }) { server, port in
            try await offload {
                let first = try Self.upgrade(through: proxyV2(ipv4: [203, 0, 113, 7], port: 1), port: port)
                let second = try Self.upgrade(through: proxyV2(ipv4: [203, 0, 113, 8], port: 1), port: port)
                let again = try TestClient(port: port)
                try again.send(proxyV2(ipv4: [203, 0, 113, 7], port: 2) + Array(TestClient.upgradeRequest(path: "/ws").utf8))
                #expect(try again.readHTTPResponse().status == 429)
                _ = (first, second)
            }
            let metrics = String(decoding: server.metrics.render(), as: UTF8.self)
            #expect(metrics.contains(#"monopoly_gateway_connections_rejected_total{reason="per_client"} 1"#))
        }
    }

    static let badStarts: [(String, [UInt8])] = [
        ("plain HTTP", Array(TestClient.upgradeRequest(path: "/ws").utf8)),
        ("a TLV longer than the header", proxyV2(ipv4: [1, 2, 3, 4], port: 1, tlvs: [4, 0, 9, 1])),
        ("an oversized header", ProxyHeader.v2Signature + [0x21, 0x11, 0xFF, 0xFF] + [UInt8](repeating: 0, count: 2000)),
        ("a v1 line without its end", Array(("PROXY TCP4 1.2.3.4 5.6.7.8 1 2" + String(repeating: " ", count: 200)).utf8)),
    ]

    @Test(arguments: badStarts)
    func aTrustedPeerWithoutAValidHeaderIsClosedUnanswered(_ name: String, _ bytes: [UInt8]) async throws {
        try await withServer(configure: Self.trustingLoopback) { server, port in
            try await offload {
                let client = try TestClient(port: port)
                try client.send(bytes)
                #expect(try client.waitForEOF(), "\(name)")
            }
            #expect(server.connectionCount == 0)
            let metrics = String(decoding: server.metrics.render(), as: UTF8.self)
            #expect(metrics.contains("monopoly_gateway_proxy_headers_refused_total 1"))
            #expect(await eventually { server.registry.isEmpty })
        }
    }

    @Test func theHeaderMustArriveWithinTheHandshakeTimeout() async throws {
        try await withServer(configure: { Self.trustingLoopback(&$0); $0.handshakeTimeout = .milliseconds(200) }) { server, port in
            try await offload {
                let client = try TestClient(port: port)
                try client.send(Array(proxyV2(ipv4: [203, 0, 113, 7], port: 1).prefix(20)))
                #expect(try client.waitForEOF())
            }
            let metrics = String(decoding: server.metrics.render(), as: UTF8.self)
            #expect(metrics.contains("monopoly_gateway_handshake_timeouts_total 1"))
        }
    }

    @Test func fromAnUntrustedPeerAHeaderIsABadRequest() async throws {
        let recorder = AddressRecorder()
        try await withServer(configure: { $0.trustedProxies = try! TrustedProxies(parsing: "10.0.0.0/8") },
                             routes: [WebSocketRoute(path: "/ws", endpoint: recorder)]) { server, port in
            try await offload {
                for header in [proxyV2(ipv4: [203, 0, 113, 7], port: 1), Array("PROXY TCP4 203.0.113.7 10.0.0.1 1 2\r\n".utf8)] {
                    let client = try TestClient(port: port)
                    try client.send(header + Array(TestClient.upgradeRequest(path: "/ws").utf8))
                    #expect(try client.readHTTPResponse().status == 400)
                    #expect(try client.waitForEOF())
                }
                // X-Forwarded-For names nobody.
                let forwarded = try TestClient(port: port)
                try forwarded.upgrade(path: "/ws", extraHeaders: ["X-Forwarded-For": "203.0.113.7", "Forwarded": "for=203.0.113.7"])
            }
            #expect(await eventually { recorder.addresses.withLockedValue { $0 } == ["127.0.0.1"] })
            #expect(server.connectionCount <= 1)
        }
    }
}
