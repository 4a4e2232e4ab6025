import Foundation
import WebSocket

/// `/ws` until the relay is configured: every message is answered with the protocol's
/// `authority_unavailable` error, echoing the message's `id` as `re` when it has one.
public struct UnavailableEndpoint: WebSocketEndpoint {
    public var message: String

    public init(message: String = "no game authority is connected to this gateway") {
        self.message = message
    }

    public func connection(_ connection: WebSocketConnection, received message: WebSocketMessage) {
        var re = "null"
        if case .text(let text) = message, let id = Self.requestID(in: text) { re = id }
        connection.send(
            text: #"{"type":"error","code":"authority_unavailable","message":"# + JSONText.quoted(self.message)
                + #","re":"# + re + "}"
        )
    }

    /// The JSON text of a top-level `"id"` (string or number) if the message is a JSON object.
    static func requestID(in text: String) -> String? {
        guard let id = JSONText.topLevelValue(forKey: "id", in: text) else { return nil }
        return id is String || id is NSNumber ? JSONText.encode(id) : nil
    }
}
