import NIOCore

/// One message to many connections, written on all of their event loops at once: a game's 1,000
/// writes on the relay's loop alone made the last spectator wait for the 999 before it while the
/// other loops idled. The members are grouped by loop; each other loop gets one task with its batch
/// (handed over first, so those loops write while this one does), then this loop writes its own.
/// Every write is the connection's own `send` on its loop (its conflation, one flush), and a
/// connection's frames keep their order: a loop runs its tasks in the order they were handed to it.
enum FanOut {
    /// Calls `write` for every member on the member's event loop. Called on `loop`.
    static func send<Members: Sequence>(to members: Members, on loop: any EventLoop,
                                        _ write: @escaping @Sendable (WebSocketConnection) -> Void)
        where Members.Element == WebSocketConnection {
        assert(loop.inEventLoop)
        // Sized once for all the members (a few KiB for a moment): no regrowth per broadcast.
        let capacity = members.underestimatedCount
        var own: [WebSocketConnection] = []
        own.reserveCapacity(capacity)
        // One entry per other loop: a handful at most (one loop per core), so a scan beats a hash.
        var batches: [(loop: any EventLoop, members: [WebSocketConnection])] = []
        for connection in members {
            let target = connection.eventLoop
            if target === loop {
                own.append(connection)
            } else if let index = batches.firstIndex(where: { $0.loop === target }) {
                batches[index].members.append(connection)
            } else {
                var batch: [WebSocketConnection] = []
                batch.reserveCapacity(capacity)
                batch.append(connection)
                batches.append((target, batch))
            }
        }
        for batch in batches {
            let members = batch.members
            batch.loop.execute { for connection in members { write(connection) } }
        }
        for connection in own { write(connection) }
    }
}
