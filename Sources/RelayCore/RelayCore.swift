import Monopoly
import RelayProtocol

/// The gateway's relay as a pure state machine: no I/O, no clock, no randomness. It takes the
/// events the shell reports (a decoded client request, an authority reply, a state arrival, a
/// timer, a Redis result or reconnect, a connection closing) and returns what the shell must do.
/// The shell owns one core on one executor and performs its actions in order.
///
/// It is made of the machines in this folder: sessions and seats (here and in `+Requests`),
/// `PendingAcknowledgements`, `HandoverHolds`, `ReplyHolds` (replies after the state they name,
/// `+StateWaits`), `SubscriptionInterest` with the games' rooms, and `LobbyRefresh` with the lobby
/// watchers.
public struct RelayCore<Peer: RelayPeer, Frame: Sendable>: Sendable {
    public typealias Event = RelayEvent<Peer, Frame>
    public typealias Action = RelayAction<Peer, Frame>

    public let configuration: RelayCoreConfiguration

    /// One client connection: its seat (or the game it watches) and its requests in order.
    struct Session: Sendable {
        let peer: Peer
        var game: GameID?
        var player: String?
        var spectating = false
        /// Asked for `patch` messages (`patches: true` on lobby, create, join, spectate or rejoin).
        var patches = false
        var bucket: TokenBucket
        var strikes = 0
        /// Requests waiting their turn: one connection's requests are handled in order.
        var queue: [Queued] = []
        /// The request being handled waits for Redis or the authority; the queue waits for it.
        var busy = false
        /// Commands published for this connection so far: how many followed one (`PendingCommand.sent`).
        var published: UInt64 = 0
    }

    struct Queued: Sendable {
        var request: ClientRequest
        var credentials: SeatCredentials?
        var now: ContinuousClock.Instant
    }

    /// A command to publish once its game's channel is subscribed and the authority is alive.
    struct Forward: Sendable {
        var game: GameID
        var player: String?
        var message: EnvelopeMessage
        var re: JSONValue
        /// A seat request's token, handed to the client with its welcome.
        var token: String?
        /// The token's hash: what names the seat in the envelope.
        var seat: String?
        /// The client's address, on `create` only (the authority counts open games per address).
        var client: String?

        var isSeatRequest: Bool { token != nil }
    }

    /// What waits for a game's state channel to be subscribed.
    enum Resumption: Sendable {
        case seat(connection: UInt64, Forward)
        case spectate(connection: UInt64, re: JSONValue)
    }

    /// A game this gateway follows (it exists while anyone is interested in it).
    struct Room: Sendable {
        /// Local connections that receive the game's states, with their handles: fan-out hands the
        /// shell this collection as it is, with no per-member work.
        var members: [UInt64: Peer] = [:]
        /// The newest state seen, for anyone who enters the game.
        var last: (version: StateVersion, frame: Frame)?
        /// The chains of the members that take patches.
        var patches = PatchRoutes<Peer, Frame>()
    }

    struct LobbyRequester: Sendable {
        var connection: UInt64
        var re: JSONValue
    }

    /// The authority lease as last read, and the commands waiting for it to be read again.
    struct AuthorityView: Sendable {
        var alive = false
        var checking = false
        var waiting: [(connection: UInt64, forward: Forward)] = []
    }

    /// The gateway's `disconnect` for a connection that left, in its connection's line until heard.
    struct Report: Sendable {
        var connection: UInt64
        var order: UInt64
        var envelope: CommandEnvelope
    }

    var sessions: [UInt64: Session] = [:]
    var pending = PendingAcknowledgements()
    /// Each connection's commands in order, one publish in flight, held while their shard has no holder.
    var held: HandoverHolds
    /// Each connection's replies held behind an acknowledgement whose state it was not sent yet.
    var stateWaits = ReplyHolds<Frame>()
    /// Welcomes that came before the state that seated their player (on a Redis Cluster), by command.
    var welcomesWaiting: [String: (reply: AuthorityReply, awaits: ReplyHolds<Frame>.Awaited)] = [:]
    var reports: [String: Report] = [:]
    var subscriptions = SubscriptionInterest<Resumption>()
    var rooms: [GameID: Room] = [:]
    var lobbyWatchers: Set<UInt64> = []
    var lobby = LobbyRefresh<LobbyRequester>()
    var createRate: AddressRateLimit
    var authority = AuthorityView()
    var commandCount: UInt64 = 0

    public init(configuration: RelayCoreConfiguration) {
        self.configuration = configuration
        self.createRate = AddressRateLimit(perMinute: configuration.createsPerMinute)
        self.held = HandoverHolds(limits: configuration.handover)
    }

    public mutating func handle(_ event: Event) -> [Action] {
        var out: [Action] = []
        switch event {
        case .opened(let peer, let now):
            let bucket = TokenBucket(perSecond: configuration.messagesPerSecond, burst: configuration.messageBurst, now: now)
            sessions[peer.number] = Session(peer: peer, bucket: bucket)
        case .received(let peer, let parsed, let credentials, let now):
            received(peer, parsed, credentials, now, &out)
        case .closed(let peer):
            closed(peer.number, &out)
        case .published(let command, let receivers, let now):
            published(command, receivers: receivers, now: now, &out)
        case .publishFailed(let command):
            giveUp(command, "the command could not be published: Redis is unreachable", &out)
        case .reply(let reply):
            handle(reply, &out)
        case .state(let arrival):
            fanOut(arrival, &out)
        case .storedState(let game, let stored, let reader):
            read(stored, of: game, for: reader, &out)
        case .subscribed(let game):
            apply(subscriptions.subscribed(game), game, &out)
        case .subscribeFailed(let game):
            apply(subscriptions.subscribeFailed(game), game, &out)
        case .unsubscribed(let game):
            apply(subscriptions.unsubscribed(game), game, &out)
        case .timerFired(.acknowledgement(let command)):
            // Was it applied with its reply lost? The game's stored last state tells.
            if let waiting = pending[command] { out.append(.readLastState(waiting.game, for: .recovery(command: command))) }
        case .timerFired(.handover(let connection)):
            republish(connection, &out)
        case .timerFired(.stateWait(let connection)):
            releaseAll(connection, counting: .acknowledgementReleasedByTimeout, timerFired: true, &out)
        case .timerFired(.welcomeWait(let command)):
            guard let waiting = welcomesWaiting.removeValue(forKey: command) else { break }
            out.append(.count(.acknowledgementReleasedByTimeout))
            handle(waiting.reply, holding: false, &out)
        case .authorityChecked(let alive):
            authorityChecked(alive: alive, &out)
        case .lobbyChanged:
            lobbyChanged(&out)
        case .lobbyRead(let list):
            lobbyRead(list, &out)
        case .subscriberLost:
            lobby.forget()
        case .heartbeatLapsed:
            // The seats bound here may be disconnected in the authority's record while their
            // clients think they hold them: they connect again and rejoin with their tokens.
            out.append(.count(.heartbeatLapse))
            for session in sessions.values where session.player != nil { out.append(.restart(session.peer)) }
        case .subscriberReconnected:
            // Pub/sub is at-most-once: what was published meanwhile is caught up from the stored states.
            for game in rooms.keys { out.append(.readLastState(game, for: .resynchronization)) }
            lobbyChanged(&out)
        }
        return out
    }

    // MARK: - What tests and metrics may read

    public var sessionCount: Int { sessions.count }
    public var pendingCount: Int { pending.count }
    /// Commands held while their shard has no holder.
    public var heldCount: Int { held.count }
    /// Replies held until their connection was sent the state they name.
    public var repliesWaitingForState: Int { stateWaits.count + welcomesWaiting.count }
    public func interest(in game: GameID) -> Int { subscriptions.interest(in: game) }
    /// Games this gateway follows (subscribed, or about to be).
    public var followedGames: Int { rooms.count }
    public var gamesWithMembers: Int { rooms.values.filter { !$0.members.isEmpty }.count }
    public func game(of connection: UInt64) -> GameID? { sessions[connection]?.game }
    public func isWatchingTheLobby(_ connection: UInt64) -> Bool { lobbyWatchers.contains(connection) }

    // MARK: - Interest and rooms

    mutating func retain(_ game: GameID, _ waiter: Resumption, _ out: inout [Action]) {
        if rooms[game] == nil { rooms[game] = Room() }
        apply(subscriptions.retain(game, waiter), game, &out)
    }

    mutating func release(_ game: GameID, _ out: inout [Action]) {
        apply(subscriptions.release(game), game, &out)
        if subscriptions.interest(in: game) == 0 { rooms[game] = nil }
    }

    mutating func apply(_ step: SubscriptionInterest<Resumption>.Step, _ game: GameID, _ out: inout [Action]) {
        switch step.change {
        case .subscribe(let game): out.append(.subscribe(game))
        case .unsubscribe(let game): out.append(.unsubscribe(game))
        case nil: break
        }
        for waiter in step.ready { resume(waiter, game, &out) }
        for waiter in step.failed { fail(waiter, game, &out) }
    }

    /// The game's channel is subscribed: a seat request is forwarded, a spectator reads the newest state.
    mutating func resume(_ waiter: Resumption, _ game: GameID, _ out: inout [Action]) {
        switch waiter {
        case .seat(let connection, let forward):
            guard sessions[connection] != nil else { return release(game, &out) }
            sessions[connection]?.busy = false
            self.forward(forward, connection, &out)
            drain(connection, &out)
        case .spectate(let connection, let re):
            guard sessions[connection] != nil else { return release(game, &out) }
            out.append(.readLastState(game, for: .spectator(connection: connection, re: re)))
        }
    }

    mutating func fail(_ waiter: Resumption, _ game: GameID, _ out: inout [Action]) {
        release(game, &out)
        let (connection, re): (UInt64, JSONValue)
        switch waiter {
        case .seat(let waiting, let forward): (connection, re) = (waiting, forward.re)
        case .spectate(let waiting, let request): (connection, re) = (waiting, request)
        }
        guard let session = sessions[connection] else { return }
        say(session.peer, .error(code: ErrorCode.redisUnavailable, message: "cannot reach Redis", re: re), &out)
        sessions[connection]?.busy = false
        drain(connection, &out)
    }

    /// Removes a member and clears its seat; gives back its interest only if it still was a
    /// member, so a hang-up, a revoke and an acknowledged `leave` release once in total.
    mutating func leave(_ game: GameID, _ connection: UInt64, _ out: inout [Action]) {
        guard rooms[game]?.members.removeValue(forKey: connection) != nil else { return }
        rooms[game]?.patches.remove(connection)
        sessions[connection]?.game = nil
        sessions[connection]?.player = nil
        sessions[connection]?.spectating = false
        // No state of the game comes to it any more: what it held for one goes out.
        if !stateWaits.isEmpty { releaseSent(connection, &out) }
        release(game, &out)
    }

    // MARK: - Connections

    mutating func closed(_ connection: UInt64, _ out: inout [Action]) {
        guard let session = sessions.removeValue(forKey: connection) else { return }
        lobbyWatchers.remove(connection)
        if !stateWaits.isEmpty, stateWaits.drop(connection) { out.append(.cancel(.stateWait(connection: connection))) }
        // Nobody is left to answer: its commands not published yet or held (never received by
        // anyone) are dropped; its disconnect reports are not.
        for command in held.drop(connection, keeping: { reports[$0] != nil }) {
            guard let waiting = pending.take(command) else { continue }
            if waiting.isSeatRequest { release(waiting.game, &out) }
        }
        guard let game = session.game else { return }
        leave(game, connection, &out)
        // The authority keeps the seat for a grace period; it only needs to know.
        if let player = session.player { reportDisconnect(game: game, player: player, connection: connection, address: session.peer.limitKey, &out) }
    }

    /// The gateway's `disconnect` for a seat whose connection is gone (also for a seat welcomed
    /// after its connection closed, and for a seat request given up after the acknowledgement
    /// timeout: the authority finds the seat, if any, by gateway and connection). Lost, it would
    /// leave the seat "connected" for ever (no bot stands in, a lobby never gives it up): it goes
    /// in the connection's line, after what the connection sent, and is held like a command.
    mutating func reportDisconnect(game: GameID, player: String?, connection: UInt64, address: String, _ out: inout [Action]) {
        let id = nextCommandID()
        let envelope = CommandEnvelope(id: id, gateway: configuration.gatewayID, connection: "\(connection)",
                                       game: game, player: player, message: .disconnect)
        reports[id] = Report(connection: connection, order: commandCount, envelope: envelope)
        switch held.submit(id, order: commandCount, of: connection, from: address) {
        case .publish(let publication): send(publication, &out)
        case .queued: break
        case .refused: giveUp(id, Self.nobodyListening, &out)
        }
    }

    mutating func nextCommandID() -> String {
        commandCount += 1
        return "\(configuration.gatewayID)-\(commandCount)"
    }
}
