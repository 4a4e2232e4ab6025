import Testing
@testable import WebSocket

/// Per-frame rules of RFC 6455 section 5.2, each rejection with its close code.
@Suite struct FrameDecoderTests {
    let key: [UInt8] = [0x37, 0xFA, 0x21, 0x3D]

    @Test func rejectsUnmaskedClientFrame() {
        #expect(failed(actions(for: [0x81, 0x05, 0x48, 0x65, 0x6C, 0x6C, 0x6F]), with: 1002))
    }

    @Test func rejectsUnmaskedClientFrameFromItsSecondByte() {
        // Fails fast: no need to wait for the payload.
        #expect(failed(actions(for: [0x81, 0x05]), with: 1002))
    }

    @Test(arguments: [UInt8(0x40), 0x20, 0x10, 0x70])
    func rejectsReservedBits(rsv: UInt8) {
        var frame = clientText("hi")
        frame[0] |= rsv
        #expect(failed(actions(for: frame), with: 1002))
    }

    @Test(arguments: [UInt8(3), 4, 5, 6, 7, 11, 12, 13, 14, 15])
    func rejectsReservedOpcodes(opcode: UInt8) {
        #expect(failed(actions(for: [0x80 | opcode, 0x80] + key), with: 1002))
    }

    @Test func rejectsNonMinimal16BitLength() {
        // 125 fits in the 7-bit length, so the 16-bit form is not minimal.
        let frame: [UInt8] = [0x82, 0xFE, 0x00, 0x7D] + key + [UInt8](repeating: 0, count: 125)
        #expect(failed(actions(for: frame), with: 1002))
    }

    @Test func rejectsNonMinimal64BitLength() {
        let frame: [UInt8] = [0x82, 0xFF, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF] + key
        #expect(failed(actions(for: frame), with: 1002))
    }

    @Test func rejects64BitLengthWithMostSignificantBitSet() {
        let frame: [UInt8] = [0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0] + key
        #expect(failed(actions(for: frame, configuration: .init(maxFrameSize: .max, maxMessageSize: .max)), with: 1002))
    }

    @Test func accepts16BitAnd64BitMinimalLengths() {
        let config = WebSocketConfiguration(maxFrameSize: 1 << 20, maxMessageSize: 1 << 20)
        for length in [0, 1, 125, 126, 127, 65535, 65536, 70000] {
            let payload = [UInt8](repeating: 0x41, count: length)
            #expect(actions(for: clientFrame(.binary, payload), configuration: config) == [.message(.binary(payload))])
        }
    }

    @Test func rejectsFragmentedControlFrame() {
        #expect(failed(actions(for: clientFrame(.ping, [1], fin: false)), with: 1002))
    }

    @Test func rejectsControlFrameOver125Bytes() {
        let frame: [UInt8] = [0x89, 0xFE, 0x00, 0x7E] + key + [UInt8](repeating: 0, count: 126)
        #expect(failed(actions(for: frame), with: 1002))
    }

    @Test func acceptsControlFrameOf125Bytes() {
        let payload = [UInt8](repeating: 7, count: 125)
        #expect(actions(for: clientFrame(.ping, payload)) == [.write(WebSocketFrameEncoder.frame(opcode: .pong, payload: payload))])
    }

    @Test func rejectsFrameOverMaxFrameSizeFromHeaderAlone() {
        // Only the header arrives: the limit is enforced before any payload is buffered.
        let header: [UInt8] = [0x82, 0xFF, 0, 0, 0, 0x01, 0, 0, 0, 0] + key
        #expect(failed(actions(for: header), with: 1009))
    }

    @Test func rejectsFrameJustOverMaxFrameSize() {
        let config = WebSocketConfiguration(maxFrameSize: 100, maxMessageSize: 1000)
        #expect(failed(actions(for: Array(clientFrame(.binary, [UInt8](repeating: 0, count: 101)).prefix(8)), configuration: config), with: 1009))
        #expect(actions(for: clientFrame(.binary, [UInt8](repeating: 0, count: 100)), configuration: config).count == 1)
    }

    @Test func headerSplitAtEveryByteDecodesTheSame() {
        let config = WebSocketConfiguration(maxFrameSize: 1 << 17, maxMessageSize: 1 << 17)
        for length in [5, 300, 70000] {
            let payload = [UInt8](repeating: 0x42, count: length)
            let frame = clientFrame(.binary, payload)
            for split in 1...(frame.count - length) {
                var connection = ServerConnection(configuration: config)
                connection.receive(Array(frame.prefix(split)))
                #expect(connection.nextAction() == nil)
                connection.receive(Array(frame.dropFirst(split)))
                #expect(drain(&connection) == [.message(.binary(payload))])
            }
        }
    }

    @Test func emptyReceiveIsHarmless() {
        var connection = ServerConnection()
        connection.receive(UnsafeRawBufferPointer(start: nil, count: 0))
        connection.receive([])
        #expect(connection.nextAction() == nil)
        #expect(feed(&connection, clientText("still fine")) == [.message(.text("still fine"))])
    }

    @Test func decodesThousandsOfFramesFromOneRead() {
        let bytes = (0..<5000).flatMap { clientFrame(.binary, [UInt8(truncatingIfNeeded: $0)]) }
        let result = actions(for: bytes)
        #expect(result.count == 5000)
        #expect(result.last == .message(.binary([UInt8(truncatingIfNeeded: 4999)])))
    }

    @Test func zeroLengthFramesNeedNoPayloadBytes() {
        // The frame ends with its header: the message is there before any further byte.
        #expect(actions(for: clientFrame(.binary, [])) == [.message(.binary([]))])
        #expect(actions(for: clientFrame(.binary, [], fin: false) + clientFrame(.continuation, [])) == [.message(.binary([]))])
    }
}
