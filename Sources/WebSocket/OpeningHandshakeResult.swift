public enum OpeningHandshakeResult: Sendable, Equatable {
    /// 101 Switching Protocols with these headers (Upgrade, Connection, Sec-WebSocket-Accept).
    case accept(responseHeaders: [HTTPHeaderField])
    /// 400 (malformed), 403 (origin not allowed), 405 (method), 426 (version; with Sec-WebSocket-Version: 13).
    case reject(status: Int, reason: String, responseHeaders: [HTTPHeaderField])
}
