import Testing
@testable import WebSocket

/// The close handshake state machine of `ServerConnection` (open, closing, closed).
@Suite struct CloseHandshakeTests {
    @Test(arguments: [UInt16(1000), 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999])
    func echoesValidCloseCodeThenClosesTransport(code: UInt16) {
        var connection = ServerConnection()
        let result = feed(&connection, clientClose(code: code, reason: Array("bye".utf8)))
        #expect(result == [.write(WebSocketFrameEncoder.close(code: .init(rawValue: code), reason: "")), .closeTransport])
        #expect(connection.state == .closed)
    }

    @Test(arguments: [UInt16(0), 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535])
    func rejectsInvalidCloseCode(code: UInt16) {
        #expect(failed(actions(for: clientClose(code: code)), with: 1002))
    }

    @Test func repliesNormalClosureToEmptyClose() {
        #expect(actions(for: clientFrame(.close, [])) == [.write(WebSocketFrameEncoder.close(code: .normalClosure, reason: "")), .closeTransport])
    }

    @Test func rejectsClosePayloadOfOneByte() {
        #expect(failed(actions(for: clientFrame(.close, [0x03])), with: 1002))
    }

    @Test func rejectsInvalidUTF8InCloseReason() {
        // Autobahn 7.5.1's payload: valid text, then ED A0 80 (a surrogate).
        let reason: [UInt8] = [0xCE, 0xBA, 0xE1, 0xBD, 0xB9, 0xCF, 0x83, 0xCE, 0xBC, 0xCE, 0xB5, 0xED, 0xA0, 0x80, 0x65, 0x64, 0x69, 0x74, 0x65, 0x64]
        #expect(failed(actions(for: clientClose(code: 1000, reason: reason)), with: 1007))
    }

    @Test func acceptsCloseReasonOfMaximumLength() {
        let result = actions(for: clientClose(code: 1000, reason: [UInt8](repeating: 0x2A, count: 123)))
        #expect(closeCode(in: result) == 1000)
    }

    @Test func ignoresEverythingAfterPeerClose() {
        var connection = ServerConnection()
        let bytes = clientClose(code: 1000) + clientText("late") + clientFrame(.ping, [1]) + [0xFF, 0xFF]
        #expect(feed(&connection, bytes) == [.write(WebSocketFrameEncoder.close(code: .normalClosure, reason: "")), .closeTransport])
        #expect(feed(&connection, clientText("later")) == [])
    }

    @Test func deliversMessagesBeforeTheClose() {
        #expect(actions(for: clientText("a") + clientClose(code: 1001)) == [
            .message(.text("a")),
            .write(WebSocketFrameEncoder.close(code: .goingAway, reason: "")),
            .closeTransport,
        ])
    }

    @Test func serverCloseWaitsForPeerReply() {
        var connection = ServerConnection()
        let frame = connection.close(code: .goingAway, reason: "shutdown")
        #expect(frame == WebSocketFrameEncoder.close(code: .goingAway, reason: "shutdown"))
        #expect(connection.state == .closing)
        #expect(connection.close(code: .goingAway, reason: "again") == nil)
        // Data and pings are ignored while closing: nothing may follow our close frame.
        #expect(feed(&connection, clientText("ignored") + clientFrame(.ping, [1])) == [])
        #expect(feed(&connection, clientClose(code: 1001)) == [.closeTransport])
        #expect(connection.state == .closed)
        #expect(connection.close(code: .goingAway, reason: "") == nil)
    }

    @Test func serverCloseDropsPartialMessage() {
        var connection = ServerConnection()
        #expect(feed(&connection, clientText("par", fin: false)) == [])
        _ = connection.close(code: .policyViolation, reason: "")
        #expect(feed(&connection, clientFrame(.continuation, Array("tial".utf8)) + clientClose(code: 1000)) == [.closeTransport])
    }

    @Test func serverCloseInsideAFrameDropsTheRestOfIt() {
        var connection = ServerConnection()
        let frame = clientText("half of this arrives before our close")
        #expect(feed(&connection, Array(frame.prefix(12))) == [])
        _ = connection.close(code: .goingAway, reason: "")
        #expect(feed(&connection, Array(frame.dropFirst(12)) + clientText("more")) == [])
        #expect(feed(&connection, clientClose(code: 1000)) == [.closeTransport])
    }

    @Test func protocolErrorWhileClosingOnlyClosesTransport() {
        var connection = ServerConnection()
        _ = connection.close(code: .goingAway, reason: "")
        #expect(feed(&connection, [0x81, 0x05]) == [.closeTransport])
    }

    @Test func failureSendsCloseAndEndsConnection() {
        var connection = ServerConnection()
        let result = feed(&connection, [0x83, 0x80, 0, 0, 0, 0])
        #expect(failed(result, with: 1002))
        #expect(connection.state == .closed)
        #expect(feed(&connection, clientText("x")) == [])
    }

    @Test func closeFrameReasonIsCutToFitControlFrame() {
        let frame = WebSocketFrameEncoder.close(code: .normalClosure, reason: String(repeating: "é", count: 100))
        #expect(frame[1] <= 125)
        #expect(frame.count == 2 + Int(frame[1]))
        // 61 two-byte characters fill 122 of the 123 reason bytes; half a character is never sent.
        #expect(frame[1] == 2 + 122)
    }
}
