import Foundation
import Logging
import Monopoly
import NIOCore
import NIOPosix
import Redis
import RelayProtocol
import ServiceLifecycle

public struct AuthorityConfiguration: Sendable {
    public var redisURL: String
    /// This process's name in the lease and the logs.
    public var id: String
    public var dice: SharedDiceScript
    public var seed: UInt64?
    public var unshuffledCards: Bool
    public var timing: AuthorityTiming
    public var leaseMilliseconds: Int

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

/// The game authority: while it holds the lease it consumes every game's command channel, runs
/// each game on its own serial runner, and publishes states. Without the lease it is a standby
/// that keeps trying to take it.
public final class AuthorityService: Service, Sendable {
    public let configuration: AuthorityConfiguration
    private let logger: Logger
    private let metrics = AuthorityMetrics()

    public init(configuration: AuthorityConfiguration, logger: Logger) {
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "authority"] = "\(configuration.id)"
        self.logger = logger
    }

    public func run() async throws {
        let redisConfiguration = try RedisConfiguration(url: configuration.redisURL)
        let group = MultiThreadedEventLoopGroup.singleton
        let client = try await Self.connect(logger: logger) {
            try await RedisClient.connect(configuration: redisConfiguration, eventLoopGroup: group, logger: self.logger)
        }
        let subscriber = try await Self.connect(logger: logger) {
            try await RedisSubscriber.connect(configuration: redisConfiguration, eventLoopGroup: group, logger: self.logger)
        }
        let lease = AuthorityLease(holder: configuration.id, redis: client, ttlMilliseconds: configuration.leaseMilliseconds)
        let runners = RunnerRegistry(
            processor: CommandProcessor(dice: configuration.dice, seed: configuration.seed, unshuffledCards: configuration.unshuffledCards),
            store: GameStore(redis: client), timing: configuration.timing, metrics: metrics, logger: logger)
        logger.info("authority started; waiting for the lease", metadata: ["redis": "\(redisConfiguration.redactedURL)"])

        await withTaskGroup(of: Void.self) { tasks in
            tasks.addTask { await self.holdLease(lease, subscriber: subscriber, runners: runners) }
            tasks.addTask {
                for await message in subscriber.messages {
                    guard message.pattern == RedisChannels.allCommandsPattern else { continue }
                    do {
                        await runners.dispatch(try WireJSON.decode(CommandEnvelope.self, from: message.payload))
                    } catch {
                        self.logger.warning("ignoring an unreadable envelope on \(message.channel): \(error)")
                    }
                }
            }
            try? await gracefulShutdown()
            tasks.cancelAll()
            // Runners finish the command in hand; then the lease goes, so a standby takes over at once.
            try? await subscriber.punsubscribe([RedisChannels.allCommandsPattern])
            await runners.stopAll()
            await lease.release()
            await subscriber.close()
            await client.close()
        }
        logger.info("authority stopped")
    }

    /// Renews the lease three times per TTL; starts consuming when it is taken, stops when lost.
    private func holdLease(_ lease: AuthorityLease, subscriber: RedisSubscriber, runners: RunnerRegistry) async {
        let period = Duration.milliseconds(configuration.leaseMilliseconds / 3)
        var consuming = false
        while !Task.isCancelled {
            let held = await lease.refresh()
            metrics.leaseHeld(held)
            if held && !consuming {
                do {
                    try await subscriber.psubscribe([RedisChannels.allCommandsPattern])
                    consuming = true
                    logger.notice("holding the authority lease; consuming commands")
                    await runners.resumeActiveGames()
                } catch {
                    logger.error("cannot subscribe to commands: \(error)")
                }
            } else if !held && consuming {
                consuming = false
                logger.warning("lost the authority lease; standing by")
                try? await subscriber.punsubscribe([RedisChannels.allCommandsPattern])
                await runners.stopAll()
            }
            try? await Task.sleep(for: period)
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
    private var runners: [GameID: GameRunner] = [:]

    init(processor: CommandProcessor, store: GameStore, timing: AuthorityTiming, metrics: AuthorityMetrics, logger: Logger) {
        self.processor = processor
        self.store = store
        self.timing = timing
        self.metrics = metrics
        self.logger = logger
    }

    func dispatch(_ envelope: CommandEnvelope) {
        runner(for: envelope.game).submit(envelope)
    }

    /// After a restart or a takeover: load every unfinished game so bots and clocks go on.
    func resumeActiveGames() async {
        do {
            for game in try await store.activeGames() { runner(for: game).wake() }
            logger.info("resumed \(runners.count) games")
        } catch {
            logger.error("cannot list active games: \(error)")
        }
    }

    func stopAll() async {
        let stopping = runners.values
        runners.removeAll()
        metrics.gamesLoaded(0)
        for runner in stopping { await runner.stop() }
    }

    private func runner(for game: GameID) -> GameRunner {
        if let runner = runners[game] { return runner }
        let runner = GameRunner(game: game, processor: processor, store: store, timing: timing, metrics: metrics, logger: logger)
        runners[game] = runner
        metrics.gamesLoaded(runners.count)
        return runner
    }
}
