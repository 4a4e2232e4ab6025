import ArgumentParser
import Authority
import Foundation
import Logging
import ServiceLifecycle

/// `monopoly authority`: applies every game's commands and publishes the states.
struct AuthorityCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "authority",
        abstract: "Run the game authority (or a standby, while another holds the lease)."
    )

    @Option(help: "Redis URL: redis://[user:password@]host:port[/db] (default: $REDIS_URL or redis://127.0.0.1:6379).")
    var redis: String?

    @Option(help: "This authority's name in the lease and the logs (default: authority-HOSTNAME-PID).")
    var id: String?

    @Option(help: "Milliseconds the lease lives without renewal: the longest a standby waits to take over.")
    var leaseMs = 3000

    @Option(help: "Milliseconds a bot (or the bot standing in for a player) waits before moving.")
    var botDelayMs = 700

    @Option(help: "Seconds a disconnected player keeps the seat before the bot plays for them.")
    var graceSeconds = 30

    @Option(help: "Test only: a file of whitespace-separated die values consumed in order by `roll`.")
    var diceScript: String?

    @Option(help: "Test only: seed of every new game's generator.")
    var seed: UInt64?

    @Option(help: "Test only: `unshuffled` keeps the printed card order.")
    var cards: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical (default: $LOG_LEVEL or info).")
    var logLevel: String?

    func validate() throws {
        guard leaseMs >= 300 else { throw ValidationError("--lease-ms must be at least 300") }
        guard botDelayMs >= 0, graceSeconds >= 0 else { throw ValidationError("delays must not be negative") }
        if let cards, cards != "unshuffled", cards != "shuffled" { throw ValidationError("--cards takes `unshuffled` or `shuffled`") }
    }

    func run() async throws {
        let logger = try CLILogging.bootstrap(label: "monopoly.authority", flag: logLevel)
        let dice = try diceScript.map { try SharedDiceScript(contentsOf: $0) } ?? SharedDiceScript()
        let environment = ProcessInfo.processInfo.environment
        let configuration = AuthorityConfiguration(
            redisURL: redis ?? environment["REDIS_URL"] ?? "redis://127.0.0.1:6379",
            id: id ?? "authority-\(ProcessInfo.processInfo.hostName)-\(getpid())",
            dice: dice, seed: seed, unshuffledCards: cards == "unshuffled",
            timing: AuthorityTiming(botDelay: .milliseconds(botDelayMs), disconnectGrace: .seconds(graceSeconds)),
            leaseMilliseconds: leaseMs)
        let service = AuthorityService(configuration: configuration, logger: logger)
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: service)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        try await group.run()
    }
}
