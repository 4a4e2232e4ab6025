import Testing
@testable import WebSocket

@Suite struct FrameEncoderTests {
    @Test func lengthEncodingIsMinimal() {
        #expect(WebSocketFrameEncoder.binary([UInt8](repeating: 0, count: 125))[1] == 125)
        #expect(Array(WebSocketFrameEncoder.binary([UInt8](repeating: 0, count: 126)).prefix(4)) == [0x82, 126, 0, 126])
        #expect(Array(WebSocketFrameEncoder.binary([UInt8](repeating: 0, count: 65535)).prefix(4)) == [0x82, 126, 0xFF, 0xFF])
        #expect(Array(WebSocketFrameEncoder.binary([UInt8](repeating: 0, count: 65536)).prefix(10)) == [0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0])
    }

    /// The header alone, written into a caller's buffer, is the frame's own first bytes.
    @Test(arguments: [0, 125, 126, 65535, 65536])
    func aHeaderWrittenAloneIsTheFramesHead(length: Int) {
        let payload = [UInt8](repeating: 7, count: length)
        for key in [nil, (1, 2, 3, 4)] as [(UInt8, UInt8, UInt8, UInt8)?] {
            let frame = key.map { WebSocketFrameEncoder.maskedFrame(opcode: .text, payload: payload, compressed: true, maskingKey: $0) }
                ?? WebSocketFrameEncoder.compressedFrame(opcode: .text, compressedPayload: payload)
            var header = [UInt8](repeating: 0, count: 14)
            let count = header.withUnsafeMutableBytes {
                WebSocketFrameEncoder.writeHeader(opcode: .text, payloadLength: length, compressed: true, maskingKey: key, to: $0)
            }
            #expect(count == WebSocketFrameEncoder.headerLength(payloadLength: length, masked: key != nil))
            #expect(count == frame.count - length)
            #expect(Array(header.prefix(count)) == Array(frame.prefix(count)))
        }
    }

    @Test func serverFramesAreUnmasked() {
        for frame in [WebSocketFrameEncoder.text("x"), WebSocketFrameEncoder.binary([1]), WebSocketFrameEncoder.ping([]), WebSocketFrameEncoder.close(code: .normalClosure, reason: "")] {
            #expect(frame[1] & 0x80 == 0)
        }
    }

    @Test func encodesCloseWithCodeAndReason() {
        #expect(WebSocketFrameEncoder.close(code: .goingAway, reason: "bye") == [0x88, 0x05, 0x03, 0xE9, 0x62, 0x79, 0x65])
    }

    @Test func acceptsNonContiguousPayloadCollections() {
        let payload: [UInt8] = [1, 2, 3]
        #expect(WebSocketFrameEncoder.frame(opcode: .binary, payload: payload.reversed()) == [0x82, 3, 3, 2, 1])
        #expect(WebSocketFrameEncoder.frame(opcode: .binary, payload: 0..<3) == [0x82, 3, 0, 1, 2])
    }

    @Test func maskedFrameRoundTripsThroughServerConnection() {
        let text = String(repeating: "Grüße 🎲 ", count: 40)
        let frame = WebSocketFrameEncoder.maskedFrame(opcode: .text, payload: Array(text.utf8), maskingKey: (9, 8, 7, 6))
        #expect(actions(for: frame) == [.message(.text(text))])
    }
}
