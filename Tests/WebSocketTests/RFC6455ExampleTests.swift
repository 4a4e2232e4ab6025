import Testing
@testable import WebSocket

/// The examples of RFC 6455 section 5.7: the masked (client) variants decode, and encoding yields
/// the unmasked (server) variants byte for byte.
@Suite struct RFC6455ExampleTests {
    let hello = Array("Hello".utf8)

    @Test func decodesMaskedHelloText() {
        let bytes: [UInt8] = [0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58]
        #expect(actions(for: bytes) == [.message(.text("Hello"))])
    }

    @Test func maskedEncodingMatchesRFCBytes() {
        let bytes: [UInt8] = [0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58]
        #expect(clientFrame(.text, hello) == bytes)
    }

    @Test func encodesUnmaskedHelloText() {
        #expect(WebSocketFrameEncoder.text("Hello") == [0x81, 0x05, 0x48, 0x65, 0x6C, 0x6C, 0x6F])
    }

    @Test func decodesMaskedFragmentedHello() {
        let bytes = clientFrame(.text, Array("Hel".utf8), fin: false) + clientFrame(.continuation, Array("lo".utf8))
        #expect(actions(for: bytes) == [.message(.text("Hello"))])
    }

    @Test func encodesUnmaskedFragmentedHello() {
        #expect(WebSocketFrameEncoder.frame(opcode: .text, payload: Array("Hel".utf8), fin: false) == [0x01, 0x03, 0x48, 0x65, 0x6C])
        #expect(WebSocketFrameEncoder.frame(opcode: .continuation, payload: Array("lo".utf8)) == [0x80, 0x02, 0x6C, 0x6F])
    }

    @Test func answersMaskedPingWithUnmaskedPong() {
        let ping = clientFrame(.ping, hello)
        // The RFC's unmasked pong "Hello".
        #expect(actions(for: ping) == [.write([0x8A, 0x05, 0x48, 0x65, 0x6C, 0x6C, 0x6F])])
    }

    @Test func decodesMaskedPongFromRFC() {
        let pong: [UInt8] = [0x8A, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58]
        #expect(actions(for: pong) == [.pongReceived(hello)])
    }

    @Test func encodesUnmaskedPing() {
        #expect(WebSocketFrameEncoder.ping(hello) == [0x89, 0x05, 0x48, 0x65, 0x6C, 0x6C, 0x6F])
    }

    @Test func binary256BytesUses16BitLength() {
        let payload = (0..<256).map { UInt8(truncatingIfNeeded: $0) }
        let encoded = WebSocketFrameEncoder.binary(payload)
        #expect(Array(encoded.prefix(4)) == [0x82, 0x7E, 0x01, 0x00])
        #expect(Array(encoded.dropFirst(4)) == payload)
        #expect(actions(for: clientFrame(.binary, payload)) == [.message(.binary(payload))])
    }

    @Test func binary64KiBUses64BitLength() {
        let payload = (0..<65536).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let encoded = WebSocketFrameEncoder.binary(payload)
        #expect(Array(encoded.prefix(10)) == [0x82, 0x7F, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00])
        #expect(encoded.count == 65536 + 10)
        #expect(actions(for: clientFrame(.binary, payload)) == [.message(.binary(payload))])
    }
}
