import NIOCore

/// One message to many connections, written on all of their event loops at once: a game's 1,000
/// writes on the relay's loop alone made the last spectator wait for the 999 before it while the
/// other loops idled. The members on other loops are grouped by loop and each such loop gets one
/// task with its batch (handed over first, so those loops write while this one does), then this
/// loop writes its own. Every write is the connection's own send on its loop (its conflation, its
/// flush), and a connection's frames keep their order: a loop runs its tasks in the order they
/// were handed to it.
///
/// Per member only what differs between members is done: the frame's bytes for a compression
/// window are fetched once per batch (not once per member, through the frame's lock), and the
/// write goes to the connection's handler directly, its loop already known (`sendOnLoop`).
enum FanOut {
    /// What every member gets: one frame, under a conflation key or none; for a state's patch, the
    /// whole state that replaces it where a frame is still queued (`OutboundQueue`).
    struct Delivery: Sendable {
        var frame: PreEncodedFrame
        var conflationKey: ConflationKey?
        var whole: PreEncodedFrame?

        init(frame: PreEncodedFrame, conflationKey: ConflationKey?, whole: PreEncodedFrame? = nil) {
            self.frame = frame
            self.conflationKey = conflationKey
            self.whole = whole
        }
    }

    /// Sends `delivery` to every member, each on its own event loop. Called on `loop`.
    static func send(_ delivery: Delivery, to members: Dictionary<UInt64, WebSocketConnection>.Values, on loop: any EventLoop) {
        assert(loop.inEventLoop)
        handOver(delivery, to: batches(of: members, awayFrom: loop))
        var writer = Writer(delivery)
        for connection in members where connection.eventLoop === loop { writer.write(to: connection) }
    }

    static func send(_ delivery: Delivery, to members: [WebSocketConnection], on loop: any EventLoop) {
        assert(loop.inEventLoop)
        handOver(delivery, to: batches(of: members, awayFrom: loop))
        var writer = Writer(delivery)
        for connection in members where connection.eventLoop === loop { writer.write(to: connection) }
    }

    /// The members on loops other than `loop`, by loop (none when every member is on it, as with
    /// one loop per gateway: then nothing is allocated).
    @inline(__always)
    private static func batches(of members: some Collection<WebSocketConnection>, awayFrom loop: any EventLoop)
        -> [(loop: any EventLoop, members: [WebSocketConnection])] {
        // One entry per other loop: a handful at most (one loop per core), so a scan beats a hash.
        var batches: [(loop: any EventLoop, members: [WebSocketConnection])] = []
        for connection in members {
            let target = connection.eventLoop
            if target === loop { continue }
            if let index = batches.firstIndex(where: { $0.loop === target }) {
                batches[index].members.append(connection)
            } else {
                // Sized once for all the members (a few KiB for a moment): no regrowth per broadcast.
                var batch: [WebSocketConnection] = []
                batch.reserveCapacity(members.count)
                batch.append(connection)
                batches.append((target, batch))
            }
        }
        return batches
    }

    private static func handOver(_ delivery: Delivery, to batches: [(loop: any EventLoop, members: [WebSocketConnection])]) {
        for batch in batches {
            let members = batch.members
            batch.loop.execute {
                var writer = Writer(delivery)
                for connection in members { writer.write(to: connection) }
            }
        }
    }

    /// Writes one delivery to members of one loop, on that loop.
    private struct Writer {
        let delivery: Delivery
        /// The frame for the last compression window asked for (one window for nearly everyone:
        /// the members that negotiated permessage-deflate with the same window share the bytes).
        private var window: Int?
        private var compressed: ByteBuffer?

        init(_ delivery: Delivery) { self.delivery = delivery }

        mutating func write(to connection: WebSocketConnection) {
            let bytes: ByteBuffer
            if let bits = connection.deflateWindowBits {
                if bits == window, let compressed {
                    bytes = compressed
                } else {
                    // Compressed here, by the first member of this loop that asks (once per frame
                    // and window for the whole gateway: the frame keeps it), so no loop waits for
                    // another to compress it.
                    let made = delivery.frame.bytes(deflateWindowBits: bits)
                    window = bits
                    compressed = made
                    bytes = made
                }
            } else {
                bytes = delivery.frame.bytes
            }
            connection.sendOnLoop(bytes, conflationKey: delivery.conflationKey, whole: delivery.whole)
        }
    }
}
