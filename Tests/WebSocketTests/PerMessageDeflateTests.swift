import Testing
@testable import WebSocket

/// Compressed messages through the codec (RFC 7692 sections 6 and 7.2): RSV1 rules, inflation with
/// and without context takeover, the examples of section 7.2.3, and the bounds against
/// decompression bombs.
@Suite struct PerMessageDeflateTests {
    /// The gateway's agreement: no context takeover either way.
    static let agreement = PerMessageDeflate()
    /// A client that keeps its window across messages (the server did not ask otherwise).
    static let clientTakesContextOver = PerMessageDeflate(clientNoContextTakeover: false)

    private func actions(
        _ bytes: [UInt8], deflate: PerMessageDeflate? = agreement,
        configuration: WebSocketConfiguration = .init()
    ) -> [ServerConnectionAction] {
        var connection = ServerConnection(configuration: configuration, deflate: deflate)
        return feed(&connection, bytes)
    }

    /// A masked compressed client frame (RSV1 set).
    private func compressedFrame(_ opcode: WebSocketOpcode, _ payload: [UInt8], fin: Bool = true) -> [UInt8] {
        WebSocketFrameEncoder.maskedFrame(opcode: opcode, payload: payload, fin: fin, compressed: true, maskingKey: rfcKey)
    }

    private func compressed(_ text: String, with deflater: Deflater = Deflater(windowBits: 15)!) -> [UInt8] {
        deflater.compress(Array(text.utf8))
    }

    // MARK: RFC 7692 section 7.2.3 examples

    @Test(arguments: [
        // 7.2.3.1: "Hello" in one compressed frame, and fragmented.
        [[0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00]],
        [[0xF2, 0x48, 0xCD], [0xC9, 0xC9, 0x07, 0x00]],
        // 7.2.3.3: a block with no compression.
        [[0x00, 0x05, 0x00, 0xFA, 0xFF, 0x48, 0x65, 0x6C, 0x6C, 0x6F, 0x00]],
        // 7.2.3.4: a block with BFINAL set.
        [[0xF3, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00, 0x00]],
        // 7.2.3.5: two blocks in one message.
        [[0xF2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xCA, 0xC9, 0xC9, 0x07, 0x00]],
    ] as [[[UInt8]]])
    func inflatesTheExamplesOfTheRFC(fragments: [[UInt8]]) {
        var bytes: [UInt8] = []
        for (index, fragment) in fragments.enumerated() {
            let last = index == fragments.count - 1
            bytes += index == 0
                ? compressedFrame(.text, fragment, fin: last)
                : clientFrame(.continuation, fragment, fin: last)
        }
        #expect(actions(bytes) == [.message(.text("Hello"))])
    }

    @Test func inflatesWithTheWindowOfThePreviousMessageWhenTheClientTakesContextOver() {
        // 7.2.3.2: the second "Hello" refers back into the first message.
        let first = compressedFrame(.text, [0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00])
        let second = compressedFrame(.text, [0xF2, 0x00, 0x11, 0x00, 0x00])
        #expect(actions(first + second, deflate: Self.clientTakesContextOver) == [.message(.text("Hello")), .message(.text("Hello"))])
        // Without context takeover the reference points at nothing: the data is invalid.
        let result = actions(first + second)
        #expect(result.first == .message(.text("Hello")))
        #expect(closeCode(in: result) == 1007)
    }

    @Test func aStreamEndedByAFinalBlockStartsAfreshWithContextTakeover() {
        let final = compressedFrame(.text, [0xF3, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00])
        let next = compressedFrame(.text, [0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00])
        #expect(actions(final + next, deflate: Self.clientTakesContextOver) == [.message(.text("Hello")), .message(.text("Hello"))])
    }

    // MARK: the state machine

    @Test func compressedAndPlainMessagesMix() {
        let deflater = Deflater(windowBits: 15)!
        let bytes = compressedFrame(.text, compressed("one", with: deflater)) + clientText("two")
            + compressedFrame(.binary, deflater.compress([1, 2, 3])) + clientFrame(.binary, [4])
        #expect(actions(bytes) == [
            .message(.text("one")), .message(.text("two")), .message(.binary([1, 2, 3])), .message(.binary([4])),
        ])
    }

    @Test func contextTakeoverMessagesFromAKeepingCompressorInflate() {
        let deflater = Deflater(windowBits: 15, contextTakeover: true)!
        let text = String(repeating: "{\"type\":\"roll\",\"id\":1}", count: 20)
        let bytes = (0..<5).flatMap { _ in compressedFrame(.text, compressed(text, with: deflater)) }
        #expect(actions(bytes, deflate: Self.clientTakesContextOver) == Array(repeating: .message(.text(text)), count: 5))
    }

    @Test func aCompressedMessageSplitAcrossFragmentsAndReadsInflates() {
        let text = (0..<2000).map { "word\($0 % 37) " }.joined()
        let payload = compressed(text)
        let third = payload.count / 3
        let bytes = compressedFrame(.text, Array(payload[..<third]), fin: false)
            + clientFrame(.ping, [7])
            + clientFrame(.continuation, Array(payload[third..<(2 * third)]), fin: false)
            + clientFrame(.continuation, Array(payload[(2 * third)...]))
        var connection = ServerConnection(deflate: Self.agreement)
        var result: [ServerConnectionAction] = []
        for byte in bytes { result += feed(&connection, [byte]) }
        #expect(result == [.write(WebSocketFrameEncoder.frame(opcode: .pong, payload: [7])), .message(.text(text))])
    }

    @Test func anEmptyCompressedMessageIsEmpty() {
        #expect(actions(compressedFrame(.text, [0x00])) == [.message(.text(""))])
        #expect(actions(compressedFrame(.binary, [])) == [.message(.binary([]))])
        #expect(actions(compressedFrame(.text, compressed(""))) == [.message(.text(""))])
    }

    @Test(arguments: [
        // RSV1 on a continuation, on control frames, and without the extension.
        (WebSocketOpcode.continuation, true),
        (.ping, true),
        (.pong, true),
        (.close, true),
        (.text, false),
    ])
    func rsv1IsAProtocolErrorWhereItMeansNothing(opcode: WebSocketOpcode, negotiated: Bool) {
        var bytes = opcode == .continuation ? clientText("a", fin: false) : []
        bytes += compressedFrame(opcode, opcode == .close ? [0x03, 0xE8] : [])
        let result = actions(bytes, deflate: negotiated ? Self.agreement : nil)
        #expect(closeCode(in: result) == 1002)
        #expect(result.last == .closeTransport)
    }

    @Test func rsv2AndRsv3StayReservedWithTheExtension() {
        for bit: UInt8 in [0x20, 0x10] {
            var frame = clientText("a")
            frame[0] |= bit
            #expect(failed(actions(frame), with: 1002))
        }
    }

    @Test func invalidDeflateDataFailsWith1007() {
        // BTYPE 11 is reserved.
        #expect(failed(actions(compressedFrame(.text, [0xFF, 0xFF, 0xFF])), with: 1007))
    }

    @Test func invalidUTF8InsideCompressedTextFailsWith1007() {
        let deflater = Deflater(windowBits: 15)!
        #expect(failed(actions(compressedFrame(.text, deflater.compress([0x48, 0xC0, 0xAF]))), with: 1007))
        // Fragmented: the first fragment's bad byte fails before the message ends.
        let payload = deflater.compress([0xED, 0xA0, 0x80] + [UInt8](repeating: 0x41, count: 100))
        #expect(failed(actions(compressedFrame(.text, payload, fin: false)), with: 1007))
    }

    // MARK: decompression bombs

    /// About 1 KiB of DEFLATE that inflates to 1 MiB of zeros.
    static let bomb = Deflater(windowBits: 15, level: 9)!.compress([UInt8](repeating: 0, count: 1 << 20))

    @Test func aSmallFrameThatInflatesPastTheLimitIsClosedWith1009() {
        #expect(Self.bomb.count < 1100)
        let configuration = WebSocketConfiguration(maxFrameSize: 64 << 10, maxMessageSize: 64 << 10)
        #expect(failed(actions(compressedFrame(.binary, Self.bomb), configuration: configuration), with: 1009))
        #expect(failed(actions(compressedFrame(.text, Self.bomb), configuration: configuration), with: 1009))
    }

    @Test func inflatingStopsAtTheFirstBytePastTheLimit() {
        let inflater = Inflater(windowBits: 15)!
        var payload: [UInt8] = []
        let outcome = Self.bomb.withUnsafeBytes { inflater.inflate($0, into: &payload, limit: 64 << 10) }
        #expect(outcome == .tooBig)
        // Nothing past the limit was kept, and the buffer never grew beyond twice the limit.
        #expect(payload.count <= 64 << 10)
        #expect(payload.capacity <= 2 * (64 << 10) + Inflater.chunkSize)
    }

    @Test func aMessageOfExactlyTheLimitInflates() {
        let configuration = WebSocketConfiguration(maxFrameSize: 1 << 10, maxMessageSize: 1 << 10)
        let payload = Deflater(windowBits: 15)!.compress([UInt8](repeating: 7, count: 1 << 10))
        #expect(actions(compressedFrame(.binary, payload), configuration: configuration) == [.message(.binary([UInt8](repeating: 7, count: 1 << 10)))])
        let over = Deflater(windowBits: 15)!.compress([UInt8](repeating: 7, count: (1 << 10) + 1))
        #expect(failed(actions(compressedFrame(.binary, over), configuration: configuration), with: 1009))
    }

    @Test func aBombSpreadOverFragmentsIsClosedWith1009() {
        let configuration = WebSocketConfiguration(maxFrameSize: 64 << 10, maxMessageSize: 64 << 10)
        var bytes = compressedFrame(.binary, Array(Self.bomb.prefix(10)), fin: false)
        var rest = Self.bomb.dropFirst(10)
        while !rest.isEmpty {
            bytes += clientFrame(.continuation, Array(rest.prefix(10)), fin: rest.count <= 10)
            rest = rest.dropFirst(10)
        }
        #expect(failed(actions(bytes, configuration: configuration), with: 1009))
    }

    @Test func compressedInputThatInflatesToNothingIsBoundedToo() {
        // Empty stored blocks (5 bytes each, no output) cannot make a message of unbounded length.
        let configuration = WebSocketConfiguration(maxFrameSize: 1 << 10, maxMessageSize: 1 << 10)
        let empty: [UInt8] = [0x00, 0x00, 0x00, 0xFF, 0xFF]
        var bytes = compressedFrame(.binary, empty, fin: false)
        for _ in 0..<300 { bytes += clientFrame(.continuation, empty, fin: false) }
        #expect(failed(actions(bytes, configuration: configuration), with: 1009))
    }

    // MARK: the server's side

    @Test func serverFramesRoundTripThroughAClient() {
        let text = String(repeating: "{\"square\":1,\"owner\":null},", count: 100)
        let payload = Deflater(windowBits: 15)!.compress(Array(text.utf8))
        #expect(payload.count < text.utf8.count / 5)
        let frame = WebSocketFrameEncoder.compressedFrame(opcode: .text, compressedPayload: payload)
        #expect(frame[0] == 0xC1)
        var client = ClientConnection(deflate: Self.agreement)
        client.receive(frame)
        #expect(client.nextAction() == .message(.text(text)))
    }

    @Test(arguments: 9...15)
    func aSmallWindowIsInflatedByAPeerWithThatWindow(bits: Int) {
        // What a server compresses for server_max_window_bits=bits inflates within that window
        // (for 8, the 9-bit compressor reaches back at most 250 bytes).
        var generator = SplitMix64(seed: UInt64(bits))
        let words = (0..<3000).map { _ in ["alpha", "beta", "gamma", "delta"][Int(generator.next() % 4)] }
        let input = Array(words.joined(separator: " ").utf8)
        let payload = Deflater(windowBits: bits)!.compress(input)
        for window in bits == 9 ? [8, 9] : [bits] {
            let inflater = Inflater(windowBits: window)!
            var output: [UInt8] = []
            let outcome = (payload + Inflater.tail).withUnsafeBytes { inflater.inflate($0, into: &output, limit: 1 << 20) }
            #expect(outcome == .ok)
            #expect(output == input)
        }
    }
}
