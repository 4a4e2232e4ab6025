import RelayProtocol

/// Everything that happens to the relay, as the shell reports it to the core.
public enum RelayEvent<Peer: RelayPeer, Frame: Sendable>: Sendable {
    case opened(Peer, now: ContinuousClock.Instant)
    /// A client message, decoded at the edge; `credentials` for `create`, `join` and `rejoin`.
    case received(Peer, Result<ClientRequest, RequestError>, credentials: SeatCredentials?, now: ContinuousClock.Instant)
    case closed(Peer)
    /// The result of a `publish` action: Redis counted `receivers` subscribers (at `now`).
    case published(command: String, receivers: Int, now: ContinuousClock.Instant)
    case publishFailed(command: String)
    case reply(AuthorityReply)
    /// A message on a game's state channel (a state, or chat without a seq).
    case state(StateArrival<Frame>)
    /// The result of a `readLastState` action.
    case storedState(GameID, StoredState<Frame>, for: StoredStateReader)
    case subscribed(GameID)
    case subscribeFailed(GameID)
    case unsubscribed(GameID)
    case timerFired(RelayTimer)
    /// The authority lease was read (periodically, or because a `checkAuthority` asked).
    case authorityChecked(alive: Bool)
    /// `monopoly:lobby` announced a change.
    case lobbyChanged
    /// The result of a `readLobby` action (nil: Redis failed).
    case lobbyRead(LobbyList?)
    /// The subscriber lost its connection: what is published meanwhile is lost.
    case subscriberLost
    /// The subscriber is back (and has subscribed again to every channel it had).
    case subscriberReconnected
    /// The gateway's heartbeat lapsed (it was paused, or cut off from Redis, past `GATEWAY_TIMEOUT`):
    /// the authority may have disconnected every seat bound to it.
    case heartbeatLapsed
}

/// A game's state message, decoded as far as the core needs: its seq (nil for chat) and epoch, the
/// frame the shell encoded once, and the payload (read only when recovering a lost reply).
public struct StateArrival<Frame: Sendable>: Sendable {
    public var game: GameID
    public var seq: Int?
    /// The state's epoch (`zero` for chat, and for states from before epochs).
    public var epoch: StateEpoch
    public var frame: Frame
    public var payload: [UInt8]
    /// A `patch` message (README, "State patches"): held until the state `seq` arrives.
    public var patch: StatePatch.Header?

    public init(game: GameID, seq: Int?, epoch: StateEpoch = .zero, frame: Frame, payload: [UInt8], patch: StatePatch.Header? = nil) {
        self.game = game
        self.seq = seq
        self.epoch = epoch
        self.frame = frame
        self.payload = payload
        self.patch = patch
    }

    /// A state's version; nil for chat.
    public var version: StateVersion? { seq.map { StateVersion(epoch: epoch, seq: $0) } }
}

/// A game's stored last state, as read from Redis.
public enum StoredState<Frame: Sendable>: Sendable {
    case state(StateArrival<Frame>)
    /// No game by that code (or nothing stored yet).
    case none
    /// Redis could not be read.
    case unreadable
}

/// Who asked for a game's stored last state.
public enum StoredStateReader: Sendable, Equatable {
    /// A `spectate` request of this connection.
    case spectator(connection: UInt64, re: JSONValue)
    /// The acknowledgement timer of this command fired: was it applied?
    case recovery(command: String)
    /// After a subscriber reconnect: states published meanwhile were lost.
    case resynchronization
}

public enum RelayTimer: Hashable, Sendable {
    /// The command with this id has waited `acknowledgementTimeout` for its acknowledgement.
    case acknowledgement(command: String)
    /// Publish the commands this connection holds again (`HandoverHolds`): their shard had no holder.
    case handover(connection: UInt64)
    /// This connection's replies held for the state their acknowledgement names have waited
    /// `StateWaitLimits.timeout`: they go out without it (`ReplyHolds`).
    case stateWait(connection: UInt64)
    /// The welcome answering this seat request has waited `StateWaitLimits.timeout` for the state
    /// that seated the player: it is handled without it.
    case welcomeWait(command: String)
}
