/// The lobby list, served from a cache: read from Redis once after each change the lobby channel
/// announces (or after a reconnect of the subscriber, which may have missed some), never once per
/// `lobby` request. Reads run one at a time; requests and changes that arrive during one share it,
/// and changes during a read fold into one more read after it, so a burst of changes (many games
/// starting at once) costs two reads, and an older list never overtakes a newer one.
public struct LobbyRefresh<Requester: Sendable>: Sendable {
    public enum Reading: Sendable, Equatable { case idle, reading, readingAndChangedAgain }

    /// The list as last read, while no change is known since it was read; nil: read it again.
    public private(set) var list: LobbyList?
    public private(set) var reading = Reading.idle
    /// `lobby` requests waiting for the read in flight.
    private var waiting: [Requester] = []
    /// A change happened while someone watched the lobby: the next list read goes to every watcher.
    public private(set) var pushDue = false

    public init() {}

    public enum Answer: Sendable {
        case list(LobbyList)
        /// Wait for a read; `startRead`: none is in flight, start one.
        case wait(startRead: Bool)
    }

    /// A `lobby` request: answered from the cache, or by the read in flight or to start.
    public mutating func request(_ requester: Requester) -> Answer {
        if let list { return .list(list) }
        waiting.append(requester)
        guard reading == .idle else { return .wait(startRead: false) }
        reading = .reading
        return .wait(startRead: true)
    }

    /// The list changed (or may have); returns whether to start a read. Nobody watching: the list
    /// is read on the next request.
    public mutating func changed(anyoneWatching: Bool) -> Bool {
        list = nil
        if anyoneWatching { pushDue = true }
        switch reading {
        case .idle:
            guard pushDue else { return false }
            reading = .reading
            return true
        case .reading, .readingAndChangedAgain:
            reading = .readingAndChangedAgain
            return false
        }
    }

    /// The subscriber is away: changes may be missed, so the cache is not trusted meanwhile.
    public mutating func forget() {
        list = nil
        if reading == .reading { reading = .readingAndChangedAgain }
    }

    public struct Completion: Sendable {
        /// Requests answered by this read (with the list, or nil: Redis failed).
        public var answered: [Requester]
        /// Push the list to every watcher.
        public var push: Bool
        /// Read again: changes came in during this read.
        public var readAgain: Bool
    }

    /// A read finished (nil: it failed; not retried in a loop, the next change or request reads again).
    public mutating func read(_ result: LobbyList?) -> Completion {
        let changed = reading == .readingAndChangedAgain
        // A list read while a change came in may predate it: served, never cached.
        if let result, !changed { list = result }
        let answered = waiting
        waiting = []
        let push = result != nil && pushDue
        // A change during the read keeps it due for the next read.
        if push && !changed { pushDue = false }
        let again = result != nil && changed && pushDue
        reading = again ? .reading : .idle
        return Completion(answered: answered, push: push, readAgain: again)
    }
}
