import Monopoly
import RelayProtocol

/// What the core asks the shell to do. Every I/O action that has a result comes back as an event:
/// `publish` and `reportDisconnect` as `published`/`publishFailed`, `subscribe` as `subscribed`/`subscribeFailed`,
/// `unsubscribe` as `unsubscribed`, `readLastState` as `storedState`, `readLobby` as `lobbyRead`,
/// `checkAuthority` as `authorityChecked`, `schedule` as `timerFired`.
public enum RelayAction<Peer: RelayPeer, Frame: Sendable>: Sendable {
    public typealias Members = Dictionary<UInt64, Peer>.Values

    case send(Peer, ClientMessage<Frame>)
    /// One state frame to every member of a game: the same bytes for all. A state (`conflated`)
    /// replaces one still queued for a slow reader; chat never does.
    case broadcast(Members, Frame, game: GameID, conflated: Bool)
    /// A state's patch to the members whose chain it continues (`PatchRoutes`); `whole` is the
    /// state it makes, sent instead where the patch would replace a queued frame.
    case broadcastPatch(Members, patch: Frame, whole: Frame, game: GameID)
    /// The lobby list to every lobby watcher (encoded once; a newer list replaces a queued one).
    case pushLobby(LobbyList, to: [Peer])
    /// A command envelope on `monopoly:shard:{N}:cmd` (again, with the same id, while its shard has no holder).
    case publish(CommandEnvelope)
    /// The gateway's own `disconnect` for a seat it no longer holds a connection for: no answer is
    /// awaited, but the receiver count is (`published`/`publishFailed`: held while nobody listens).
    case reportDisconnect(CommandEnvelope)
    case subscribe(GameID)
    case unsubscribe(GameID)
    case readLastState(GameID, for: StoredStateReader)
    case readLobby
    /// Read the authority lease now: the last look found none.
    case checkAuthority
    case schedule(RelayTimer, after: Duration)
    case cancel(RelayTimer)
    /// Close the connection with 1008 (policy violation).
    case close(Peer, reason: String)
    /// Close the connection with 1012 (service restart): the client connects again and takes its
    /// seat back with its token.
    case restart(Peer)
    case count(RelayMetric)
}

/// A message for one client; the shell encodes it (and stamps `server_time`).
public enum ClientMessage<Frame: Sendable>: Sendable {
    case welcome(game: GameID, player: String?, token: String?, re: JSONValue)
    case ack(game: GameID, seq: Int?, re: JSONValue)
    case error(code: ErrorCode, message: String, re: JSONValue)
    case lobby(LobbyList, re: JSONValue)
    /// A state frame the core holds (a game's newest, for a member that just entered).
    case state(Frame)
}

public enum RelayMetric: Sendable, Equatable {
    /// A client message refused by the per-connection rate limit.
    case rateLimited
    /// A command answered `authority_unavailable`.
    case authorityUnavailable
    /// The heartbeat lapsed (its seated clients were closed with 1012).
    case heartbeatLapse
    /// A command published again: its last publish reached nobody (its shard between holders).
    case republished
    /// A disconnect report nobody heard within the handover bound (or Redis refused): the authority
    /// keeps the seat "connected".
    case disconnectReportLost
    /// An acknowledgement held until its connection was sent the state it names (on a Redis
    /// Cluster the ack can arrive first: `ReplyHolds`).
    case acknowledgementHeld
    /// A held acknowledgement sent without its state: `StateWaitLimits.timeout` passed (the state
    /// was lost, or is late) ...
    case acknowledgementReleasedByTimeout
    /// ... or its connection's line of held replies was full (`StateWaitLimits.perConnection`).
    case acknowledgementReleasedByCap
}
