import Testing
@testable import WebSocket

/// `isReceivingMessage` tells the shell when a data message is in progress (it bounds how long).
@Suite struct MessageProgressTests {
    @Test func aWholeMessageInOneReadIsNeverInProgressAfterIt() {
        var connection = ServerConnection()
        _ = feed(&connection, clientText("hello"))
        #expect(!connection.isReceivingMessage)
    }

    @Test func fromTheFirstFragmentToTheLast() {
        var connection = ServerConnection()
        _ = feed(&connection, clientText("hel", fin: false))
        #expect(connection.isReceivingMessage)
        // A ping between fragments does not end it.
        _ = feed(&connection, clientFrame(.ping, [1]))
        #expect(connection.isReceivingMessage)
        let done = feed(&connection, clientFrame(.continuation, Array("lo".utf8)))
        #expect(done.contains(.message(.text("hello"))))
        #expect(!connection.isReceivingMessage)
    }

    @Test func aFrameWhosePayloadIsStillArriving() {
        var connection = ServerConnection()
        let frame = clientFrame(.binary, [UInt8](repeating: 7, count: 300))
        _ = feed(&connection, Array(frame.prefix(10)))
        #expect(connection.isReceivingMessage)
        _ = feed(&connection, Array(frame.dropFirst(10)))
        #expect(!connection.isReceivingMessage)
    }

    @Test func aControlFrameAloneIsNoMessage() {
        var connection = ServerConnection()
        _ = feed(&connection, Array(clientFrame(.ping, [1, 2, 3]).prefix(4)))
        #expect(!connection.isReceivingMessage)
    }

    @Test func closingEndsIt() {
        var connection = ServerConnection()
        _ = feed(&connection, clientText("hel", fin: false))
        _ = connection.close(code: .policyViolation, reason: "")
        #expect(!connection.isReceivingMessage)
    }
}

@Suite struct RetainedBufferTests {
    @Test func aLargeTextMessageDoesNotLeaveItsBufferBehind() {
        var assembler = MessageAssembler(maxMessageSize: 64 << 10)
        let noMask = WebSocketMask(key: (0, 0, 0, 0))
        for size in [100, 60_000, 3_000] {
            let text = [UInt8](repeating: 0x61, count: size)
            #expect(assembler.beginFrame(FrameHeader(fin: true, opcode: .text, payloadLength: size, mask: noMask)) == nil)
            #expect(text.withUnsafeBytes { assembler.append($0, mask: noMask, endsFrame: true) } == nil)
            #expect(assembler.endFrame() == .message(.text(String(repeating: "a", count: size))))
            #expect(assembler.bufferCapacity <= MessageAssembler.retainedTextCapacity, "after \(size) bytes")
        }
    }
}
