/// What the shell (the NIO handler) must do next, in order.
public enum ServerConnectionAction: Sendable, Equatable {
    /// A complete, validated data message for the application.
    case message(WebSocketMessage)
    /// Bytes the protocol requires us to send (pong, close reply, close on error).
    case write([UInt8])
    /// Liveness: the peer answered a ping.
    case pongReceived([UInt8])
    /// Close TCP now, after flushing earlier writes.
    case closeTransport
}
