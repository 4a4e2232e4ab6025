import WebSocket

/// `/echo` (enabled by `--echo`): sends every message back unchanged. Used by Autobahn|Testsuite and
/// for raw throughput measurements.
public struct EchoEndpoint: WebSocketEndpoint {
    public init() {}

    public func connection(_ connection: WebSocketConnection, received message: WebSocketMessage) {
        connection.send(message)
    }
}
