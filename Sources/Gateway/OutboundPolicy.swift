import NIOCore
import WebSocket

/// How much a connection may have waiting to be sent, and what happens to a client that reads too slowly.
///
/// Writes go straight to the socket while the channel is writable (below `highWatermark` bytes pending
/// in NIO). Above it the connection stops reading from its client (so an echo or request/response
/// peer cannot make us buffer its answers), and frames sent to it wait in a per-connection queue
/// where a frame with a `ConflationKey` replaces the queued one with the same key (newest state wins).
/// When the queue would exceed `maxQueuedBytes` the client is a slow consumer: the queue is dropped
/// and the connection is closed with `slowConsumerCloseCode`. Memory per connection is therefore at
/// most `highWatermark` + one frame + `maxQueuedBytes`.
public struct OutboundPolicy: Sendable {
    public var highWatermark: Int
    public var lowWatermark: Int
    public var maxQueuedBytes: Int
    public var slowConsumerCloseCode: WebSocketCloseCode

    public init(
        highWatermark: Int = 256 << 10,
        lowWatermark: Int = 64 << 10,
        maxQueuedBytes: Int = 1 << 20,
        slowConsumerCloseCode: WebSocketCloseCode = .policyViolation
    ) {
        precondition(lowWatermark <= highWatermark, "lowWatermark must not exceed highWatermark")
        self.highWatermark = highWatermark
        self.lowWatermark = lowWatermark
        self.maxQueuedBytes = maxQueuedBytes
        self.slowConsumerCloseCode = slowConsumerCloseCode
    }
}

/// Identifies frames that supersede each other, e.g. "state of game G": when such a frame is still
/// queued (not yet handed to the socket) and a newer one arrives, only the newer one is sent.
public struct ConflationKey: Hashable, Sendable, CustomStringConvertible {
    public var rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }
}

/// The per-connection queue of frames waiting for the socket to drain (sans-IO, unit-tested).
struct OutboundQueue {
    enum Verdict: Equatable {
        /// The channel can take it: write it now.
        case writeNow
        /// Queued behind earlier frames; `replaced` is true when it superseded a queued frame.
        case queued(replaced: Bool)
        /// The bound would be exceeded: close the connection as a slow consumer.
        case overflow
    }

    let policy: OutboundPolicy
    /// Starts at capacity 1 (it doubles when needed): the default 16 slots would cost every idle
    /// connection ~800 bytes for a queue that is almost always empty.
    private var frames = CircularBuffer<(key: ConflationKey?, bytes: ByteBuffer)>(initialCapacity: 1)
    private(set) var queuedBytes = 0

    init(policy: OutboundPolicy) { self.policy = policy }

    var isEmpty: Bool { frames.isEmpty }
    var count: Int { frames.count }

    /// `whole`: what to queue instead when this frame replaces a queued one. A state patch applies
    /// only to the state before it, so a patch that supersedes a queued state (or patch) goes out
    /// as the whole state it makes.
    /// Asked for only then: a frame that goes out at once (nearly every one) never compresses it.
    mutating func submit(_ bytes: ByteBuffer, key: ConflationKey?, whole: @autoclosure () -> ByteBuffer? = nil, channelWritable: Bool) -> Verdict {
        if channelWritable && frames.isEmpty { return .writeNow }
        // A newer state takes the place of the queued one, not the end of the queue: moved behind
        // an acknowledgement queued after the old state, it would let the client read the ack
        // before any state at or after the seq it names (the relay promises the state first).
        if let key, let index = frames.firstIndex(where: { $0.key == key }) {
            let replacement = whole() ?? bytes
            let size = queuedBytes - frames[index].bytes.readableBytes + replacement.readableBytes
            if size > policy.maxQueuedBytes { return .overflow }
            frames[index] = (key, replacement)
            queuedBytes = size
            return .queued(replaced: true)
        }
        if queuedBytes + bytes.readableBytes > policy.maxQueuedBytes {
            return .overflow
        }
        frames.append((key, bytes))
        queuedBytes += bytes.readableBytes
        return .queued(replaced: false)
    }

    /// The oldest queued frame, to write once the channel is writable again.
    mutating func popFirst() -> ByteBuffer? {
        guard let first = frames.popFirst() else { return nil }
        queuedBytes -= first.bytes.readableBytes
        return first.bytes
    }

    mutating func removeAll() {
        frames.removeAll()
        queuedBytes = 0
    }
}
