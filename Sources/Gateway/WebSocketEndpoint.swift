import WebSocket

/// The application behind a WebSocket path (echo, the relay, ...).
///
/// Every callback for a given connection runs on that connection's event loop, in order:
/// `connectionOpened`, any number of `received`, then exactly one `connectionClosed`. Callbacks must
/// not block; hand slow work to another task and answer through the `WebSocketConnection` handle,
/// which may be used from any thread.
public protocol WebSocketEndpoint: Sendable {
    func connectionOpened(_ connection: WebSocketConnection)
    func connection(_ connection: WebSocketConnection, received message: WebSocketMessage)
    /// `code` is the close code the server sent (its echo of the client's, or its own), nil when the
    /// TCP connection ended without a close frame from us.
    func connectionClosed(_ connection: WebSocketConnection, code: WebSocketCloseCode?)
}

extension WebSocketEndpoint {
    public func connectionOpened(_ connection: WebSocketConnection) {}
    public func connectionClosed(_ connection: WebSocketConnection, code: WebSocketCloseCode?) {}
}
