import Testing
@testable import WebSocket

@Suite struct WebSocketMaskTests {
    /// Byte-at-a-time reference from RFC 6455 section 5.3.
    func reference(_ bytes: [UInt8], key: [UInt8], phase: Int) -> [UInt8] {
        bytes.enumerated().map { $0.element ^ key[($0.offset + phase) % 4] }
    }

    @Test func wideUnmaskingMatchesByteAtATimeForEveryLengthAndPhase() {
        let key: [UInt8] = [0x12, 0x34, 0xAB, 0xCD]
        for length in 0..<80 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 * 31 + 5) }
            for phase in 0..<4 {
                var mask = WebSocketMask(key: (key[0], key[1], key[2], key[3]), phase: phase)
                var copy = bytes
                copy.withUnsafeMutableBytes { mask.apply(to: $0) }
                #expect(copy == reference(bytes, key: key, phase: phase))
                #expect(mask.phase == (phase + length) % 4)
            }
        }
    }

    @Test func phaseCarriesAcrossChunks() {
        let key: [UInt8] = [1, 2, 3, 4]
        let bytes = (0..<1000).map { UInt8(truncatingIfNeeded: $0) }
        var rng = SplitMix64(seed: 42)
        for _ in 0..<50 {
            var mask = WebSocketMask(key: (1, 2, 3, 4))
            var copy = bytes
            var start = 0
            while start < copy.count {
                let end = min(copy.count, start + Int.random(in: 1...70, using: &rng))
                copy.withUnsafeMutableBytes { mask.apply(to: UnsafeMutableRawBufferPointer(rebasing: $0[start..<end])) }
                start = end
            }
            #expect(copy == reference(bytes, key: key, phase: 0))
        }
    }

    @Test func payloadSplitOverManyReadsUnmasksCorrectly() {
        let payload = (0..<5000).map { UInt8(truncatingIfNeeded: $0 * 13) }
        let frame = clientFrame(.binary, payload, key: (0xDE, 0xAD, 0xBE, 0xEF))
        var connection = ServerConnection()
        var start = 0
        var size = 1
        while start < frame.count {
            let end = min(frame.count, start + size)
            connection.receive(Array(frame[start..<end]))
            start = end
            size = size % 37 + 3
        }
        #expect(drain(&connection) == [.message(.binary(payload))])
    }
}
