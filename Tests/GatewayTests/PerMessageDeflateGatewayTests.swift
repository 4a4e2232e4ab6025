import Foundation
import NIOCore
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
                let long = String(repeating: "{\"type\":\"state\"} ", count: 100)
                try client.sendText(long)
                let echoed = try client.readDataOrClose()
                #expect(!echoed.compressed && echoed.text == long)
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
                let echoed = try client.readDataOrClose()
                #expect(echoed.compressed && echoed.payload.count * 10 < long.utf8.count)
                #expect(Self.message(echoed) == .text(long))
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

/// The outbound side: one frame, compressed once per window for every connection that negotiated
/// permessage-deflate, plain for the others.
@Suite struct PreEncodedFrameDeflateTests {
    static let state = "{\"type\":\"state\",\"game\":\"ABCD\",\"seq\":12,\"state\":{\"squares\":["
        + (0..<40).map { "{\"index\":\($0),\"name\":\"Square \($0)\",\"kind\":\"lot\",\"owner\":null,\"houses\":0,\"mortgaged\":false}" }.joined(separator: ",")
        + "]}}"

    static func noise(count: Int) -> [UInt8] {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        return (0..<count).map { _ in
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return UInt8(truncatingIfNeeded: state >> 24)
        }
    }

    @Test func aConnectionWithoutDeflateGetsThePlainFrame() {
        let frame = PreEncodedFrame(text: Self.state)
        #expect(frame.bytes(deflateWindowBits: nil) == frame.bytes)
        #expect(frame.compressions == 0)
    }

    @Test func theCompressedFrameIsSmallerAndInflatesToTheMessage() throws {
        let frame = PreEncodedFrame(text: Self.state)
        let compressed = frame.bytes(deflateWindowBits: 15)
        let bytes = Array(compressed.readableBytesView)
        #expect(bytes[0] == 0xC1, "FIN, RSV1, text")
        #expect(compressed.readableBytes * 4 < frame.bytes.readableBytes)
        var client = ClientConnection(deflate: PerMessageDeflate())
        client.receive(bytes)
        #expect(client.nextAction() == .message(.text(Self.state)))
    }

    @Test func aBroadcastIsCompressedOncePerWindowWhateverTheThreads() async {
        let frame = PreEncodedFrame(text: Self.state)
        let results = await withTaskGroup(of: ByteBuffer.self) { group in
            for _ in 0..<64 { group.addTask { frame.bytes(deflateWindowBits: 15) } }
            return await group.reduce(into: [ByteBuffer]()) { $0.append($1) }
        }
        #expect(Set(results.map { Array($0.readableBytesView) }).count == 1)
        #expect(frame.compressions == 1)
        // A client that asked for a 9-bit window gets its own compression, once.
        let small = frame.bytes(deflateWindowBits: 9)
        _ = frame.bytes(deflateWindowBits: 9)
        #expect(frame.compressions == 2)
        var client = ClientConnection(deflate: PerMessageDeflate(serverMaxWindowBits: 9))
        client.receive(Array(small.readableBytesView))
        #expect(client.nextAction() == .message(.text(Self.state)))
    }

    /// A message to one connection (an echo, an acknowledgement) is encoded straight into its buffer:
    /// the bytes a broadcast frame would give that connection.
    @Test(arguments: [nil, 15, 9] as [Int?])
    func aMessageForOneConnectionIsTheFrameABroadcastWouldSend(windowBits: Int?) {
        let messages: [(WebSocketOpcode, [UInt8])] = [
            (.text, Array(Self.state.utf8)), (.text, Array("{\"type\":\"ack\",\"seq\":3}".utf8)), (.text, []),
            (.binary, Self.noise(count: 4096)), (.binary, Array(repeating: 1, count: 70_000)),
        ]
        for (opcode, payload) in messages {
            let broadcast = PreEncodedFrame(encoded: ByteBuffer(bytes: WebSocketFrameEncoder.frame(opcode: opcode, payload: payload)))
            let single = payload.withUnsafeBytes { PreEncodedFrame.single(opcode, payload: $0, deflateWindowBits: windowBits) }
            #expect(single == broadcast.bytes(deflateWindowBits: windowBits), "\(opcode) of \(payload.count) bytes")
        }
    }

    @Test(arguments: [
        PreEncodedFrame(text: "{\"type\":\"ack\",\"seq\":3}"),
        PreEncodedFrame(encoded: ByteBuffer(bytes: WebSocketFrameEncoder.ping([1, 2]))),
        PreEncodedFrame(encoded: ByteBuffer(bytes: WebSocketFrameEncoder.frame(opcode: .text, payload: Array(state.utf8), fin: false))),
        // Random bytes do not shrink: the plain frame is smaller.
        PreEncodedFrame(binary: noise(count: 4096)),
    ])
    func smallControlFragmentedOrIncompressibleFramesGoOutPlain(frame: PreEncodedFrame) {
        #expect(frame.bytes(deflateWindowBits: 15) == frame.bytes)
    }
}
