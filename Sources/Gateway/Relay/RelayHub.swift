import Logging
import Metrics
import Monopoly
import NIOCore
import Redis
import RelayCore
import RelayProtocol
import WebSocket

extension WebSocketConnection: RelayPeer {
    public var number: UInt64 { id.rawValue }
}

/// The gateway's side of the relay: the shell around `RelayCore`. It keeps no game state, only
/// routing (which local connection holds which seat or watches which game, which commands await
/// an acknowledgement), and all of that is the core's. The shell owns the core on one event loop:
/// every event (a client message, a Redis message or result, a timer) is handed to the core
/// there, and the actions it returns are performed there, in order. No lock, no task per command:
/// Redis results come back as futures on the same loop (the Redis connections run on it).
public final class RelayHub: Sendable {
    typealias Core = RelayCore<WebSocketConnection, PreEncodedFrame>

    let configuration: RelayConfiguration
    let logger: Logger
    let authority: AuthorityMonitor
    /// The executor: the core lives here, and so do the Redis connections.
    let loop: any EventLoop
    /// Touched on `loop` only (checked in debug builds).
    private let confined: Confined
    let published = Counter(label: "monopoly_gateway_commands_published_total")
    let publishErrors = Counter(label: "monopoly_gateway_publish_errors_total")
    private let unavailable = Counter(label: "monopoly_gateway_authority_unavailable_total")
    /// Client messages refused by the per-connection rate limit (closes after too many: close code 1008).
    private let rateLimited = Counter(label: "monopoly_gateway_rate_limited_messages_total")
    private let heartbeatLapses = Counter(label: "monopoly_gateway_heartbeat_lapses_total")
    /// Commands published again because their last publish reached nobody (a shard between holders).
    private let republished = Counter(label: "monopoly_gateway_commands_republished_total")
    /// Disconnect reports nobody heard within `HANDOVER_TIMEOUT` (or Redis refused): the seat stays "connected".
    private let disconnectReportsLost = Counter(label: "monopoly_gateway_disconnect_reports_lost_total")
    /// Acknowledgements held until their connection was sent the state they name (`ReplyHolds`), and
    /// those that went out without it.
    private let acknowledgementsHeld = Counter(label: "monopoly_gateway_acks_held_for_state_total")
    private let acknowledgementsReleasedByTimeout = Counter(label: "monopoly_gateway_acks_released_without_state_total",
                                                            dimensions: [("reason", "timeout")])
    private let acknowledgementsReleasedByCap = Counter(label: "monopoly_gateway_acks_released_without_state_total",
                                                        dimensions: [("reason", "cap")])
    private let fanOutLatency = Metrics.Timer(label: "monopoly_gateway_state_fanout_seconds")

    /// What lives on `loop` only.
    private final class Confined: @unchecked Sendable {
        var core: Core
        var timers: [RelayTimer: Scheduled<Void>] = [:]
        /// The Redis connections, once the first connect succeeded (the gateway starts without Redis).
        var link: RedisLink?
        /// Events raised while actions are performed (a future already complete, a close that
        /// reports itself): handled after the current event, in order.
        var backlog = CircularBuffer<Core.Event>()
        var handling = false

        init(core: Core) { self.core = core }
    }

    struct RedisLink: Sendable {
        let client: RedisCommands
        let subscriber: RedisPubSub
    }

    init(configuration: RelayConfiguration, logger: Logger, loop: any EventLoop) {
        self.configuration = configuration
        self.logger = logger
        self.loop = loop
        let core = Core(configuration: configuration.core)
        let confined = Confined(core: core)
        self.confined = confined
        self.authority = AuthorityMonitor(interval: configuration.leaseCheckInterval) {
            let link = try await loop.submit { confined.link }.get()
            guard let client = link?.client else { throw RedisError.notConnected(.connecting) }
            return client
        }
    }

    func attach(_ link: RedisLink) {
        loop.execute { self.confined.link = link }
    }

    func currentLink() async -> RedisLink? {
        try? await loop.submit { self.confined.link }.get()
    }

    /// Reads the core on its loop, for tests and diagnostics (nothing is changed).
    func inspect<T: Sendable>(_ read: @escaping @Sendable (Core) -> T) async throws -> T {
        try await loop.submit { read(self.confined.core) }.get()
    }

    // MARK: - Connections (called on each connection's own loop)

    func opened(_ connection: WebSocketConnection) {
        submit(.opened(connection, now: .now))
    }

    func closed(_ connection: WebSocketConnection) {
        submit(.closed(connection))
    }

    /// Decoded here, on the connection's loop, so parsing is spread over the loops; a seat
    /// request's token is minted and hashed here too.
    func received(_ text: String, from connection: WebSocketConnection) {
        let parsed = ClientRequest.parse(text)
        var credentials: SeatCredentials?
        if case .success(let request) = parsed {
            switch request.kind {
            case .create, .join:
                let token = SeatToken.mint()
                credentials = SeatCredentials(token: token, tokenHash: SeatToken.proof(token, secret: configuration.seatTokenSecret),
                                              newGame: GameID.random())
            case .rejoin(let game, let token):
                credentials = SeatCredentials(token: token, tokenHash: SeatToken.proof(token, secret: configuration.seatTokenSecret),
                                              newGame: game)
            default:
                break
            }
        }
        submit(.received(connection, parsed, credentials: credentials, now: .now))
    }

    // MARK: - The executor

    /// Hands an event to the core on its loop and performs what it returns.
    func submit(_ event: Core.Event) {
        if loop.inEventLoop {
            run(event)
        } else {
            loop.execute { self.run(event) }
        }
    }

    private func run(_ event: Core.Event) {
        assert(loop.inEventLoop)
        let state = confined
        if state.handling { return state.backlog.append(event) }
        state.handling = true
        var next: Core.Event? = event
        while let event = next {
            for action in state.core.handle(event) { perform(action, state) }
            next = state.backlog.popFirst()
        }
        state.handling = false
    }

    private func perform(_ action: Core.Action, _ state: Confined) {
        switch action {
        case .send(let connection, let message):
            send(message, to: connection)
        case .broadcast(let members, let frame, let game, let conflated):
            // States supersede each other, so a member that reads slowly gets only the newest.
            let key = conflated ? ConflationKey("state:\(game.rawValue)") : nil
            FanOut.send(.init(frame: frame, conflationKey: key), to: members, on: loop)
        case .broadcastPatch(let members, let patch, let whole, let game):
            // A patch that would replace a queued state goes out as the whole state it makes.
            FanOut.send(.init(frame: patch, conflationKey: ConflationKey("state:\(game.rawValue)"), whole: whole), to: members, on: loop)
        case .pushLobby(let list, let watchers):
            FanOut.send(.init(frame: PreEncodedFrame(text: list.message()), conflationKey: ConflationKey("lobby")), to: watchers, on: loop)
        case .publish(let envelope):
            publish(envelope, state.link)
        case .reportDisconnect(let envelope):
            reportDisconnect(envelope, state.link)
        case .subscribe(let game):
            subscribe(game, state.link)
        case .unsubscribe(let game):
            guard let subscriber = state.link?.subscriber else { return submit(.unsubscribed(game)) }
            subscriber.unsubscribeShardedFuture([RedisChannels.state(game)], on: loop).whenComplete { _ in self.submit(.unsubscribed(game)) }
        case .readLastState(let game, let reader):
            readLastState(game, for: reader, state.link)
        case .readLobby:
            readLobby(state.link)
        case .checkAuthority:
            guard let client = state.link?.client else { return submit(.authorityChecked(alive: false)) }
            client.sendFuture(["GET", RedisArgument(RedisChannels.authorityLeaseKey)], on: loop).whenComplete { result in
                let holder = (try? result.get())?.string
                self.authority.record(holder)
                self.submit(.authorityChecked(alive: holder != nil))
            }
        case .schedule(let timer, let delay):
            // NIO's conversion clamps: no setting can overflow the nanoseconds.
            state.timers[timer] = loop.scheduleTask(in: TimeAmount(delay)) {
                self.confined.timers[timer] = nil
                self.submit(.timerFired(timer))
            }
        case .cancel(let timer):
            state.timers.removeValue(forKey: timer)?.cancel()
        case .close(let connection, let reason):
            connection.close(code: .policyViolation, reason: reason)
        case .restart(let connection):
            connection.close(code: .serviceRestart, reason: "the gateway was away past GATEWAY_TIMEOUT: rejoin")
        case .count(.heartbeatLapse):
            heartbeatLapses.increment()
        case .count(.rateLimited):
            rateLimited.increment()
        case .count(.authorityUnavailable):
            unavailable.increment()
        case .count(.republished):
            republished.increment()
        case .count(.disconnectReportLost):
            disconnectReportsLost.increment()
        case .count(.acknowledgementHeld):
            acknowledgementsHeld.increment()
        case .count(.acknowledgementReleasedByTimeout):
            acknowledgementsReleasedByTimeout.increment()
        case .count(.acknowledgementReleasedByCap):
            acknowledgementsReleasedByCap.increment()
        }
    }

    private func send(_ message: ClientMessage<PreEncodedFrame>, to connection: WebSocketConnection) {
        switch message {
        case .welcome(let game, let player, let token, let re):
            connection.send(text: ServerMessage.welcome(game: game, player: player, token: token, re: re))
        case .ack(let game, let seq, let re):
            connection.send(text: ServerMessage.ack(game: game, seq: seq, re: re))
        case .error(let code, let message, let re):
            connection.send(text: ServerMessage.error(code: code, message: message, re: re))
        case .lobby(let list, let re):
            connection.send(text: list.message(re: re))
        case .state(let frame):
            connection.send(frame)
        }
    }

    func recordFanOut(since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        fanOutLatency.recordNanoseconds(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
    }
}
