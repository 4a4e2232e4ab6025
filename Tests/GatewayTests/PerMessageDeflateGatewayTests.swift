import Foundation
import Testing
import WebSocket
@testable import Gateway

/// permessage-deflate through the real server: what the 101 answers, compressed client messages,
/// and a decompression bomb closed with 1009.
@Suite("WebSocket: permessage-deflate negotiation, inflation and bombs")
struct PerMessageDeflateGatewayTests {
    static let chromiumOffer = ["Sec-WebSocket-Extensions": "permessage-deflate; client_max_window_bits"]
    static let agreed = "permessage-deflate; server_no_context_takeover; client_no_context_takeover"

    /// A masked client frame with RSV1 set.
    static func compressedFrame(_ opcode: WebSocketOpcode, _ text: String) -> [UInt8] {
        WebSocketFrameEncoder.maskedFrame(
            opcode: opcode, payload: Deflater(windowBits: 15)!.compress(Array(text.utf8)),
            compressed: true, maskingKey: (1, 2, 3, 4))
    }

    /// The message a server frame carries, inflated when it is compressed.
    static func message(_ frame: TestClient.Frame) -> WebSocketMessage? {
        var client = ClientConnection(deflate: PerMessageDeflate())
        let opcode = WebSocketOpcode(rawValue: frame.opcode)!
        client.receive(frame.compressed
            ? WebSocketFrameEncoder.compressedFrame(opcode: opcode, compressedPayload: frame.payload)
            : WebSocketFrameEncoder.frame(opcode: opcode, payload: frame.payload))
        guard case .message(let message) = client.nextAction() else { return nil }
        return message
    }

    @Test func theOfferOfABrowserIsAccepted() async throws {
        try await withServer { _, port in
            try await offload {
                let client = try TestClient(port: port)
                let response = try client.upgrade(path: "/ws", extraHeaders: Self.chromiumOffer)
                #expect(response.header("sec-websocket-extensions") == Self.agreed)
            }
        }
    }

    @Test(arguments: [
        "permessage-deflate; server_max_window_bits=7",
        "permessage-deflate; mystery=1",
        "permessage-deflate; =",
        "permessage-deflate; server_max_window_bits=\"15",
        String(repeating: "x", count: 5000),
    ])
    func aMalformedOrRefusedOfferUpgradesWithoutTheExtension(offer: String) async throws {
        try await withServer { _, port in
            try await offload {
                let client = try TestClient(port: port)
                let response = try client.upgrade(path: "/echo", extraHeaders: ["Sec-WebSocket-Extensions": offer])
                #expect(response.header("sec-websocket-extensions") == nil)
                // Without the extension, RSV1 is a protocol error.
                try client.send(Self.compressedFrame(.text, "hello"))
                #expect(try client.answerServerClose() == 1002)
            }
        }
    }

    @Test func turnedOffTheGatewayNeverNegotiates() async throws {
        try await withServer(configure: { $0.perMessageDeflate = false }) { _, port in
            try await offload {
                let client = try TestClient(port: port)
                let response = try client.upgrade(path: "/echo", extraHeaders: Self.chromiumOffer)
                #expect(response.header("sec-websocket-extensions") == nil)
            }
        }
    }

    @Test func compressedAndPlainMessagesAreEchoed() async throws {
        try await withServer { _, port in
            try await offload {
                let client = try TestClient(port: port)
                try client.upgrade(path: "/echo", extraHeaders: Self.chromiumOffer)
                let long = String(repeating: "{\"type\":\"state\",\"squares\":[]} ", count: 200)
                try client.send(Self.compressedFrame(.text, long))
                #expect(Self.message(try client.readDataOrClose()) == .text(long))
                try client.sendText("plain")
                #expect(Self.message(try client.readDataOrClose()) == .text("plain"))
                try client.send(Self.compressedFrame(.text, "short"))
                #expect(Self.message(try client.readDataOrClose()) == .text("short"))
            }
        }
    }

    @Test func aKilobyteThatInflatesPastTheLimitIsClosedWith1009() async throws {
        try await withServer { server, port in
            try await offload {
                let client = try TestClient(port: port)
                try client.upgrade(path: "/ws", extraHeaders: Self.chromiumOffer)
                // 1 MiB of spaces deflates to about 1 KiB; /ws allows 64 KiB messages.
                let bomb = Deflater(windowBits: 15, level: 9)!.compress([UInt8](repeating: 0x20, count: 1 << 20))
                #expect(bomb.count < 1100)
                try client.send(WebSocketFrameEncoder.maskedFrame(opcode: .text, payload: bomb, compressed: true, maskingKey: (9, 8, 7, 6)))
                let close = try client.readDataOrClose()
                #expect(close.closeCode == 1009)
                #expect(try client.waitForEOF())
            }
            #expect(await eventually { server.connectionCount == 0 })
        }
    }
}
