import Testing
@testable import WebSocket

/// The client role: unmasked server frames in, masked control frames out.
@Suite struct ClientConnectionTests {
    private func drainClient(_ connection: inout ClientConnection) -> [ServerConnectionAction] {
        var result: [ServerConnectionAction] = []
        while let action = connection.nextAction() { result.append(action) }
        return result
    }

    @Test func decodesUnmaskedServerFramesSplitAnywhere() {
        let bytes = WebSocketFrameEncoder.text("Hello") + WebSocketFrameEncoder.binary(Array(repeating: 7, count: 300))
        for split in 0...bytes.count {
            var connection = ClientConnection()
            connection.receive(Array(bytes[..<split]))
            connection.receive(Array(bytes[split...]))
            #expect(drainClient(&connection) == [.message(.text("Hello")), .message(.binary(Array(repeating: 7, count: 300)))])
        }
    }

    @Test func failsOnAMaskedServerFrameWithAMaskedClose() throws {
        var connection = ClientConnection()
        connection.receive(clientText("masked"))
        let actions = drainClient(&connection)
        #expect(actions.count == 2)
        guard case .write(let close) = actions.first else { Issue.record("no close frame"); return }
        #expect(close[0] == 0x88)
        #expect(close[1] & 0x80 != 0)
        // Unmasked with its own key, the payload is 1002.
        var server = ServerConnection()
        server.receive(close)
        #expect(drain(&server).contains(.write(WebSocketFrameEncoder.close(code: .protocolError, reason: ""))))
        #expect(actions.last == .closeTransport)
    }

    @Test func answersPingWithAMaskedPongTheServerAccepts() {
        var connection = ClientConnection()
        connection.receive(WebSocketFrameEncoder.ping([1, 2, 3]))
        let actions = drainClient(&connection)
        guard case .write(let pong) = actions.first, actions.count == 1 else { Issue.record("\(actions)"); return }
        var server = ServerConnection()
        server.receive(pong)
        #expect(drain(&server) == [.pongReceived([1, 2, 3])])
    }

    /// What the load generator relies on to decode a state once for many spectators: at a
    /// message boundary with nothing held, the next message depends on its bytes alone.
    @Test func decodesTheNextMessageAloneOnlyBetweenMessagesWithNothingHeld() {
        let frame = WebSocketFrameEncoder.text(String(repeating: "state ", count: 40))
        var connection = ClientConnection()
        #expect(connection.decodesNextMessageAlone)
        // Every split of a frame: part of a header, or of a payload, is held.
        for split in 1..<frame.count {
            connection.receive(Array(frame[..<split]))
            #expect(!connection.decodesNextMessageAlone, "split at \(split)")
            connection.receive(Array(frame[split...]))
            #expect(connection.decodesNextMessageAlone == false, "an action is waiting")
            #expect(drainClient(&connection).count == 1)
            #expect(connection.decodesNextMessageAlone)
        }
        // A fragmented message between its frames.
        connection.receive(WebSocketFrameEncoder.frame(opcode: .text, payload: Array("a".utf8), fin: false))
        #expect(drainClient(&connection).isEmpty)
        #expect(!connection.decodesNextMessageAlone)
        connection.receive(WebSocketFrameEncoder.frame(opcode: .continuation, payload: Array("b".utf8)))
        #expect(drainClient(&connection) == [.message(.text("ab"))])
        #expect(connection.decodesNextMessageAlone)
        // Closed: nothing more is decoded at all.
        connection.receive(WebSocketFrameEncoder.close(code: .normalClosure, reason: ""))
        _ = drainClient(&connection)
        #expect(!connection.decodesNextMessageAlone)
        // permessage-deflate: alone when the server takes no context over, never when it does.
        #expect(ClientConnection(deflate: PerMessageDeflate(serverNoContextTakeover: true)).decodesNextMessageAlone)
        #expect(!ClientConnection(deflate: PerMessageDeflate(serverNoContextTakeover: false)).decodesNextMessageAlone)
    }

    @Test func aWholeFramesLengthIsKnownOnlyOnceAllOfItIsThere() {
        for size in [0, 1, 125, 126, 300, 65_535, 65_536, 70_000] {
            let frame = WebSocketFrameEncoder.binary(Array(repeating: 7, count: size))
            let masked = WebSocketFrameEncoder.maskedFrame(opcode: .binary, payload: Array(repeating: 7, count: size), maskingKey: (1, 2, 3, 4))
            for bytes in [frame, masked] {
                bytes.withUnsafeBytes { all in
                    #expect(ClientConnection.wholeFrameLength(in: all) == bytes.count, "\(size)")
                    for cut in [0, 1, 2, 3, 9, bytes.count - 1] where cut < bytes.count {
                        #expect(ClientConnection.wholeFrameLength(in: UnsafeRawBufferPointer(rebasing: all[..<cut])) == nil, "\(size) cut at \(cut)")
                    }
                }
                // Followed by more: the first frame's length.
                (bytes + WebSocketFrameEncoder.text("next")).withUnsafeBytes {
                    #expect(ClientConnection.wholeFrameLength(in: $0) == bytes.count)
                }
            }
        }
        // A 64-bit length no buffer holds.
        ([0x82, 127, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0] as [UInt8]).withUnsafeBytes {
            #expect(ClientConnection.wholeFrameLength(in: $0) == nil)
        }
    }

    @Test func handshakeAcceptsOnlyTheRightAcceptValue() {
        let key = "dGhlIHNhbXBsZSBub25jZQ=="
        let good = Array("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n".utf8)
        #expect(ClientHandshake.evaluate(response: good, key: key) == .accepted(headLength: good.count))
        #expect(ClientHandshake.evaluate(response: good + [0x81, 0x00], key: key) == .accepted(headLength: good.count))
        #expect(ClientHandshake.evaluate(response: good.dropLast(1), key: key) == .incomplete)
        #expect(ClientHandshake.evaluate(response: good, key: ClientHandshake.makeKey()) == .rejected("wrong Sec-WebSocket-Accept"))
        let refused = Array("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n".utf8)
        #expect(ClientHandshake.evaluate(response: refused, key: key) == .rejected("HTTP/1.1 503 Service Unavailable"))
    }
}
