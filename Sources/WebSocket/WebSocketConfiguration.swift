/// Limits a connection enforces on what the peer sends.
public struct WebSocketConfiguration: Sendable {
    /// Largest payload of one frame. Checked against the frame header before any payload byte is
    /// buffered, so a peer announcing a 2^63-byte frame costs us nothing (close 1009).
    public var maxFrameSize: Int
    /// Largest payload of one message, summed over its fragments. Also checked from each frame
    /// header, so a message never grows past this bound in memory (close 1009).
    public var maxMessageSize: Int

    public init(maxFrameSize: Int = 1 << 16, maxMessageSize: Int = 1 << 16) {
        self.maxFrameSize = maxFrameSize
        self.maxMessageSize = maxMessageSize
    }
}
