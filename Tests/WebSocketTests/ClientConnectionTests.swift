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
