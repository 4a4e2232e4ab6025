import Foundation
import Logging
import Metrics
import Monopoly
import NIOConcurrencyHelpers
import NIOCore
import Redis
import RelayProtocol
import WebSocket

/// The gateway's side of the relay. It keeps no game state, only routing:
/// which local connection holds which seat or watches which game, and which commands await an
/// acknowledgement. Client messages become envelopes on `monopoly:{GAME}:cmd`; states arriving on
/// `monopoly:{GAME}:state` are encoded once and written to every local member of the game.
public final class RelayHub: Sendable {
    let configuration: RelayConfiguration
    let logger: Logger
    let authority: AuthorityMonitor
    /// The Redis connections, once the first connect succeeded (the gateway starts without Redis).
    private let link = NIOLockedValueBox<RedisLink?>(nil)
    private let state = NIOLockedValueBox(HubState())
    private let commandCounter = NIOLockedValueBox<UInt64>(0)
    private let subscriptionTail = NIOLockedValueBox<Task<Void, Never>?>(nil)
    /// `create`s per client address (`CREATE_RATE_PER_MINUTE`).
    private let createRate: NIOLockedValueBox<AddressRateLimit>
    private let published = Counter(label: "monopoly_gateway_commands_published_total")
    private let publishErrors = Counter(label: "monopoly_gateway_publish_errors_total")
    private let unavailable = Counter(label: "monopoly_gateway_authority_unavailable_total")
    /// Client messages refused by the per-connection rate limit (closes after too many: close code 1008).
    private let rateLimited = Counter(label: "monopoly_gateway_rate_limited_messages_total")
    private let fanOutLatency = Metrics.Timer(label: "monopoly_gateway_state_fanout_seconds")

    struct Session {
        let connection: WebSocketConnection
        var game: GameID?
        var player: String?
        var spectating = false
        var inLobby = false
        var bucket: TokenBucket
        var strikes = 0
        /// Client messages waiting their turn: one connection's messages are handled in order.
        var queue: [ClientRequest] = []
        var draining = false
    }

    struct Pending {
        let connection: ConnectionID
        let re: JSONValue
        let game: GameID
        let type: String
        /// The token minted for a `create`/`join`/`rejoin`, handed over with the welcome.
        let token: String?
        let timeout: Scheduled<Void>?
    }

    struct GameSubscription {
        /// Local connections that receive this game's states, with their handles: fan-out walks
        /// the handles directly instead of looking up (and copying) every member's session.
        var members: [ConnectionID: WebSocketConnection] = [:]
        /// Members plus seat requests and spectate requests in flight: the subscription's reference count.
        var interest = 0
        /// The newest state seen, for anyone who enters the game (seq, frame).
        var last: (seq: Int, frame: PreEncodedFrame)?
    }

    struct HubState {
        var sessions: [ConnectionID: Session] = [:]
        var pending: [String: Pending] = [:]
        var games: [GameID: GameSubscription] = [:]
        var lobbyWatchers: Set<ConnectionID> = []
        var lobby = LobbyCache()
        /// State channels Redis has confirmed; changed only by `applySubscription`, one at a time.
        var subscribed: Set<GameID> = []
    }

    struct RedisLink: Sendable {
        let client: RedisClient
        let subscriber: RedisSubscriber
    }

    init(configuration: RelayConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        self.createRate = NIOLockedValueBox(AddressRateLimit(perMinute: configuration.createsPerMinute))
        let link = self.link
        self.authority = AuthorityMonitor(interval: configuration.leaseCheckInterval) {
            guard let client = link.withLockedValue({ $0 })?.client else { throw RedisError.notConnected(.connecting) }
            return client
        }
    }

    func attach(_ link: RedisLink) {
        self.link.withLockedValue { $0 = link }
    }

    var currentLink: RedisLink? { link.withLockedValue { $0 } }

    var redis: RedisClient {
        get throws {
            guard let client = currentLink?.client else { throw RedisError.notConnected(.connecting) }
            return client
        }
    }

    var subscriber: RedisSubscriber {
        get throws {
            guard let subscriber = currentLink?.subscriber else { throw RedisError.notConnected(.connecting) }
            return subscriber
        }
    }

    // MARK: - Connections

    func opened(_ connection: WebSocketConnection) {
        let bucket = TokenBucket(perSecond: configuration.messagesPerSecond, burst: configuration.messageBurst)
        state.withLockedValue { $0.sessions[connection.id] = Session(connection: connection, bucket: bucket) }
    }

    func closed(_ connection: WebSocketConnection) {
        let seat = state.withLockedValue { hub -> (GameID, String)? in
            guard let session = hub.sessions.removeValue(forKey: connection.id) else { return nil }
            hub.lobbyWatchers.remove(connection.id)
            if let game = session.game { leave(game, connection.id, &hub) }
            if let game = session.game, let player = session.player { return (game, player) }
            return nil
        }
        if let (game, player) = seat { reportDisconnect(game: game, player: player, connection: connection.id) }
    }

    /// The authority keeps a seat for a grace period after its connection is gone; it only needs
    /// to know. (Also sent for a seat whose welcome arrives after its connection closed, and for a
    /// seat request given up after the acknowledgement timeout: the authority finds the seat, if
    /// any, by gateway and connection.)
    func reportDisconnect(game: GameID, player: String?, connection: ConnectionID) {
        let envelope = CommandEnvelope(id: nextCommandID(), gateway: configuration.gatewayID, connection: "\(connection)",
                                       game: game, player: player, message: .disconnect)
        currentLink?.client.publishFuture(RedisChannels.commands(game), RedisArgument(WireJSON.encode(envelope))).whenFailure { error in
            self.logger.warning("could not report a disconnect: \(error)", metadata: [
                "game": "\(game)", "connection": "\(connection)", "player": "\(player ?? "-")",
            ])
        }
    }

    func received(_ text: String, from connection: WebSocketConnection) {
        enum Verdict { case handle, limited, close }
        let verdict = state.withLockedValue { hub -> Verdict in
            guard var session = hub.sessions[connection.id] else { return .close }
            defer { hub.sessions[connection.id] = session }
            if session.bucket.take() {
                session.strikes = 0
                return .handle
            }
            session.strikes += 1
            return session.strikes >= configuration.rateLimitStrikes ? .close : .limited
        }
        switch verdict {
        case .close:
            connection.close(code: .policyViolation, reason: "rate limit")
            return
        case .limited:
            rateLimited.increment()
            connection.send(text: ServerMessage.error(code: ErrorCode.rateLimited, message: "slow down: at most \(Int(configuration.messagesPerSecond)) messages per second", re: .null))
            return
        case .handle:
            break
        }
        switch ClientRequest.parse(text) {
        case .failure(let error):
            connection.send(text: ServerMessage.error(code: error.code, message: error.message, re: error.re))
        case .success(let request):
            enqueue(request, for: connection)
        }
    }

    /// One connection's requests run one after another (a join must finish before the next
    /// command can name the seat); different connections run concurrently.
    private func enqueue(_ request: ClientRequest, for connection: WebSocketConnection) {
        let start = state.withLockedValue { hub -> Bool in
            guard hub.sessions[connection.id] != nil else { return false }
            hub.sessions[connection.id]!.queue.append(request)
            if hub.sessions[connection.id]!.draining { return false }
            hub.sessions[connection.id]!.draining = true
            return true
        }
        guard start else { return }
        Task {
            while let next = self.state.withLockedValue({ hub -> ClientRequest? in
                guard hub.sessions[connection.id] != nil else { return nil }
                if hub.sessions[connection.id]!.queue.isEmpty {
                    hub.sessions[connection.id]!.draining = false
                    return nil
                }
                return hub.sessions[connection.id]!.queue.removeFirst()
            }) {
                await self.handle(next, from: connection)
            }
        }
    }

    // MARK: - Requests

    private func handle(_ request: ClientRequest, from connection: WebSocketConnection) async {
        let session = state.withLockedValue { $0.sessions[connection.id] }
        guard let session else { return }
        let re = request.id
        func fail(_ code: ErrorCode, _ message: String) {
            connection.send(text: ServerMessage.error(code: code, message: message, re: re))
        }
        // A seat request (create, join, rejoin) holds the connection's one seat until its answer:
        // a second one (or a spectate) meanwhile would seat or seed the connection in two games, of
        // which it would only ever leave (and report disconnected from) the last.
        switch request.kind {
        case .create, .join, .rejoin, .spectate:
            if seatRequestInFlight(for: connection.id) {
                return fail(ErrorCode.alreadySeated, "wait for the answer to your previous seat request")
            }
        default:
            break
        }
        switch request.kind {
        case .lobby:
            state.withLockedValue { _ = $0.lobbyWatchers.insert(connection.id) }
            guard let list = await lobbyList() else { return fail(ErrorCode.redisUnavailable, "the lobby cannot be read right now") }
            connection.send(text: list.message(re: re))

        case .create(let name, let options):
            guard session.game == nil else { return fail(ErrorCode.alreadySeated, "leave game \(session.game!) first") }
            guard withCreateRate({ $0.allow(connection.limitKey) }) else {
                return fail(ErrorCode.rateLimited, "at most \(Int(configuration.createsPerMinute)) new games per minute from one address")
            }
            let game = GameID.random()
            await requestSeat(game: game, message: .create(name: name, options: options),
                              token: SeatToken.mint(), connection: connection, re: re)

        case .join(let game, let name):
            guard session.game == nil else { return fail(ErrorCode.alreadySeated, "leave game \(session.game!) first") }
            await requestSeat(game: game, message: .join(name: name), token: SeatToken.mint(), connection: connection, re: re)

        case .rejoin(let game, let token):
            guard session.game == nil || (session.game == game && session.player == nil) else {
                return fail(ErrorCode.alreadySeated, "leave game \(session.game!) first")
            }
            if session.spectating { state.withLockedValue { leave(game, connection.id, &$0) } }
            await requestSeat(game: game, message: .rejoin, token: token, connection: connection, re: re)

        case .spectate(let game):
            guard session.game == nil else { return fail(ErrorCode.alreadySeated, "leave game \(session.game!) first") }
            await spectate(game, connection: connection, re: re)

        case .leave:
            guard let game = session.game else { return fail(ErrorCode.notSeated, "you are not in a game") }
            if session.player == nil {
                state.withLockedValue { leave(game, connection.id, &$0) }
                connection.send(text: ServerMessage.ack(game: game, seq: nil, re: re))
            } else {
                await forward(game: game, player: session.player, message: .leave, connection: connection, re: re)
            }

        case .chat(let text):
            await forwardSeated(.chat(text: text), session: session, connection: connection, re: re)
        case .addBot:
            await forwardSeated(.addBot, session: session, connection: connection, re: re)
        case .command(let command):
            await forwardSeated(.command(command), session: session, connection: connection, re: re)
        }
    }

    /// A message only a seated player sends (chat, add_bot, the rules' commands), as that player.
    private func forwardSeated(_ message: EnvelopeMessage, session: Session, connection: WebSocketConnection, re: JSONValue) async {
        guard let game = session.game, let player = session.player else {
            connection.send(text: ServerMessage.error(code: ErrorCode.notSeated,
                                                      message: "\(message.type) needs a seat: join or rejoin a game first", re: re))
            return
        }
        await forward(game: game, player: player, message: message, connection: connection, re: re)
    }

    /// `create`, `join`, `rejoin`: subscribe to the game's states first, so the state the
    /// authority publishes before its welcome is already here when the welcome arrives.
    private func requestSeat(game: GameID, message: EnvelopeMessage, token: String, connection: WebSocketConnection, re: JSONValue) async {
        do {
            try await retain(game)
        } catch {
            connection.send(text: ServerMessage.error(code: ErrorCode.redisUnavailable, message: "cannot reach Redis", re: re))
            return
        }
        let sent = await forward(game: game, player: nil, message: message, connection: connection, re: re, token: token)
        if !sent { await release(game) }
    }

    private func spectate(_ game: GameID, connection: WebSocketConnection, re: JSONValue) async {
        do {
            try await retain(game)
            let stored = try await self.redis.get(RedisChannels.lastStateKey(game))
            let entered = state.withLockedValue { hub -> Bool in
                guard hub.sessions[connection.id] != nil else { return false }
                var subscription = hub.games[game] ?? GameSubscription()
                if let stored, let seq = Self.sequenceNumber(in: stored, game: game), seq > (subscription.last?.seq ?? 0) {
                    subscription.last = (seq, PreEncodedFrame(encoded: ByteBuffer(bytes: WebSocketFrameEncoder.frame(opcode: .text, payload: stored))))
                }
                guard let last = subscription.last else { return false }
                subscription.members[connection.id] = connection
                hub.games[game] = subscription
                hub.sessions[connection.id]!.game = game
                hub.sessions[connection.id]!.spectating = true
                hub.lobbyWatchers.remove(connection.id)
                connection.send(text: ServerMessage.welcome(game: game, player: nil, token: nil, re: re))
                connection.send(last.frame)
                return true
            }
            if !entered {
                await release(game)
                connection.send(text: ServerMessage.error(code: ErrorCode.unknownGame, message: "there is no game \(game)", re: re))
            }
        } catch {
            await release(game)
            connection.send(text: ServerMessage.error(code: ErrorCode.redisUnavailable, message: "cannot reach Redis", re: re))
        }
    }

    /// Publishes one envelope and registers the wait for its acknowledgement. Returns whether it
    /// was sent to a live authority; otherwise the client already has its error.
    @discardableResult
    private func forward(game: GameID, player: String?, message: EnvelopeMessage, connection: WebSocketConnection,
                         re: JSONValue, token: String? = nil) async -> Bool {
        func unavailable(_ why: String) -> Bool {
            self.unavailable.increment()
            logger.debug("command refused: \(why)", metadata: ["game": "\(game)", "connection": "\(connection.id)"])
            connection.send(text: ServerMessage.error(code: ErrorCode.authorityUnavailable, message: why, re: re))
            return false
        }
        // The cached view of the lease may be one poll old (a standby may have just taken it).
        if !authority.isAlive { await authority.check() }
        guard authority.isAlive else { return unavailable("no game authority holds the lease right now; try again shortly") }
        let id = nextCommandID()
        let envelope = CommandEnvelope(id: id, gateway: configuration.gatewayID, connection: "\(connection.id)", game: game,
                                       player: player, seat: token.map(SeatToken.hash),
                                       client: message.type == "create" ? connection.limitKey : nil,
                                       key: CommandEnvelope.key(of: re), message: message)
        // NIO's conversion clamps: no setting can overflow the nanoseconds.
        let timeout = connection.eventLoop.scheduleTask(in: TimeAmount(configuration.acknowledgementTimeout)) {
            self.acknowledgementTimedOut(id)
        }
        state.withLockedValue {
            $0.pending[id] = Pending(connection: connection.id, re: re, game: game, type: envelope.type, token: token, timeout: timeout)
        }
        do {
            let receivers = try await self.redis.publish(RedisChannels.commands(game), WireJSON.encode(envelope))
            published.increment()
            logger.trace("command published", metadata: [
                "game": "\(game)", "connection": "\(connection.id)", "command": "\(id)", "receivers": "\(receivers)",
            ])
            if receivers == 0 {
                timeout.cancel()
                state.withLockedValue { _ = $0.pending.removeValue(forKey: id) }
                return unavailable("no game authority is listening")
            }
            return true
        } catch {
            publishErrors.increment()
            timeout.cancel()
            state.withLockedValue { _ = $0.pending.removeValue(forKey: id) }
            return unavailable("the command could not be published: Redis is unreachable")
        }
    }

    private func acknowledgementTimedOut(_ id: String) {
        guard let pending = state.withLockedValue({ $0.pending[id] }) else { return }
        Task {
            // Pub/sub is at-most-once: around a Redis reconnect the reply (and the state) can be
            // published before this gateway has re-subscribed. If the game's stored last state
            // names this command, it was applied: deliver that state, then the reply it implies.
            if let stored = try? await self.redis.get(RedisChannels.lastStateKey(pending.game)),
               let reply = Self.recoveredReply(to: id, pending, from: stored) {
                self.fanOut(stored, game: pending.game)
                self.handle(reply)
                return
            }
            // A late reply may have been handled while Redis was asked.
            guard self.state.withLockedValue({ $0.pending.removeValue(forKey: id) }) != nil else { return }
            let connection = self.state.withLockedValue { $0.sessions[pending.connection]?.connection }
            self.unavailable.increment()
            connection?.send(text: ServerMessage.error(code: ErrorCode.authorityUnavailable,
                                                       message: "the game authority did not answer in time; try again", re: pending.re))
            if pending.token != nil {
                // The seat request may still be applied (late) or have been applied with its
                // welcome lost and the state moved on: the authority would then hold a seat for
                // this connection that the gateway does not know of, "connected" for ever (never
                // played for, and the connection's next join refused as already seated). It is
                // reported gone, as a hang-up would be; a no-op when no seat was taken.
                self.reportDisconnect(game: pending.game, player: nil, connection: pending.connection)
                await self.release(pending.game)
            }
        }
    }

    /// The authority's reply to command `id` when `stored` (a game's last state) names it: a seat
    /// request's welcome (the state names the seated player), any other command's ack.
    static func recoveredReply(to id: String, _ pending: Pending, from stored: [UInt8]) -> AuthorityReply? {
        guard let header = try? WireJSON.decode(StateHeader.self, from: stored), let cause = header.cmd, cause.id == id,
              let seq = header.seq else { return nil }
        let connection = "\(pending.connection)"
        guard pending.token != nil else {
            return AuthorityReply(kind: .ack, command: id, connection: connection, game: pending.game, seq: seq)
        }
        guard let player = cause.player else { return nil }
        return AuthorityReply(kind: .welcome, command: id, connection: connection, game: pending.game, player: player)
    }

    /// Whether a `create`, `join` or `rejoin` of this connection still awaits its answer.
    private func seatRequestInFlight(for connection: ConnectionID) -> Bool {
        state.withLockedValue { hub in hub.pending.values.contains { $0.connection == connection && $0.token != nil } }
    }

    func nextCommandID() -> String {
        let number = commandCounter.withLockedValue { counter -> UInt64 in
            counter += 1
            return counter
        }
        return "\(configuration.gatewayID)-\(number)"
    }

    // MARK: - Membership and subscriptions

    /// Counts interest in a game and subscribes to its state channel on the first.
    func retain(_ game: GameID) async throws {
        state.withLockedValue { $0.games[game, default: GameSubscription()].interest += 1 }
        do {
            try await reconcileSubscription(game)
        } catch {
            await release(game)
            throw error
        }
    }

    /// Gives back one interest; the last one unsubscribes.
    func release(_ game: GameID) async {
        state.withLockedValue { hub in
            guard hub.games[game] != nil else { return }
            hub.games[game]!.interest -= 1
            if hub.games[game]!.interest <= 0 { hub.games[game] = nil }
        }
        try? await reconcileSubscription(game)
    }

    /// Subscription changes run one at a time, in the order they were asked for, and each makes
    /// Redis match the interest counted at that moment: a last member leaving and a new one
    /// entering at once can never end with the UNSUBSCRIBE winning.
    private func reconcileSubscription(_ game: GameID) async throws {
        let failure = NIOLockedValueBox<(any Error)?>(nil)
        let task = subscriptionTail.withLockedValue { tail -> Task<Void, Never> in
            let previous = tail
            let next = Task {
                await previous?.value
                do {
                    try await self.applySubscription(game)
                } catch {
                    failure.withLockedValue { $0 = error }
                }
            }
            tail = next
            return next
        }
        await task.value
        if let error = failure.withLockedValue({ $0 }) { throw error }
    }

    private func applySubscription(_ game: GameID) async throws {
        let (wanted, active) = state.withLockedValue { hub in
            ((hub.games[game]?.interest ?? 0) > 0, hub.subscribed.contains(game))
        }
        if wanted && !active {
            try await self.subscriber.subscribe(RedisChannels.state(game))
            state.withLockedValue { _ = $0.subscribed.insert(game) }
        } else if !wanted && active {
            state.withLockedValue { _ = $0.subscribed.remove(game) }
            try? await self.subscriber.unsubscribe(RedisChannels.state(game))
        }
    }

    /// Removes a member (under the lock) and clears its seat; gives back its interest only if it
    /// still was a member, so a hang-up, a revoke and an acknowledged `leave` release once in total.
    func leave(_ game: GameID, _ connection: ConnectionID, _ hub: inout HubState) {
        guard hub.games[game]?.members.removeValue(forKey: connection) != nil else { return }
        hub.sessions[connection]?.game = nil
        hub.sessions[connection]?.player = nil
        hub.sessions[connection]?.spectating = false
        Task { await self.release(game) }
    }

    /// The seq of a state payload of `game` (nil for chat): found by a byte scan in the form the
    /// authority writes, decoded otherwise.
    static func sequenceNumber(in payload: [UInt8], game: GameID) -> Int? {
        if let seq = StateSequence(game: game.rawValue).find(in: payload) { return seq }
        guard let value = try? WireJSON.decode(StateHeader.self, from: payload) else { return nil }
        return value.seq
    }

    struct StateHeader: Decodable {
        struct Cause: Decodable {
            var id: String?
            /// The player the command was applied for: for a seat request, the seat it got.
            var player: String?
        }
        var type: String
        var seq: Int?
        var cmd: Cause?
    }

    func withState<T>(_ body: (inout HubState) -> T) -> T {
        state.withLockedValue(body)
    }

    func withCreateRate<T>(_ body: (inout AddressRateLimit) -> T) -> T {
        createRate.withLockedValue(body)
    }

    func recordFanOut(since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        fanOutLatency.recordNanoseconds(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
    }
}
