import Testing
@testable import WebSocket

/// The fragmentation state machine: sequencing, interleaved control frames and message size.
@Suite struct MessageAssemblerTests {
    @Test func joinsFragmentsIntoOneMessage() {
        let bytes = clientFrame(.binary, [1, 2], fin: false) + clientFrame(.continuation, [], fin: false)
            + clientFrame(.continuation, [3])
        #expect(actions(for: bytes) == [.message(.binary([1, 2, 3]))])
    }

    @Test func acceptsEmptyTextMessage() {
        #expect(actions(for: clientText("")) == [.message(.text(""))])
    }

    @Test func rejectsContinuationWithoutStartedMessage() {
        #expect(failed(actions(for: clientFrame(.continuation, [1])), with: 1002))
    }

    @Test func rejectsContinuationAfterCompletedMessage() {
        let bytes = clientText("a") + clientFrame(.continuation, [0x62])
        let result = actions(for: bytes)
        #expect(result.first == .message(.text("a")))
        #expect(closeCode(in: result) == 1002)
        #expect(result.last == .closeTransport)
    }

    @Test func rejectsNewTextFrameDuringFragmentedMessage() {
        #expect(failed(actions(for: clientText("a", fin: false) + clientText("b")), with: 1002))
    }

    @Test func rejectsNewBinaryFrameDuringFragmentedMessage() {
        #expect(failed(actions(for: clientFrame(.binary, [1], fin: false) + clientFrame(.binary, [2])), with: 1002))
    }

    @Test func answersPingInterleavedInFragmentedMessage() {
        let bytes = clientText("Hel", fin: false) + clientFrame(.ping, [9]) + clientFrame(.pong, [8])
            + clientFrame(.continuation, Array("lo".utf8))
        #expect(actions(for: bytes) == [
            .write(WebSocketFrameEncoder.frame(opcode: .pong, payload: [9])),
            .pongReceived([8]),
            .message(.text("Hello")),
        ])
    }

    @Test func rejectsMessageOverMaxMessageSizeFromFragmentHeader() {
        let config = WebSocketConfiguration(maxFrameSize: 100, maxMessageSize: 150)
        let first = clientFrame(.binary, [UInt8](repeating: 1, count: 100), fin: false)
        // The second fragment's header alone announces 51 more bytes than allowed.
        let secondHeader = Array(clientFrame(.continuation, [UInt8](repeating: 1, count: 51)).prefix(6))
        #expect(failed(actions(for: first + secondHeader, configuration: config), with: 1009))
    }

    @Test func acceptsMessageOfExactlyMaxMessageSize() {
        let config = WebSocketConfiguration(maxFrameSize: 100, maxMessageSize: 150)
        let bytes = clientFrame(.binary, [UInt8](repeating: 1, count: 100), fin: false)
            + clientFrame(.continuation, [UInt8](repeating: 1, count: 50))
        #expect(actions(for: bytes, configuration: config) == [.message(.binary([UInt8](repeating: 1, count: 150)))])
    }

    @Test func rejectsInvalidUTF8InTextFrame() {
        #expect(failed(actions(for: clientFrame(.text, [0x48, 0xC0, 0x80])), with: 1007))
    }

    @Test func failsFastOnInvalidUTF8InsideAFrame() {
        // Header announces 100 bytes; only the first 3 arrive and the third is invalid.
        let frame = clientFrame(.text, [0x61, 0x62, 0xFF] + [UInt8](repeating: 0x61, count: 97))
        #expect(failed(actions(for: Array(frame.prefix(6 + 2 + 3))), with: 1007))
    }

    @Test func failsFastOnInvalidUTF8InALaterFragment() {
        // Autobahn 6.4.1: valid first fragment, then a fragment making the sequence invalid
        // (F4 90 80 80 would be U+110000); the close comes before the final fragment.
        let bytes = clientText("κόσμε", fin: false) + clientFrame(.continuation, [0xF4, 0x90, 0x80, 0x80], fin: false)
        #expect(failed(actions(for: bytes), with: 1007))
    }

    @Test func acceptsCodePointSplitAcrossFragments() {
        let euro: [UInt8] = [0xE2, 0x82, 0xAC]
        let bytes = clientFrame(.text, [euro[0]], fin: false) + clientFrame(.continuation, [euro[1]], fin: false)
            + clientFrame(.continuation, [euro[2]])
        #expect(actions(for: bytes) == [.message(.text("€"))])
    }

    @Test func rejectsCodePointTruncatedAtMessageEnd() {
        let bytes = clientFrame(.text, [0x61, 0xE2], fin: false) + clientFrame(.continuation, [0x82])
        #expect(failed(actions(for: bytes), with: 1007))
    }

    @Test func binaryMessagesAreNotValidatedAsUTF8() {
        #expect(actions(for: clientFrame(.binary, [0xFF, 0xC0])) == [.message(.binary([0xFF, 0xC0]))])
    }
}
