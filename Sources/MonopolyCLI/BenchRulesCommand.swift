import ArgumentParser
import Benchmarks

/// `monopoly bench rules`: seeded bot games to the end with invariants checked, and simulated turns/s.
struct BenchRules: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules",
        abstract: "Play seeded bot games to the end, check the invariants after every command, print simulated turns/s on one core. Build with -c release."
    )

    @Option(help: "Games to play.")
    var games: Int = 10_000

    @Option(help: "Players per game (2...8); default varies from 2 to 6 with the seed.")
    var players: Int?

    @Option(help: "Seed of the first game; game k uses seed + k.")
    var seed: UInt64 = 1

    @Option(help: "Games replayed without invariant checks to time the engine alone.")
    var timingGames: Int = 2000

    func validate() throws {
        guard games > 0 else { throw ValidationError("--games must be positive") }
        if let players, !(2...8).contains(players) { throw ValidationError("--players must be 2...8") }
    }

    func run() throws {
        let report = RulesBenchmark.run(games: games, players: players, firstSeed: seed, timingGames: timingGames, log: { print($0) })
        print(report)
        if !report.stuck.isEmpty || !report.violations.isEmpty { throw ExitCode.failure }
    }
}
