import ArgumentParser
import Authority
import Foundation
import Logging
import Metrics
import OperationsHTTP
import Prometheus
import Redis
import ServiceLifecycle

/// `monopoly authority`: applies every game's commands and publishes the states.
struct AuthorityCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "authority",
        abstract: "Run a game authority: it takes a fair share of the 64 shards and applies their games' commands."
    )

    @OptionGroup var redis: RedisOptions

    @Option(name: .customLong("redis-wait-replicas"), help: "Replicas that must confirm each commit (WAIT) before it is acknowledged: a failover then loses no acknowledged command; 0 acknowledges once the master has it (default: $REDIS_WAIT_REPLICAS, or 1 with --redis-cluster and 0 with one Redis).")
    var waitReplicasFlag: Int?
    var waitReplicas: Int? { waitReplicasFlag ?? EnvironmentOption.value(nil, "REDIS_WAIT_REPLICAS").flatMap(Int.init) }

    @Option(name: .customLong("redis-wait-timeout-ms"), help: "Milliseconds a commit waits for its replicas; past it the client gets authority_unavailable and retries (default: $REDIS_WAIT_TIMEOUT_MS or 500; at most a third of --lease-ms).")
    var waitTimeoutMsFlag: Int?
    var waitTimeoutMs: Int { EnvironmentOption.value(waitTimeoutMsFlag, "REDIS_WAIT_TIMEOUT_MS", default: ReplicaWait.defaultTimeoutMilliseconds) }

    @Option(name: .customLong("id"), help: "This authority's name in the shard leases and the logs (default: $AUTHORITY_ID or authority-HOSTNAME-PID).")
    var idFlag: String?
    var id: String? { EnvironmentOption.value(idFlag, "AUTHORITY_ID") }

    @Option(name: .customLong("lease-ms"), help: "Milliseconds a shard lease lives without renewal: the longest a dead authority's shards wait for another (default: $LEASE_MS or 3000).")
    var leaseMsFlag: Int?
    var leaseMs: Int { EnvironmentOption.value(leaseMsFlag, "LEASE_MS", default: 3000) }

    @Option(help: "Milliseconds between two reads of the members and shard leases (taking free shards, releasing extras).")
    var standbyPollMs = 100

    @Option(name: .customLong("http-host"), help: "Address of the /healthz and /metrics endpoint (default: $HTTP_HOST or 127.0.0.1).")
    var httpHostFlag: String?
    var httpHost: String { EnvironmentOption.value(httpHostFlag, "HTTP_HOST") ?? "127.0.0.1" }

    @Option(name: .customLong("http-port"), help: "Port of the /healthz and /metrics endpoint; 0 picks a free one (default: $HTTP_PORT; none: no endpoint).")
    var httpPortFlag: Int?
    var httpPort: Int? { httpPortFlag ?? EnvironmentOption.value(nil, "HTTP_PORT").flatMap(Int.init) }

    @Option(help: "Milliseconds a bot (or the bot standing in for a player) waits before moving.")
    var botDelayMs = 700

    @Option(help: "Seconds a disconnected player keeps the seat before the bot plays for them.")
    var graceSeconds = 30

    @Option(name: .customLong("max-games-per-client"), help: "Open games (lobby or running) created from one client address; the next create gets too_many_games (default: $MAX_GAMES_PER_CLIENT or 3).")
    var maxGamesPerClientFlag: Int?
    var maxGamesPerClient: Int { EnvironmentOption.value(maxGamesPerClientFlag, "MAX_GAMES_PER_CLIENT", default: 3) }

    @Option(name: .customLong("max-games-per-authority"), help: "Open games (lobby or running) this authority holds at most; a create past it gets server_full, games taken over still load (default: $MAX_GAMES_PER_AUTHORITY or 10000).")
    var maxGamesPerAuthorityFlag: Int?
    var maxGamesPerAuthority: Int { EnvironmentOption.value(maxGamesPerAuthorityFlag, "MAX_GAMES_PER_AUTHORITY", default: 10_000) }

    @Option(name: .customLong("create-rate-per-minute"), help: "Games one client address may create per minute over every gateway, as many at once; beyond: rate_limited (default: $CREATE_RATE_PER_MINUTE or 10).")
    var createRatePerMinuteFlag: Int?
    var createRatePerMinute: Int { EnvironmentOption.value(createRatePerMinuteFlag, "CREATE_RATE_PER_MINUTE", default: 10) }

    @Option(name: .customLong("lobby-idle-seconds"), help: "Seconds a lobby stays open with no player connected; then it is closed (default: $LOBBY_IDLE_SECONDS or 300).")
    var lobbyIdleSecondsFlag: Int?
    var lobbyIdleSeconds: Int { EnvironmentOption.value(lobbyIdleSecondsFlag, "LOBBY_IDLE_SECONDS", default: 300) }

    @Option(name: .customLong("lobby-grace-seconds"), help: "Seconds a lobby seat outlives its connection while someone else is there; then it is given up, as if its player had left (default: $LOBBY_GRACE_SECONDS or 15).")
    var lobbyGraceSecondsFlag: Int?
    var lobbyGraceSeconds: Int { EnvironmentOption.value(lobbyGraceSecondsFlag, "LOBBY_GRACE_SECONDS", default: 15) }

    @Option(name: .customLong("abandoned-seconds"), help: "Seconds a running game goes on with no player connected; then it ends as abandoned (default: $ABANDONED_SECONDS or 900).")
    var abandonedSecondsFlag: Int?
    var abandonedSeconds: Int { EnvironmentOption.value(abandonedSecondsFlag, "ABANDONED_SECONDS", default: 900) }

    @Option(name: .customLong("finished-ttl-seconds"), help: "Seconds a finished game's keys stay in Redis after the commit that finished it (default: $FINISHED_TTL_SECONDS or 86400).")
    var finishedTTLSecondsFlag: Int?
    var finishedTTLSeconds: Int { EnvironmentOption.value(finishedTTLSecondsFlag, "FINISHED_TTL_SECONDS", default: GameStore.defaultFinishedTTLSeconds) }

    @Option(name: .customLong("max-log-entries"), help: "Entries each game's command log holds (monopoly:{GAME}:log, for `monopoly replay`); past it the log is marked truncated and stops (default: $MAX_LOG_ENTRIES or 20000).")
    var maxLogEntriesFlag: Int?
    var maxLogEntries: Int { EnvironmentOption.value(maxLogEntriesFlag, "MAX_LOG_ENTRIES", default: GameStore.defaultMaxLogEntries) }

    @Option(help: "Test only: a file of whitespace-separated die values consumed in order by `roll`.")
    var diceScript: String?

    @Option(help: "Test only: seed of every new game's generator.")
    var seed: UInt64?

    @Option(help: "Test only: `unshuffled` keeps the printed card order.")
    var cards: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical (default: $LOG_LEVEL or info).")
    var logLevel: String?

    /// The longest lobby idle time and abandonment time taken: a year.
    static let maximumVacancySeconds = 31_536_000
    static let maximumGamesPerClient = 1_000_000
    /// The longest a lobby seat outlives its connection: an hour.
    static let maximumLobbyGraceSeconds = 3600

    func validate() throws {
        try EnvironmentOption.check("LEASE_MS", as: Int.self)
        try EnvironmentOption.check("REDIS_WAIT_REPLICAS", as: Int.self)
        try EnvironmentOption.check("REDIS_WAIT_TIMEOUT_MS", as: Int.self)
        guard waitReplicas.map({ (0...16).contains($0) }) ?? true else { throw ValidationError("--redis-wait-replicas must be 0...16") }
        guard (1...60_000).contains(waitTimeoutMs) else { throw ValidationError("--redis-wait-timeout-ms must be 1...60000") }
        try EnvironmentOption.check("HTTP_PORT", as: Int.self)
        try EnvironmentOption.check("FINISHED_TTL_SECONDS", as: Int.self)
        try EnvironmentOption.check("MAX_GAMES_PER_CLIENT", as: Int.self)
        guard (1...Self.maximumGamesPerClient).contains(maxGamesPerClient) else {
            throw ValidationError("--max-games-per-client must be 1...\(Self.maximumGamesPerClient)")
        }
        try EnvironmentOption.check("MAX_GAMES_PER_AUTHORITY", as: Int.self)
        guard (1...1_000_000).contains(maxGamesPerAuthority) else { throw ValidationError("--max-games-per-authority must be 1...1000000") }
        try EnvironmentOption.check("CREATE_RATE_PER_MINUTE", as: Int.self)
        guard (1...1_000_000).contains(createRatePerMinute) else { throw ValidationError("--create-rate-per-minute must be 1...1000000") }
        try EnvironmentOption.check("LOBBY_IDLE_SECONDS", as: Int.self)
        try EnvironmentOption.check("ABANDONED_SECONDS", as: Int.self)
        guard (1...Self.maximumVacancySeconds).contains(lobbyIdleSeconds), (1...Self.maximumVacancySeconds).contains(abandonedSeconds) else {
            throw ValidationError("--lobby-idle-seconds and --abandoned-seconds must be 1...\(Self.maximumVacancySeconds)")
        }
        try EnvironmentOption.check("LOBBY_GRACE_SECONDS", as: Int.self)
        guard (1...Self.maximumLobbyGraceSeconds).contains(lobbyGraceSeconds) else {
            throw ValidationError("--lobby-grace-seconds must be 1...\(Self.maximumLobbyGraceSeconds)")
        }
        guard (1...GameStore.maximumFinishedTTLSeconds).contains(finishedTTLSeconds) else {
            throw ValidationError("--finished-ttl-seconds must be 1...\(GameStore.maximumFinishedTTLSeconds)")
        }
        try EnvironmentOption.check("MAX_LOG_ENTRIES", as: Int.self)
        guard (1...GameStore.maximumLogEntries).contains(maxLogEntries) else {
            throw ValidationError("--max-log-entries must be 1...\(GameStore.maximumLogEntries)")
        }
        guard httpPort.map({ (0...65535).contains($0) }) ?? true else { throw ValidationError("--http-port must be 0...65535") }
        guard (1...60_000).contains(standbyPollMs) else { throw ValidationError("--standby-poll-ms must be 1...60000") }
        guard (300...600_000).contains(leaseMs) else { throw ValidationError("--lease-ms must be 300...600000") }
        guard (0...60_000).contains(botDelayMs) else { throw ValidationError("--bot-delay-ms must be 0...60000") }
        guard (0...86_400).contains(graceSeconds) else { throw ValidationError("--grace-seconds must be 0...86400") }
        if let cards, cards != "unshuffled", cards != "shuffled" { throw ValidationError("--cards takes `unshuffled` or `shuffled`") }
    }

    func run() async throws {
        let logger = try CLILogging.bootstrap(label: "monopoly.authority", flag: logLevel)
        // AuthorityMetrics records through swift-metrics; /metrics renders this registry.
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        // A command takes well under a millisecond to a few (a Redis round trip): finer buckets
        // than the default 5 ms ... 10 s.
        factory.durationHistogramBuckets["monopoly_authority_command_seconds"] = [
            .microseconds(250), .microseconds(500), .milliseconds(1), .microseconds(2500), .milliseconds(5), .milliseconds(10),
            .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5),
        ]
        MetricsSystem.bootstrap(factory)
        let dice = try diceScript.map { try SharedDiceScript(contentsOf: $0) } ?? SharedDiceScript()
        var configuration = AuthorityConfiguration(
            redisURL: redis.url ?? RedisTarget.defaultURL,
            id: id ?? "authority-\(ProcessInfo.processInfo.hostName)-\(getpid())",
            dice: dice, seed: seed, unshuffledCards: cards == "unshuffled",
            timing: AuthorityTiming(botDelay: .milliseconds(botDelayMs), disconnectGrace: .seconds(graceSeconds),
                                    lobbyIdle: .seconds(lobbyIdleSeconds), abandoned: .seconds(abandonedSeconds),
                                    lobbyGrace: .seconds(lobbyGraceSeconds)),
            leaseMilliseconds: leaseMs)
        configuration.standbyPollMilliseconds = standbyPollMs
        configuration.redisCluster = redis.cluster
        if waitReplicas != nil || waitTimeoutMsFlag != nil || EnvironmentOption.value(nil, "REDIS_WAIT_TIMEOUT_MS") != nil {
            configuration.replicaWait = ReplicaWait(replicas: waitReplicas ?? (redis.cluster == nil ? 0 : 1), timeoutMilliseconds: waitTimeoutMs)
        }
        configuration.finishedTTLSeconds = finishedTTLSeconds
        configuration.maxGamesPerClient = maxGamesPerClient
        configuration.maxGamesPerAuthority = maxGamesPerAuthority
        configuration.createRatePerMinute = Double(createRatePerMinute)
        configuration.maxLogEntries = maxLogEntries
        let service = AuthorityService(configuration: configuration, logger: logger)
        var services = [ServiceGroupConfiguration.ServiceConfiguration(service: service)]
        if let httpPort {
            // Listed first so it stops last: /healthz says "stopping" while the lease is released.
            services.insert(.init(service: OperationsServer(host: httpHost, port: httpPort, routes: [
                "/healthz": {
                    let status = service.status
                    return .health(status.json, healthy: status.healthy)
                },
                "/metrics": { .prometheus(registry.emitToBuffer()) },
            ], logger: logger)), at: 0)
        }
        let group = ServiceGroup(configuration: .init(
            services: services,
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        try await group.run()
    }
}
