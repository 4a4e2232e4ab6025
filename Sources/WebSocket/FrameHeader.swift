/// A validated frame header. Only headers that passed every RFC 6455 rule are ever built.
struct FrameHeader: Sendable, Equatable {
    var fin: Bool
    /// RSV1 on the first frame of a message: its payload is compressed (permessage-deflate).
    var compressed: Bool = false
    var opcode: WebSocketOpcode
    var payloadLength: Int
    var mask: WebSocketMask
}
