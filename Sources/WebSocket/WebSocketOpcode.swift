/// Frame opcodes defined by RFC 6455 section 5.2. The reserved values (3-7, 11-15) have no case:
/// nothing is negotiated that would give them a meaning, so the decoder rejects them.
public enum WebSocketOpcode: UInt8, Sendable {
    case continuation = 0
    case text = 1
    case binary = 2
    case close = 8
    case ping = 9
    case pong = 10

    /// Control frames (close, ping, pong) have the high opcode bit set and may interleave with
    /// the fragments of a data message.
    public var isControl: Bool { rawValue & 0x8 != 0 }
}
