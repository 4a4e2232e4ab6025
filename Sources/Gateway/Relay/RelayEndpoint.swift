import WebSocket

/// `/ws`: browsers' game connections, handed to the relay hub.
public struct RelayEndpoint: WebSocketEndpoint {
    let hub: RelayHub

    public init(relay: Relay) {
        self.hub = relay.hub
    }

    public func connectionOpened(_ connection: WebSocketConnection) {
        hub.opened(connection)
    }

    public func connection(_ connection: WebSocketConnection, received message: WebSocketMessage) {
        switch message {
        case .text(let text):
            hub.received(text, from: connection)
        case .binary:
            connection.close(code: .unsupportedData, reason: "this endpoint speaks JSON text frames")
        }
    }

    public func connectionClosed(_ connection: WebSocketConnection, code: WebSocketCloseCode?) {
        hub.closed(connection)
    }
}
