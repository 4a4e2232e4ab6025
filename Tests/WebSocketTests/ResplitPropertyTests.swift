import Testing
@testable import WebSocket

/// Property: a valid stream yields the same actions however the transport splits it.
@Suite struct ResplitPropertyTests {
    /// A random valid client stream (fragmented text and binary messages with interleaved pings
    /// and pongs, random keys) and the actions a server must produce for it.
    func randomStream(using rng: inout SplitMix64) -> ([UInt8], [ServerConnectionAction]) {
        var bytes: [UInt8] = []
        var expected: [ServerConnectionAction] = []
        let pieces = ["a", "é", "€", "🎲", "Monopoly ", "κόσμε", "\u{10FFFF}", "\u{0}"]
        func key() -> (UInt8, UInt8, UInt8, UInt8) {
            (UInt8.random(in: 0...255, using: &rng), UInt8.random(in: 0...255, using: &rng),
             UInt8.random(in: 0...255, using: &rng), UInt8.random(in: 0...255, using: &rng))
        }
        func maybeControl() {
            guard Int.random(in: 0..<4, using: &rng) == 0 else { return }
            let payload = (0..<Int.random(in: 0...125, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if Bool.random(using: &rng) {
                bytes += WebSocketFrameEncoder.maskedFrame(opcode: .ping, payload: payload, maskingKey: key())
                expected.append(.write(WebSocketFrameEncoder.frame(opcode: .pong, payload: payload)))
            } else {
                bytes += WebSocketFrameEncoder.maskedFrame(opcode: .pong, payload: payload, maskingKey: key())
                expected.append(.pongReceived(payload))
            }
        }
        for _ in 0..<Int.random(in: 1...8, using: &rng) {
            let isText = Bool.random(using: &rng)
            let payload: [UInt8]
            let message: WebSocketMessage
            if isText {
                let text = (0..<Int.random(in: 0...200, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
                payload = Array(text.utf8)
                message = .text(text)
            } else {
                payload = (0..<Int.random(in: 0...3000, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
                message = .binary(payload)
            }
            // Fragment at random byte positions, even inside a UTF-8 sequence.
            var cuts = (0..<Int.random(in: 0...4, using: &rng)).map { _ in Int.random(in: 0...payload.count, using: &rng) }
            cuts = ([0] + cuts.sorted() + [payload.count])
            var controls: [ServerConnectionAction] = []
            for index in 0..<(cuts.count - 1) {
                let isFirst = index == 0, isLast = index == cuts.count - 2
                let opcode: WebSocketOpcode = isFirst ? (isText ? .text : .binary) : .continuation
                bytes += WebSocketFrameEncoder.maskedFrame(opcode: opcode, payload: payload[cuts[index]..<cuts[index + 1]], fin: isLast, maskingKey: key())
                if !isLast {
                    let before = expected.count
                    maybeControl()
                    controls += expected[before...]
                    expected.removeSubrange(before...)
                }
            }
            expected += controls
            expected.append(.message(message))
            maybeControl()
        }
        if Bool.random(using: &rng) {
            bytes += WebSocketFrameEncoder.maskedFrame(opcode: .close, payload: [0x03, 0xE8, 0x6F, 0x6B], maskingKey: key())
            expected += [.write(WebSocketFrameEncoder.close(code: .normalClosure, reason: "")), .closeTransport]
        }
        return (bytes, expected)
    }

    func decode(_ bytes: [UInt8], splits: [Int]) -> [ServerConnectionAction] {
        var connection = ServerConnection()
        var result: [ServerConnectionAction] = []
        var start = 0
        for end in splits + [bytes.count] where end >= start {
            connection.receive(Array(bytes[start..<end]))
            result += drain(&connection)
            start = end
        }
        return result
    }

    @Test func randomResplitsYieldIdenticalActions() {
        var rng = SplitMix64(seed: 6455)
        for _ in 0..<300 {
            let (bytes, expected) = randomStream(using: &rng)
            #expect(decode(bytes, splits: []) == expected)
            for _ in 0..<5 {
                let splits = (0..<Int.random(in: 1...40, using: &rng)).map { _ in Int.random(in: 0...bytes.count, using: &rng) }.sorted()
                #expect(decode(bytes, splits: splits) == expected)
            }
        }
    }

    @Test func oneByteAtATimeYieldsIdenticalActions() {
        var rng = SplitMix64(seed: 1)
        for _ in 0..<40 {
            let (bytes, expected) = randomStream(using: &rng)
            #expect(decode(bytes, splits: Array(0..<bytes.count)) == expected)
        }
    }

    @Test func invalidStreamFailsIdenticallyWhateverTheSplit() {
        var rng = SplitMix64(seed: 99)
        let bytes = clientText("κόσμε", fin: false) + clientFrame(.ping, [1]) + clientFrame(.continuation, [0xCE, 0xFF, 0x61, 0x62])
        let expected = decode(bytes, splits: [])
        #expect(closeCode(in: expected) == 1007)
        for _ in 0..<200 {
            let splits = (0..<Int.random(in: 1...10, using: &rng)).map { _ in Int.random(in: 0...bytes.count, using: &rng) }.sorted()
            #expect(decode(bytes, splits: splits) == expected)
        }
    }

    @Test func corruptedStreamsBehaveIdenticallyWhateverTheSplit() {
        // Flip random bytes of valid streams: whatever the damage (bad lengths, opcodes, UTF-8,
        // close codes), the connection must not trap and must not depend on the read split.
        var rng = SplitMix64(seed: 0xBAD)
        for _ in 0..<300 {
            var (bytes, _) = randomStream(using: &rng)
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                let index = Int.random(in: 0..<bytes.count, using: &rng)
                bytes[index] ^= UInt8.random(in: 1...255, using: &rng)
            }
            let expected = decode(bytes, splits: [])
            let splits = (0..<Int.random(in: 1...30, using: &rng)).map { _ in Int.random(in: 0...bytes.count, using: &rng) }.sorted()
            #expect(decode(bytes, splits: splits) == expected)
            if let end = expected.firstIndex(of: .closeTransport) {
                #expect(end == expected.count - 1)
            }
        }
    }
}
