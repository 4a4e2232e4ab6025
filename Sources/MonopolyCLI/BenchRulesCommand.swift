import ArgumentParser
import Benchmarks

/// `monopoly bench rules`: seeded bot games to the end over every option set and 2 to 8 players,
/// invariants checked after every command; then simulated turns/s of the official rules.
struct BenchRules: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules",
        abstract: "Play seeded bot games to the end under every option set (house rules) with 2 to 8 players, check the invariants after every command, print one line per set and simulated turns/s on one core. Build with -c release."
    )

    @Option(help: "Games per option set.")
    var games: Int = 10_000

    @Option(help: "Players per game (2...8); default: game k seats 2 + k mod 7.")
    var players: Int?

    @Option(help: "Play only the option sets whose name contains this (e.g. official, auctions=off).")
    var only: String?

    @Option(help: "Seed of the first game of each set; game k uses seed + k.")
    var seed: UInt64 = 1

    @Option(help: "Games of the official rules replayed without invariant checks to time the engine alone (0: none).")
    var timingGames: Int = 2000

    func validate() throws {
        guard (1...10_000_000).contains(games) else { throw ValidationError("--games must be 1...10000000") }
        if let players, !(2...8).contains(players) { throw ValidationError("--players must be 2...8") }
        guard (0...10_000_000).contains(timingGames) else { throw ValidationError("--timing-games must be 0...10000000") }
        if let only, !OptionSetsBenchmark.setNames.contains(where: { $0.contains(only) }) {
            throw ValidationError("--only: no option set's name contains \(only)")
        }
    }

    func run() throws {
        let report = OptionSetsBenchmark.run(gamesPerSet: games, firstSeed: seed, players: players, only: only, log: { print($0) })
        print(report)
        if timingGames > 0 {
            let timing = RulesBenchmark.run(games: timingGames, players: players, firstSeed: seed, timingGames: timingGames)
            print(timing)
        }
        if report.stuck > 0 || report.violations > 0 { throw ExitCode.failure }
    }
}
