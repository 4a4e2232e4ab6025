/// A validated frame header. Only headers that passed every RFC 6455 rule are ever built.
struct FrameHeader: Sendable, Equatable {
    var fin: Bool
    var opcode: WebSocketOpcode
    var payloadLength: Int
    var mask: WebSocketMask
}
