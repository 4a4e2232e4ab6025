import Foundation
import Testing
@testable import Gateway

@Suite("A message in progress has a deadline")
struct FragmentDeadlineTests {
    static func timeout(_ config: inout GatewayConfiguration) { config.fragmentTimeout = .milliseconds(300) }

    @Test func anUnfinishedFragmentedMessageIsClosedWith1008() async throws {
        try await withServer(configure: Self.timeout) { server, port in
            let code = try await offload {
                let client = try TestClient(port: port)
                try client.upgrade()
                try client.sendFrame(.text, Array("never ".utf8), fin: false)
                // Pings keep the connection from idling; they do not extend the message's time.
                try client.sendFrame(.ping, [1])
                #expect(try client.readFrame().opcode == 10)
                return try client.answerServerClose()
            }
            #expect(code == 1008)
            let metrics = String(decoding: server.metrics.render(), as: UTF8.self)
            #expect(metrics.contains("monopoly_gateway_fragment_timeouts_total 1"))
            #expect(await eventually { server.connectionCount == 0 })
        }
    }

    @Test func aFrameWhosePayloadStopsArrivingIsClosedWith1008() async throws {
        try await withServer(configure: Self.timeout) { _, port in
            let code = try await offload {
                let client = try TestClient(port: port)
                try client.upgrade()
                try client.send(Array(TestClient.frame(.binary, [UInt8](repeating: 1, count: 1000)).prefix(100)))
                return try client.answerServerClose()
            }
            #expect(code == 1008)
        }
    }

    @Test func aCompletedMessageLeavesNoDeadlineBehind() async throws {
        try await withServer(configure: Self.timeout) { server, port in
            try await offload {
                let client = try TestClient(port: port)
                try client.upgrade()
                try client.sendFrame(.text, Array("frag".utf8), fin: false)
                try client.sendFrame(.continuation, Array("mented".utf8))
                #expect(try client.readDataOrClose().text == "fragmented")
                // Well past the deadline the first fragment started: still open.
                Thread.sleep(forTimeInterval: 1)
                try client.sendText("still open")
                #expect(try client.readDataOrClose().text == "still open")
            }
            let metrics = String(decoding: server.metrics.render(), as: UTF8.self)
            #expect(metrics.contains("monopoly_gateway_fragment_timeouts_total 0"))
        }
    }
}
