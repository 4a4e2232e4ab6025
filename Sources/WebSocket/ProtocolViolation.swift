/// Why the peer's bytes fail the connection: the close code to send and a short reason for the
/// close frame. The reason is static so that decoder events stay plain values (no reference
/// counting on the per-frame path).
struct ProtocolViolation: Sendable, Equatable {
    var code: WebSocketCloseCode
    var reason: StaticString

    init(_ code: WebSocketCloseCode, _ reason: StaticString) {
        self.code = code
        self.reason = reason
    }

    static func == (lhs: ProtocolViolation, rhs: ProtocolViolation) -> Bool {
        lhs.code == rhs.code && lhs.reason.description == rhs.reason.description
    }
}
