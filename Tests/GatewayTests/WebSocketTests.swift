import Foundation
import NIOConcurrencyHelpers
import Testing
import WebSocket
@testable import Gateway

@Suite("WebSocket: handshake, echo, control frames, bad input")
struct WebSocketTests {
    @Test func handshakeIsAccepted() async throws {
        try await withServer { _, port in
            try await offload {
                let client = try TestClient(port: port)
                let response = try client.upgrade(path: "/echo")
                #expect(response.status == 101)
                // RFC 6455 section 1.3 example key and accept value.
                #expect(response.header("sec-websocket-accept") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
                #expect(response.header("upgrade")?.lowercased() == "websocket")
            }
        }
    }

    struct Rejection: Sendable, CustomTestStringConvertible {
        var name: String
        var request: String
        var status: Int
        var testDescription: String { name }
    }

    static let rejections: [Rejection] = [
        .init(name: "missing key", request: "GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n", status: 400),
        .init(name: "short key", request: TestClient.upgradeRequest(path: "/echo", key: "c2hvcnQ="), status: 400),
        .init(name: "no upgrade header", request: "GET /echo HTTP/1.1\r\nHost: x\r\nSec-WebSocket-Key: \(TestClient.sampleKey)\r\nSec-WebSocket-Version: 13\r\n\r\n", status: 400),
        .init(name: "version 8", request: "GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: \(TestClient.sampleKey)\r\nSec-WebSocket-Version: 8\r\n\r\n", status: 426),
        .init(name: "POST", request: "POST /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: \(TestClient.sampleKey)\r\nSec-WebSocket-Version: 13\r\nContent-Length: 0\r\n\r\n", status: 405),
        .init(name: "HTTP/1.0", request: "GET /echo HTTP/1.0\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: \(TestClient.sampleKey)\r\nSec-WebSocket-Version: 13\r\n\r\n", status: 400),
    ]

    @Test(arguments: rejections)
    func handshakeIsRejected(_ rejection: Rejection) async throws {
        try await withServer { server, port in
            let response = try await offload {
                let client = try TestClient(port: port)
                try client.send(rejection.request)
                let response = try client.readHTTPResponse()
                #expect(try client.waitForEOF())
                return response
            }
            #expect(response.status == rejection.status, "\(rejection.name): \(response.status) \(response.text)")
            #expect(!response.text.isEmpty, "a reject carries its reason")
            if rejection.status == 426 {
                #expect(response.header("sec-websocket-version") == "13")
            }
            #expect(server.connectionCount == 0)
        }
    }

    @Test func originAllowList() async throws {
        try await withServer(configure: { $0.allowedOrigins = ["https://monopoly.example"] }) { _, port in
            try await offload {
                let denied = try TestClient(port: port)
                try denied.send(TestClient.upgradeRequest(path: "/ws", extraHeaders: ["Origin": "https://evil.example"]))
                #expect(try denied.readHTTPResponse().status == 403)
                let allowed = try TestClient(port: port)
                try allowed.upgrade(path: "/ws", extraHeaders: ["Origin": "https://monopoly.example"])
            }
        }
    }

    @Test func echoesTextAndBinary() async throws {
        try await withServer { _, port in
            try await offload {
                let client = try TestClient(port: port)
                try client.upgrade()
                try client.sendText("héllo wörld ♜")
                let text = try client.readDataOrClose()
                #expect(text.opcode == 1 && text.fin)
                #expect(text.text == "héllo wörld ♜")
                let binary = (0..<70_000).map { UInt8($0 % 251) }
                try client.sendFrame(.binary, binary)
                let echoed = try client.readDataOrClose()
                #expect(echoed.opcode == 2)
                #expect(echoed.payload == binary)
            }
        }
    }

    @Test func bytesPipelinedBehindTheUpgradeRequestAreNotLost() async throws {
        try await withServer { _, port in
            try await offload {
                let client = try TestClient(port: port)
                let frames = TestClient.frame(.text, Array("first".utf8)) + TestClient.frame(.text, Array("second".utf8))
                try client.send(Array(TestClient.upgradeRequest(path: "/echo").utf8) + frames)
                #expect(try client.readHTTPResponse().status == 101)
                #expect(try client.readDataOrClose().text == "first")
                #expect(try client.readDataOrClose().text == "second")
            }
        }
    }

    @Test func fragmentedMessageWithInterleavedPing() async throws {
        try await withServer { _, port in
            try await offload {
                let client = try TestClient(port: port)
                try client.upgrade()
                try client.sendFrame(.text, Array("frag".utf8), fin: false)
                try client.sendFrame(.ping, Array("mid".utf8))
                try client.sendFrame(.continuation, Array("men".utf8), fin: false)
                try client.sendFrame(.continuation, Array("ted".utf8), fin: true)
                let pong = try client.readFrame()
                #expect(pong.opcode == 10)
                #expect(pong.text == "mid")
                let message = try client.readDataOrClose()
                #expect(message.text == "fragmented")
            }
        }
    }

    @Test func pingIsAnsweredWithSamePayload() async throws {
        try await withServer { _, port in
            try await offload {
                let client = try TestClient(port: port)
                try client.upgrade()
                let payload: [UInt8] = [0, 1, 2, 250, 255]
                try client.sendFrame(.ping, payload)
                let pong = try client.readFrame()
                #expect(pong.opcode == 10)
                #expect(pong.payload == payload)
            }
        }
    }

    @Test func closeHandshake() async throws {
        try await withServer { server, port in
            try await offload {
                let client = try TestClient(port: port)
                try client.upgrade()
                try client.sendClose(code: 1000, reason: "bye")
                let close = try client.readFrame()
                #expect(close.opcode == 8)
                #expect(close.closeCode == 1000)
                #expect(try client.waitForEOF())
            }
            #expect(await eventually { server.connectionCount == 0 })
        }
    }

    struct BadInput: Sendable, CustomTestStringConvertible {
        var name: String
        var bytes: [UInt8]
        var code: UInt16
        var testDescription: String { name }
    }

    static let badInputs: [BadInput] = [
        .init(name: "unmasked frame", bytes: [0x81, 0x02, 0x68, 0x69], code: 1002),
        .init(name: "reserved bit RSV1", bytes: TestClient.frame(.text, [0x68]).enumerated().map { $0.offset == 0 ? $0.element | 0x40 : $0.element }, code: 1002),
        .init(name: "reserved opcode 3", bytes: [0x83, 0x80, 1, 2, 3, 4], code: 1002),
        .init(name: "reserved control opcode 0xB", bytes: [0x8B, 0x80, 1, 2, 3, 4], code: 1002),
        .init(name: "continuation without start", bytes: TestClient.frame(.continuation, [0x41]), code: 1002),
        .init(name: "fragmented ping", bytes: TestClient.frame(.ping, [1], fin: false), code: 1002),
        .init(name: "control frame over 125 bytes", bytes: TestClient.frame(.ping, [UInt8](repeating: 1, count: 126)), code: 1002),
        .init(name: "non-minimal 16-bit length", bytes: [0x81, 0xFE, 0x00, 0x05, 1, 2, 3, 4] + [UInt8](repeating: 0x41, count: 5), code: 1002),
        .init(name: "invalid UTF-8", bytes: TestClient.frame(.text, [0xCE, 0xBA, 0xE1, 0xBD, 0xB9, 0xCF, 0x83, 0xED, 0xA0, 0x80]), code: 1007),
        .init(name: "close code 1005 on the wire", bytes: TestClient.frame(.close, [0x03, 0xED]), code: 1002),
        .init(name: "one-byte close payload", bytes: TestClient.frame(.close, [0x03]), code: 1002),
        .init(name: "message over /ws limit", bytes: TestClient.frame(.text, [UInt8](repeating: 0x41, count: 70_000)), code: 1009),
        .init(name: "64-bit length of 2^63", bytes: [0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4], code: 1002),
    ]

    @Test(arguments: badInputs)
    func badInputClosesWithTheRightCode(_ input: BadInput) async throws {
        try await withServer { server, port in
            let close = try await offload {
                let client = try TestClient(port: port)
                try client.upgrade(path: "/ws")
                try? client.send(input.bytes)
                let frame = try client.readDataOrClose()
                #expect(try client.waitForEOF())
                return frame
            }
            #expect(close.opcode == 8, "\(input.name)")
            if input.name == "64-bit length of 2^63" {
                #expect(close.closeCode == 1002 || close.closeCode == 1009)
            } else {
                #expect(close.closeCode == input.code, "\(input.name)")
            }
            #expect(await eventually { server.connectionCount == 0 })
        }
    }

    @Test func gameEndpointAnswersAuthorityUnavailable() async throws {
        try await withServer { _, port in
            try await offload {
                let client = try TestClient(port: port)
                try client.upgrade(path: "/ws")
                try client.sendText(#"{"type":"roll","id":"r-7"}"#)
                let answer = try client.readDataOrClose()
                let json = try #require(try JSONSerialization.jsonObject(with: Data(answer.payload)) as? [String: Any])
                #expect(json["type"] as? String == "error")
                #expect(json["code"] as? String == "authority_unavailable")
                #expect(json["re"] as? String == "r-7")
                try client.sendText("not json")
                let second = try client.readDataOrClose()
                let secondJSON = try #require(try JSONSerialization.jsonObject(with: Data(second.payload)) as? [String: Any])
                #expect(secondJSON["re"] is NSNull)
            }
        }
    }

    @Test func maxConnectionsRejectsWith503() async throws {
        try await withServer(configure: { $0.maxConnections = 2 }) { server, port in
            let b = try await offload {
                let a = try TestClient(port: port)
                try a.upgrade()
                let b = try TestClient(port: port)
                try b.upgrade()
                let c = try TestClient(port: port)
                try c.send(TestClient.upgradeRequest(path: "/echo"))
                #expect(try c.readHTTPResponse().status == 503)
                // Freeing a slot admits the next one.
                try a.sendClose(code: 1000)
                _ = try a.readDataOrClose()
                #expect(try a.waitForEOF())
                return b
            }
            #expect(await eventually { server.connectionCount == 1 })
            try await offload {
                let d = try TestClient(port: port)
                try d.upgrade()
            }
            let metrics = String(decoding: server.metrics.render(), as: UTF8.self)
            #expect(metrics.contains(#"monopoly_gateway_connections_rejected_total{reason="max_connections"} 1"#))
            _ = b
        }
    }

    @Test func serverPingsAndDropsSilentClients() async throws {
        try await withServer(configure: {
            $0.pingInterval = .milliseconds(100)
            // Generous: the well-behaved client below must not lose a race against a loaded machine.
            $0.pongTimeout = .seconds(1)
        }) { server, port in
            try await offload {
                // A client that answers pings stays connected well past the pong timeout.
                let good = try TestClient(port: port)
                try good.upgrade()
                var pings = 0
                while pings < 12 {
                    let frame = try good.readFrame()
                    #expect(frame.opcode == 9)
                    #expect(frame.payload.count == 8)
                    try good.sendFrame(.pong, frame.payload)
                    pings += 1
                }
                try good.sendText("still here")
                var answer = try good.readFrame()
                while answer.opcode == 9 {
                    try good.sendFrame(.pong, answer.payload)
                    answer = try good.readFrame()
                }
                #expect(answer.text == "still here")
                try good.sendClose(code: 1000)

                // One that never answers is closed with 1008.
                let silent = try TestClient(port: port)
                try silent.upgrade()
                var sawClose = false
                while let frame = try? silent.readFrame() {
                    if frame.opcode == 8 {
                        sawClose = true
                        #expect(frame.closeCode == 1008)
                    }
                }
                #expect(sawClose)
            }
            let metrics = String(decoding: server.metrics.render(), as: UTF8.self)
            #expect(metricValue(metrics, "monopoly_gateway_ping_timeouts_total") == 1)
        }
    }

    @Test func idleWebSocketIsClosedWith1001() async throws {
        try await withServer(configure: {
            $0.pingInterval = nil
            $0.idleTimeout = .milliseconds(300)
        }) { _, port in
            try await offload {
                let client = try TestClient(port: port)
                try client.upgrade()
                let close = try client.readFrame()
                #expect(close.closeCode == 1001)
                try client.sendClose(code: 1001)
                #expect(try client.waitForEOF())
            }
        }
    }

    @Test func closeTimeoutDropsPeersThatNeverAnswer() async throws {
        try await withServer(configure: {
            $0.pingInterval = nil
            $0.idleTimeout = .milliseconds(200)
            $0.closeTimeout = .milliseconds(200)
        }) { server, port in
            try await offload {
                let client = try TestClient(port: port)
                try client.upgrade()
                #expect(try client.readFrame().closeCode == 1001)
                #expect(try client.waitForEOF())  // never answered: dropped after closeTimeout
            }
            #expect(await eventually { server.connectionCount == 0 })
        }
    }
}

@Suite("Random bad input never crashes or leaks")
struct RandomInputTests {
    @Test func randomBytesAfterTheUpgrade() async throws {
        try await withServer { server, port in
            try await offload {
                var rng = SystemRandomNumberGenerator()
                for round in 0..<60 {
                    let client = try TestClient(port: port, timeout: 2)
                    try client.upgrade(path: round.isMultiple(of: 2) ? "/ws" : "/echo")
                    // Some valid frames, then garbage, in random splits.
                    var bytes = TestClient.frame(.text, Array("ok".utf8))
                    bytes += (0..<Int.random(in: 1...300, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
                    var offset = 0
                    while offset < bytes.count {
                        let n = Int.random(in: 1...64, using: &rng)
                        guard (try? client.send(Array(bytes[offset..<min(bytes.count, offset + n)]))) != nil else { break }
                        offset += n
                    }
                    // Either the server fails the connection (close frame then EOF) or it waits for
                    // more bytes of a frame that looks valid so far; both are fine. It must never hang
                    // on a close: after our own close it drops TCP.
                    client.setTimeout(0.3)
                    var sawClose = false
                    while let frame = try? client.readFrame() {
                        if frame.opcode == 8 { sawClose = true; break }
                    }
                    if !sawClose { client.shutdownWrite() }
                    client.setTimeout(3)
                    #expect(try client.waitForEOF(), "round \(round)")
                }
            }
            #expect(await eventually { server.connectionCount == 0 })
            let health = try await offload { try TestClient(port: port).get("/healthz") }
            #expect(health.status == 200)
        }
    }

    @Test func randomBytesInsteadOfHTTP() async throws {
        try await withServer { server, port in
            try await offload {
                for _ in 0..<30 {
                    let client = try TestClient(port: port, timeout: 3)
                    let garbage = (0..<Int.random(in: 1...500)).map { _ in UInt8.random(in: 0...255) } + [13, 10, 13, 10]
                    try? client.send(garbage)
                    // A 400 and close, or just a close: never a hang past the handshake timeout.
                    #expect(try client.waitForEOF())
                }
            }
            let health = try await offload { try TestClient(port: port).get("/healthz") }
            #expect(health.status == 200)
            _ = server
        }
    }
}
