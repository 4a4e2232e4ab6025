import Monopoly
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Plays seeded bot-only games to the end on one core: proves the invariants over many games and
/// measures how many simulated turns per second the rules engine (plus the bot policy) sustains.
public enum RulesBenchmark {
    public struct Report: Sendable, CustomStringConvertible {
        public var games: Int
        public var players: String
        public var firstSeed: UInt64
        public var lastPlayerStanding: Int
        public var turnLimit: Int
        /// Seeds of the games that reached the turn limit instead of a last player standing.
        public var turnLimitSeeds: [UInt64]
        public var stuck: [String]
        public var violations: [String]
        public var turns: Int
        public var commands: Int
        public var checkedSeconds: Double
        public var checkedCPUSeconds: Double
        public var uncheckedGames: Int
        public var uncheckedTurns: Int
        public var uncheckedSeconds: Double
        public var uncheckedCPUSeconds: Double

        public var description: String {
            func f(_ x: Double) -> String {
                let r = (x * 10).rounded() / 10
                return r >= 1000 ? String(Int(r)) : String(r)
            }
            var lines = [
                "Rules engine: \(games) seeded bot games (seeds \(firstSeed)...\(firstSeed + UInt64(games) - 1), \(players) players), one core",
                "  finished: \(lastPlayerStanding + turnLimit)/\(games) (last player standing \(lastPlayerStanding), turn limit \(turnLimit)\(turnLimitSeeds.isEmpty ? "" : ": seeds " + turnLimitSeeds.prefix(10).map(String.init).joined(separator: ", ")))",
                "  stuck: \(stuck.count)    invariant violations: \(violations.count) (checked after every command)",
                "  turns: \(turns) (mean \(f(Double(turns) / Double(max(games, 1)))) per game)    commands: \(commands) (mean \(f(Double(commands) / Double(max(turns, 1)))) per turn)",
                "  with invariant checks: \(f(checkedSeconds)) s wall, \(f(checkedCPUSeconds)) s CPU: \(f(Double(turns) / checkedCPUSeconds)) turns/s, \(f(Double(commands) / checkedCPUSeconds)) commands/s per CPU second",
                "  engine + bot only (\(uncheckedGames) games, no checks): \(f(Double(uncheckedTurns) / uncheckedCPUSeconds)) simulated turns/s on one core (CPU time; \(f(Double(uncheckedTurns) / uncheckedSeconds)) by wall clock)",
            ]
            for s in stuck.prefix(5) { lines.append("  stuck: \(s)") }
            for v in violations.prefix(5) { lines.append("  violation: \(v)") }
            return lines.joined(separator: "\n")
        }
    }

    /// `players` nil: 2 to 6 players, varying with the seed.
    public static func run(games: Int, players: Int? = nil, firstSeed: UInt64 = 1, options: GameOptions = GameOptions(turnLimit: 2000),
                           timingGames: Int = 2000, log: (String) -> Void = { _ in }) -> Report {
        func count(_ seed: UInt64) -> Int { players ?? 2 + Int(seed % 5) }
        var r = Report(games: games, players: players.map(String.init) ?? "2-6", firstSeed: firstSeed, lastPlayerStanding: 0, turnLimit: 0,
                       turnLimitSeeds: [], stuck: [], violations: [], turns: 0, commands: 0, checkedSeconds: 0, checkedCPUSeconds: 0,
                       uncheckedGames: 0, uncheckedTurns: 0, uncheckedSeconds: 0, uncheckedCPUSeconds: 0)
        let clock = ContinuousClock()
        let t0 = clock.now, c0 = cpuSeconds()
        for k in 0..<games {
            let seed = firstSeed + UInt64(k)
            let o = Simulator.play(seed: seed, players: count(seed), options: options, checkInvariants: true)
            r.turns += o.turns
            r.commands += o.commands
            if o.endReason == "last_player_standing" { r.lastPlayerStanding += 1 }
            if o.endReason == "turn_limit" {
                r.turnLimit += 1
                r.turnLimitSeeds.append(seed)
            }
            if let s = o.stuck { r.stuck.append("seed \(seed): \(s)") }
            r.violations += o.violations.map { "seed \(seed): \($0)" }
            if (k + 1) % 1000 == 0 { log("  \(k + 1) games played") }
        }
        r.checkedSeconds = seconds(clock.now - t0)
        r.checkedCPUSeconds = cpuSeconds() - c0
        r.uncheckedGames = min(games, timingGames)
        let t1 = clock.now, c1 = cpuSeconds()
        for k in 0..<r.uncheckedGames {
            let seed = firstSeed + UInt64(k)
            r.uncheckedTurns += Simulator.play(seed: seed, players: count(seed), options: options, checkInvariants: false).turns
        }
        r.uncheckedSeconds = seconds(clock.now - t1)
        r.uncheckedCPUSeconds = cpuSeconds() - c1
        return r
    }

    /// CPU time of this process: the machine may be shared, and the run is single-threaded.
    static func cpuSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}
