import Foundation
import Logging
import Monopoly
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Redis
import RelayProtocol
import ServiceLifecycle

public struct AuthorityConfiguration: Sendable {
    public var redisURL: String
    /// `REDIS_CLUSTER`: a cluster's seeds instead of `redisURL` (see `RedisTarget`).
    public var redisCluster: String?
    /// `REDIS_WAIT_REPLICAS` / `REDIS_WAIT_TIMEOUT_MS`: replicas that confirm each commit before it
    /// is acknowledged; nil: 1 on a cluster, none on one Redis (see `ReplicaWait`).
    public var replicaWait: ReplicaWait?
    /// This process's name in the shard leases and the logs.
    public var id: String
    public var dice: SharedDiceScript
    public var seed: UInt64?
    public var unshuffledCards: Bool
    public var timing: AuthorityTiming
    public var leaseMilliseconds: Int
    /// How often the members and shard leases are observed: a dead authority's shards are taken at
    /// most this long after their leases expire; released ones (SIGTERM, a join), within this long.
    public var standbyPollMilliseconds = 100
    /// After Redis was unreachable, how long it must answer again before shards are taken: the
    /// gateways' longest reconnect backoff (2 s) plus a margin, so they are listening for replies.
    public var redisSettleMilliseconds = 2500
    /// How long a finished game's keys live after the commit that finished it (`FINISHED_TTL_SECONDS`).
    public var finishedTTLSeconds = GameStore.defaultFinishedTTLSeconds
    /// `MAX_LOG_ENTRIES`: the bound of each game's command log (see `GameStore.commitScript`).
    public var maxLogEntries = GameStore.defaultMaxLogEntries
    /// Open games (lobby or running) created from one client address (`MAX_GAMES_PER_CLIENT`).
    public var maxGamesPerClient = 3
    /// Open games (lobby or running) one authority holds at most (`MAX_GAMES_PER_AUTHORITY`).
    public var maxGamesPerAuthority = 10_000
    /// Games one client address may create per minute over every gateway (`CREATE_RATE_PER_MINUTE`;
    /// each gateway checks it too, for what it forwards); nil: no rate.
    public var createRatePerMinute: Double? = 10
    /// How often the heartbeat keys of the gateways holding seats are read (`GatewayLivenessMonitor`).
    public var gatewayPollMilliseconds = 1000

    public init(redisURL: String, id: String, dice: SharedDiceScript = SharedDiceScript(), seed: UInt64? = nil,
                unshuffledCards: Bool = false, timing: AuthorityTiming = AuthorityTiming(), leaseMilliseconds: Int = 3000) {
        self.redisURL = redisURL
        self.id = id
        self.dice = dice
        self.seed = seed
        self.unshuffledCards = unshuffledCards
        self.timing = timing
        self.leaseMilliseconds = leaseMilliseconds
    }
}

/// The game authority: every one is active and holds the leases of a fair share of the game shards
/// (`ShardLeases`); it consumes the command channels of those shards only, runs each of their games
/// on its own serial runner, and publishes states. Shards move between authorities as they join,
/// leave and die.
public final class AuthorityService: Service, Sendable {
    public let configuration: AuthorityConfiguration
    private let logger: Logger
    private let metrics = AuthorityMetrics()
    private let state = NIOLockedValueBox(AuthorityState())

    private struct AuthorityState {
        var role = AuthorityStatus.Role.starting
        var client: RedisCommands?
        var subscriber: RedisPubSub?
    }

    public init(configuration: AuthorityConfiguration, logger: Logger) {
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "authority"] = "\(configuration.id)"
        self.logger = logger
    }

    public func run() async throws {
        var target = try RedisTarget(url: configuration.redisCluster == nil ? configuration.redisURL : nil, cluster: configuration.redisCluster)
        // A write that waited longer than the lease could land after another took the shard over: a
        // command times out (and its connection is dropped) well within one lease.
        let leaseBound = TimeAmount.milliseconds(Int64(configuration.leaseMilliseconds) * 2 / 3)
        target.updateConnections { $0.commandTimeout = min($0.commandTimeout, leaseBound) }
        // A WAIT holds its connection: it must end well before the command timeout drops it.
        var replicaWait = configuration.replicaWait ?? (target.isCluster ? ReplicaWait(replicas: 1) : .none)
        replicaWait.timeoutMilliseconds = min(replicaWait.timeoutMilliseconds, max(1, Int(leaseBound.nanoseconds / 2_000_000)))
        let group = MultiThreadedEventLoopGroup.singleton
        let client = try await Self.connect(logger: logger) {
            try await RedisCommands.connect(target, eventLoopGroup: group, logger: self.logger)
        }
        let subscriber = try await Self.connect(logger: logger) {
            try await RedisPubSub.connect(for: client, eventLoopGroup: group, logger: self.logger, global: false)
        }
        state.withLockedValue {
            $0.client = client
            $0.subscriber = subscriber
            $0.role = .standby
        }
        let leases = ShardLeases(holder: configuration.id, commands: client, ttlMilliseconds: configuration.leaseMilliseconds)
        let runners = RunnerRegistry(
            processor: CommandProcessor(dice: configuration.dice, seed: configuration.seed, unshuffledCards: configuration.unshuffledCards),
            store: GameStore(commands: client, finishedTTLSeconds: configuration.finishedTTLSeconds, fence: leases.fence,
                             maxLogEntries: configuration.maxLogEntries, replicaWait: replicaWait), timing: configuration.timing, metrics: metrics, logger: logger,
            maxGamesPerClient: configuration.maxGamesPerClient, createRatePerMinute: configuration.createRatePerMinute,
            clientQuota: ClientQuota(commands: client, limit: configuration.maxGamesPerClient, createsPerMinute: configuration.createRatePerMinute),
            maxGamesPerAuthority: configuration.maxGamesPerAuthority)
        logger.info("authority started; waiting for the lease of its shards",
                    metadata: ["redis": "\(target.redacted)", "wait-replicas": "\(replicaWait.replicas)"])

        let holding = Task { await self.holdShards(leases, subscriber: subscriber, runners: runners) }
        var liveness = GatewayLivenessMonitor(redis: client, runners: runners, bindings: runners.bindings, logger: logger)
        liveness.interval = .milliseconds(Int64(configuration.gatewayPollMilliseconds))
        let watching = Task { await liveness.run() }
        let renewing = Task { await self.renewClientQuotas(runners.openGames) }
        let consuming = Task {
            for await message in subscriber.messages {
                guard RedisChannels.shard(ofCommandChannel: message.channel) != nil else { continue }
                switch CommandInput(payload: message.payload, channel: message.channel) {
                case .envelope(let envelope):
                    await runners.dispatch(envelope)
                case .refused(let error):
                    self.logger.warning("refusing an unreadable envelope on \(message.channel): \(error)")
                    await runners.refuse(error)
                case .dropped(let what):
                    self.logger.warning("dropping \(what)")
                }
            }
        }
        try? await gracefulShutdown()
        state.withLockedValue { $0.role = .stopping }
        // The lease loop stops first (it must not subscribe again); the leases stay ours for now.
        holding.cancel()
        await holding.value
        watching.cancel()
        await watching.value
        renewing.cancel()
        await renewing.value
        // No command is dropped on the way out: once UNSUBSCRIBE is confirmed, every command Redis
        // sent us is in the stream ahead of it; closing finishes the stream after those, and each
        // reaches its runner.
        let channels = await leases.heldShards.map(RedisChannels.shardCommands)
        if !channels.isEmpty { try? await subscriber.unsubscribeSharded(channels) }
        await subscriber.close()
        await consuming.value
        // Runners finish what they were given; then the leases go, so the others take over at once.
        await runners.stopAll()
        _ = await leases.stop()
        metrics.shardsHeld(0)
        await client.close()
        logger.info("authority stopped")
    }

    /// Renews, every `ClientQuota.refreshInterval`, the system-wide entries of the open games this
    /// authority holds (`MAX_GAMES_PER_CLIENT` over every authority): an entry not renewed expires.
    private func renewClientQuotas(_ openGames: OpenGamesLedger) async {
        guard let quota = openGames.clientQuota else { return }
        while !Task.isCancelled {
            try? await Task.sleep(for: ClientQuota.refreshInterval)
            for (address, games) in openGames.gamesByCreator() where !Task.isCancelled {
                do {
                    try await quota.refresh(games, of: address)
                } catch {
                    logger.warning("cannot renew the open games of a client in Redis: \(error)")
                }
            }
        }
    }

    /// Observes the members and the shard leases every `standbyPollMilliseconds` (renewing each
    /// held lease three times per TTL), serving the shards taken and dropping those lost. After a
    /// Redis outage it drops everything and waits `redisSettleMilliseconds` before taking any.
    private func holdShards(_ leases: ShardLeases, subscriber: RedisPubSub, runners: RunnerRegistry) async {
        let poll = Duration.milliseconds(min(configuration.leaseMilliseconds / 3, max(10, configuration.standbyPollMilliseconds)))
        let settle = Duration.milliseconds(configuration.redisSettleMilliseconds)
        // Set while Redis is (or just was) unreachable: when it answered again.
        var back: ContinuousClock.Instant?
        while !Task.isCancelled {
            if back != nil {
                // After a Redis outage, take shards only once the gateways have had time to
                // reconnect and re-subscribe their reply channels: acknowledgements published before
                // that would be lost (the command applied, its client told the authority is away).
                await serve(await leases.unreachable(), leases: leases, subscriber: subscriber, runners: runners)
                if state.withLockedValue({ $0.client?.state }) != .ready {
                    back = .now
                } else if let since = back, ContinuousClock.now - since >= settle {
                    back = nil
                }
                if back != nil {
                    try? await Task.sleep(for: poll)
                    continue
                }
            }
            let changes = await leases.step()
            if let failure = await leases.lastObservationFailure {
                logger.warning("cannot read the shard leases: \(failure); dropping every shard")
                back = .now
            }
            await serve(changes, leases: leases, subscriber: subscriber, runners: runners)
            try? await Task.sleep(for: poll)
        }
    }

    /// Stops the games of the shards dropped (their writes are already refused) and unsubscribes
    /// their channels; subscribes to the shards taken and resumes their games from their snapshots.
    private func serve(_ changes: [ShardLeases.Change], leases: ShardLeases, subscriber: RedisPubSub, runners: RunnerRegistry) async {
        guard !changes.isEmpty else { return }
        let (dropped, served) = ShardLeases.Change.stopsAndStarts(changes)
        if !dropped.isEmpty {
            logger.warning("dropped shards \(dropped.sorted())")
            try? await subscriber.unsubscribeSharded(dropped.sorted().map(RedisChannels.shardCommands))
            await runners.stop(dropped)
        }
        if !served.isEmpty {
            // Before a command of theirs is served: a stale holder's writes to their games stop now.
            await runners.fence(served)
            await runners.start(served)
            do {
                try await subscriber.subscribeSharded(served.sorted().map(RedisChannels.shardCommands))
                logger.notice("serving shards \(served.sorted())")
            } catch {
                // Redis failed us between two scripts: commands for these shards go unanswered
                // (the gateways' timeout tells their clients) until the outage drops them.
                logger.error("cannot subscribe to the commands of shards \(served.sorted()): \(error)")
            }
            await runners.resumeActiveGames(in: served)
        }
        let held = await leases.heldShards.count
        metrics.shardsHeld(held)
        setRole(held > 0 ? .active : .standby)
    }

    private func setRole(_ role: AuthorityStatus.Role) {
        state.withLockedValue { if $0.role != .stopping { $0.role = role } }
    }

    /// What `/healthz` reports: the role and whether both Redis connections are up.
    public var status: AuthorityStatus {
        state.withLockedValue { state in
            let redis: String
            switch (state.client?.state, state.subscriber?.state) {
            case (.ready?, .ready?): redis = "ready"
            case (let client?, let subscriber?): redis = "commands \(client), subscriber \(subscriber)"
            default: redis = "connecting"
            }
            return AuthorityStatus(id: configuration.id, role: state.role, redis: redis)
        }
    }

    /// Retries the first connection until Redis answers: the authority may start before Redis.
    static func connect<T>(logger: Logger, _ body: () async throws -> T) async throws -> T {
        var delay = Duration.milliseconds(100)
        while true {
            do {
                return try await body()
            } catch {
                try Task.checkCancellation()
                logger.warning("Redis not reachable yet: \(error); retrying in \(delay)")
                try await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(2))
            }
        }
    }
}

/// Game id -> its runner, created on the first command for the game.
actor RunnerRegistry {
    private let processor: CommandProcessor
    private let store: GameStore
    private let timing: AuthorityTiming
    private let metrics: AuthorityMetrics
    private let logger: Logger
    private var runners: [GameID: Entry] = [:]
    private var generations = 0
    /// Open games per creator's address, counted by the runners.
    nonisolated let openGames: OpenGamesLedger
    /// Which gateway instance holds each seat, reported by the runners (see `GatewayLivenessMonitor`).
    nonisolated let bindings = GatewayBindingsLedger()
    /// One per process: a suspect game's commands run alone (see `ApplyGate`).
    nonisolated let gate = ApplyGate()

    private struct Entry {
        let runner: GameRunner
        let generation: Int
        /// Inputs given to the runner (`submit`, `wake`).
        var submitted = 0
    }

    init(processor: CommandProcessor, store: GameStore, timing: AuthorityTiming, metrics: AuthorityMetrics, logger: Logger,
         maxGamesPerClient: Int = .max, createRatePerMinute: Double? = nil, clientQuota: ClientQuota? = nil, maxGamesPerAuthority: Int = .max) {
        self.processor = processor
        self.openGames = OpenGamesLedger(limit: maxGamesPerClient, createsPerMinute: createRatePerMinute, clientQuota: clientQuota,
                                         capacity: maxGamesPerAuthority)
        self.store = store
        self.timing = timing
        self.metrics = metrics
        self.logger = logger
    }

    /// The shards whose leases this authority holds: between `start(_:)` and `stop(_:)`.
    private var serving: Set<GameShard> = []

    /// The shards' leases are ours: their commands are applied from now on.
    func start(_ shards: Set<GameShard> = Set(GameShard.all)) { serving.formUnion(shards) }

    var loadedGames: Int { runners.count }

    /// A runner whose game is over (or does not exist) handled everything it was given: it goes,
    /// so the registry does not keep one runner for every game ever named. An input submitted
    /// meanwhile keeps it (it asks again after handling it); a later one starts a new runner.
    private func retire(_ game: GameID, generation: Int, handled: Int) {
        guard let entry = runners[game], entry.generation == generation, entry.submitted == handled else { return }
        runners[game] = nil
        metrics.gamesLoaded(runners.count)
        entry.runner.finishInputs()
    }

    /// A command dispatched without its shard's lease (Redis delivered it before our UNSUBSCRIBE
    /// took effect) is dropped: a runner started for it would apply it and go on playing the
    /// game's bots and clocks here, racing the holder. The holder (or the gateway's
    /// acknowledgement timeout) answers it.
    func dispatch(_ envelope: CommandEnvelope) {
        guard serving.contains(GameShard(of: envelope.game)) else {
            logger.info("dropping a command received without its shard", metadata: ["game": "\(envelope.game)", "command": "\(envelope.id)"])
            return
        }
        runner(for: envelope.game).submit(envelope)
    }

    /// An envelope that could not be read but named its sender (its id, gateway, connection and
    /// game) is answered with its error, so the client is not left waiting for the gateway's
    /// timeout. Without the game's shard nothing is answered: its holder does.
    func refuse(_ error: EnvelopeError) {
        guard let header = error.replyTo, serving.contains(GameShard(of: header.game)) else { return }
        var outcome = Outcome()
        outcome.replies = [Outcome.Reply(gateway: header.gateway, reply: AuthorityReply(
            kind: .error, command: header.id, connection: header.connection, game: header.game, code: error.code, message: error.message))]
        let store = self.store
        let logger = self.logger
        Task {
            do {
                try await store.commit(outcome, previousSeq: 0)
            } catch {
                logger.warning("could not answer an unreadable envelope: \(error)")
            }
        }
    }

    /// The game's runner (created if needed), counting one more input for it.
    private func runner(for game: GameID) -> GameRunner {
        if let runner = runners[game]?.runner {
            runners[game]!.submitted += 1
            return runner
        }
        generations += 1
        let generation = generations
        let runner = GameRunner(game: game, processor: processor, store: store, timing: timing, metrics: metrics, logger: logger,
                                openGames: openGames, bindings: bindings, gate: gate,
                                idle: { [weak self] handled in await self?.retire(game, generation: generation, handled: handled) })
        runners[game] = Entry(runner: runner, generation: generation, submitted: 1)
        metrics.gamesLoaded(runners.count)
        return runner
    }

    /// The shards were just taken: fences their open games (see `LeaseFence`).
    func fence(_ shards: Set<GameShard>) async {
        do {
            let fenced = try await store.fenceGames(in: shards)
            logger.info("fenced \(fenced) games of shards \(shards.sorted())")
        } catch {
            // Each game is fenced again by its load, before its first command is applied.
            logger.error("cannot fence every game of shards \(shards.sorted()): \(error)")
        }
    }

    /// After a restart or a takeover: load every unfinished game of `shards` so bots and clocks go on.
    func resumeActiveGames(in shards: Set<GameShard> = Set(GameShard.all)) async {
        do {
            var resumed = 0
            for game in try await store.activeGames() where shards.contains(GameShard(of: game)) && serving.contains(GameShard(of: game)) {
                runner(for: game).wake()
                resumed += 1
            }
            logger.info("resumed \(resumed) games of shards \(shards.sorted())")
            for (game, quarantine) in try await store.quarantinedGames() where shards.contains(GameShard(of: game)) {
                metrics.quarantined(game, command: quarantine.command)
                logger.warning("game \(game) is quarantined: \(quarantine.reason)")
            }
        } catch {
            logger.error("cannot list active games: \(error)")
        }
    }

    /// The shards are no longer ours: their runners finish the command in hand (whose writes the
    /// fence refuses) and stop; their games leave the ledgers (their next holder counts them).
    func stop(_ shards: Set<GameShard>) async {
        serving.subtract(shards)
        let stopping = runners.filter { shards.contains(GameShard(of: $0.key)) }
        for game in stopping.keys { runners[game] = nil }
        metrics.gamesLoaded(runners.count)
        for entry in stopping.values { await entry.runner.stop() }
        for game in stopping.keys {
            openGames.set(game, creator: nil)
            bindings.set(game, record: nil)
        }
    }

    func stopAll() async {
        await stop(Set(GameShard.all))
    }
}

/// The authority's health as `/healthz` tells it: healthy while it serves shards or waits for some
/// (a ready standby), and Redis answers on both connections.
public struct AuthorityStatus: Sendable, Equatable, Codable {
    public enum Role: String, Sendable, Codable {
        /// Not yet connected to Redis.
        case starting
        /// Holds shard leases and consumes their commands.
        case active
        /// Connected, holding no shard (yet).
        case standby
        /// SIGTERM received: finishing the command in hand, releasing the leases.
        case stopping
    }

    public var id: String
    public var role: Role
    /// "ready" when both connections are up, otherwise their states.
    public var redis: String

    public var healthy: Bool { (role == .active || role == .standby) && redis == "ready" }

    /// `{"status":"ok","role":"active","id":"authority-1","redis":"ready"}`
    public var json: String {
        struct Body: Encodable {
            var status: String
            var role: String
            var id: String
            var redis: String
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let body = Body(status: healthy ? "ok" : "unhealthy", role: role.rawValue, id: id, redis: redis)
        return (try? encoder.encode(body)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
