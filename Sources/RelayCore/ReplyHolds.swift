import RelayProtocol

/// Each connection's replies held until it was sent the state they name (README,
/// "Acknowledgements"). On one Redis the authority's commit script PUBLISHes a command's state and
/// then its `ack` on the gateway's one subscriber connection, so the state always comes first. On a
/// Redis Cluster the state goes out by SPUBLISH on the game's node and the ack by PUBLISH on the
/// reply channel's, two connections: the ack can come first. An ack naming seq N for a member of
/// the game whose newest state is older is held, and the replies after it wait behind it (one
/// connection's replies keep their order), until the state N or a later one (or one of a newer
/// epoch) went out to the game's members; then they go out right after that state.
///
/// Bounded: a line is let go whole `StateWaitLimits.timeout` after it started (the state was lost,
/// e.g. around a subscriber reconnect), when its connection leaves the game (no state of it will
/// come) or closes (dropped), and when it would pass `StateWaitLimits.perConnection`.
///
/// Invariant: a line is non-empty only while its first reply waits for a state not sent yet, and
/// its connection's timer (`RelayTimer.stateWait`) runs exactly while the line is non-empty.
struct ReplyHolds<Frame: Sendable>: Sendable {
    /// The state a reply names: `seq` of `game`, in `epoch` (nil: the game had no state yet when
    /// the reply came, so any epoch's `seq` will do).
    struct Awaited: Sendable, Equatable {
        var game: GameID
        var seq: Int
        var epoch: StateEpoch?

        /// Whether `version`, the newest state the game's members were sent, is `seq` or later in
        /// the same epoch, or of a newer epoch.
        func isMet(by version: StateVersion?) -> Bool {
            guard let version else { return false }
            if let epoch, version.epoch != epoch { return version.epoch > epoch }
            return version.seq >= seq
        }
    }

    struct Entry: Sendable {
        var message: ClientMessage<Frame>
        /// Nil: a reply that only keeps its place behind the first.
        var awaits: Awaited?
        /// An acknowledged `leave`: the connection leaves this game once the reply is out.
        var leaves: GameID?
    }

    private var lines: [UInt64: [Entry]] = [:]
    /// The connections whose line waits, by the game whose state its first reply waits for.
    private var waiting: [GameID: Set<UInt64>] = [:]

    var isEmpty: Bool { lines.isEmpty }
    /// Replies held, in all.
    var count: Int { lines.values.reduce(0) { $0 + $1.count } }
    func isHolding(_ connection: UInt64) -> Bool { lines[connection] != nil }
    func count(of connection: UInt64) -> Int { lines[connection]?.count ?? 0 }
    /// The connections whose first held reply waits for a state of `game`.
    func waiting(for game: GameID) -> Set<UInt64>? { waiting[game] }
    func first(of connection: UInt64) -> Entry? { lines[connection]?.first }

    /// Starts a line (`entry` waits) or appends to one.
    mutating func append(_ entry: Entry, of connection: UInt64) {
        if lines[connection] == nil, let awaits = entry.awaits { waiting[awaits.game, default: []].insert(connection) }
        lines[connection, default: []].append(entry)
    }

    /// Takes the line's first reply; `emptied` when it was the last. The next first reply, if it
    /// waits, is filed under its game.
    mutating func removeFirst(of connection: UInt64) -> (entry: Entry, emptied: Bool)? {
        guard var line = lines.removeValue(forKey: connection), !line.isEmpty else { return nil }
        let entry = line.removeFirst()
        unfile(entry, connection)
        guard let next = line.first else { return (entry, true) }
        if let awaits = next.awaits { waiting[awaits.game, default: []].insert(connection) }
        lines[connection] = line
        return (entry, false)
    }

    /// A closed connection's line: nobody is left to send it to.
    mutating func drop(_ connection: UInt64) -> Bool {
        guard let line = lines.removeValue(forKey: connection) else { return false }
        if let first = line.first { unfile(first, connection) }
        return true
    }

    private mutating func unfile(_ entry: Entry, _ connection: UInt64) {
        guard let game = entry.awaits?.game else { return }
        waiting[game]?.remove(connection)
        if waiting[game]?.isEmpty == true { waiting[game] = nil }
    }
}

/// How long an acknowledgement waits for the state it names, and how many replies one connection
/// may have held (`ReplyHolds`).
public struct StateWaitLimits: Sendable, Equatable {
    /// 500 ms: the ack's lead over its state is the gap between two of Redis's connections (the
    /// game's node and the reply channel's node write both within the same commit), well under a
    /// millisecond, a few when a node or the gateway's loop is busy. Past 500 ms the state was
    /// lost (a subscriber reconnect: the resynchronization reads it back, later) and the ack goes
    /// out without it. It stays a quarter of the default 2 s acknowledgement timeout, so a
    /// client's own patience (or a bot's) is not what runs out, and a line of replies is never
    /// delayed by more.
    public var timeout: Duration
    /// Replies held for one connection: one per command awaiting its answer, of which a
    /// connection has few (one publish in flight; `HandoverHolds` holds at most 16). A line that
    /// would pass it is let go at once, in order.
    public var perConnection: Int

    public init(timeout: Duration = .milliseconds(500), perConnection: Int = 16) {
        self.timeout = timeout
        self.perConnection = max(1, perConnection)
    }

    /// The default, shortened to a quarter of a shorter acknowledgement timeout.
    public static func forAcknowledgementTimeout(_ timeout: Duration) -> StateWaitLimits {
        StateWaitLimits(timeout: min(StateWaitLimits().timeout, timeout / 4))
    }
}
