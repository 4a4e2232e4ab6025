import NIOCore
import Redis
import RelayProtocol

/// The lobby list, served from a cache: read from Redis once after each change the lobby channel
/// announces (or after a reconnect of the subscriber, which may have missed some), never once per
/// `lobby` request. Reads run one at a time; requests and changes that arrive during one share it.
extension RelayHub {
    enum LobbyRefresh { case idle, reading, readingAndChangedAgain }

    struct LobbyCache {
        /// The list as last read, while no change is known since it was read; nil: read it again.
        var list: LobbyList?
        var refresh = LobbyRefresh.idle
        /// `lobby` requests waiting for the read in flight (nil: it failed).
        var waiting: [CheckedContinuation<LobbyList?, Never>] = []
        /// A change happened while someone watched the lobby: the next list read goes to every watcher.
        var pushDue = false
    }

    /// The list for a `lobby` request: the cached one, or the one being read (nil: Redis failed).
    func lobbyList() async -> LobbyList? {
        await withCheckedContinuation { continuation in
            let start = withState { hub -> Bool in
                if let list = hub.lobby.list {
                    continuation.resume(returning: list)
                    return false
                }
                hub.lobby.waiting.append(continuation)
                guard hub.lobby.refresh == .idle else { return false }
                hub.lobby.refresh = .reading
                return true
            }
            if start { Task { await self.refreshLobby() } }
        }
    }

    /// The lobby list changed (or may have): the cache is dropped, and everyone watching the lobby
    /// gets the new list. Changes during a read fold into one more read after it, so a burst (many
    /// games starting at once) costs two reads instead of one per change, and an older list never
    /// overtakes a newer one on its way to the watchers. Nobody watching: read on the next request.
    func lobbyChanged() {
        let start = withState { hub -> Bool in
            hub.lobby.list = nil
            if !hub.lobbyWatchers.isEmpty { hub.lobby.pushDue = true }
            switch hub.lobby.refresh {
            case .idle:
                guard hub.lobby.pushDue else { return false }
                hub.lobby.refresh = .reading
                return true
            case .reading, .readingAndChangedAgain:
                hub.lobby.refresh = .readingAndChangedAgain
                return false
            }
        }
        if start { Task { await self.refreshLobby() } }
    }

    /// The subscriber lost its connection: lobby changes may be missed until it is back (and
    /// `resynchronize` reads the list again), so the cache is not trusted meanwhile.
    func forgetLobby() {
        withState { hub in
            hub.lobby.list = nil
            if hub.lobby.refresh == .reading { hub.lobby.refresh = .readingAndChangedAgain }
        }
    }

    private func refreshLobby() async {
        while true {
            let list = try? await readLobby()
            let (waiting, watchers, again) = withState { hub -> ([CheckedContinuation<LobbyList?, Never>], [WebSocketConnection], Bool) in
                let changed = hub.lobby.refresh == .readingAndChangedAgain
                // A list read while a change came in may predate it: served, never cached.
                if let list, !changed { hub.lobby.list = list }
                let waiting = hub.lobby.waiting
                hub.lobby.waiting = []
                var watchers: [WebSocketConnection] = []
                if list != nil, hub.lobby.pushDue {
                    watchers = hub.lobbyWatchers.compactMap { hub.sessions[$0]?.connection }
                    // A change during the read set it again for the next read.
                    if !changed { hub.lobby.pushDue = false }
                }
                // A failed read is not retried in a loop: the next change or request reads again.
                let again = list != nil && changed && hub.lobby.pushDue
                hub.lobby.refresh = again ? .reading : .idle
                return (waiting, watchers, again)
            }
            for continuation in waiting { continuation.resume(returning: list) }
            if let list, !watchers.isEmpty {
                let frame = PreEncodedFrame(text: list.message())
                for connection in watchers { connection.send(frame, conflationKey: ConflationKey("lobby")) }
            }
            if !again { return }
        }
    }

    /// One read of the lobby hash.
    func readLobby() async throws -> LobbyList {
        let reply = try await redis.send(["HVALS", RedisArgument(RedisChannels.lobbyKey)])
        if let message = reply.errorMessage { throw RedisError.server(message) }
        return LobbyList(entries: (reply.array ?? []).compactMap(\.bytes))
    }
}
