import Monopoly

/// `monopoly bench rules`: the bot-game simulation over every option set (`SimulatedOptionSet.all`)
/// and 2 to 8 players, one line per set: games finished, stuck, invariant violations.
public enum OptionSetsBenchmark {
    public struct Report: Sendable, CustomStringConvertible {
        public var gamesPerSet: Int
        public var firstSeed: UInt64
        public var players: Int?
        public var sets: [SimulatedSetSummary] = []
        public var cpuSeconds: Double = 0

        public var stuck: Int { sets.reduce(0) { $0 + $1.stuck.count } }
        public var violations: Int { sets.reduce(0) { $0 + $1.violations.count } }

        public var description: String {
            let width = max(10, sets.map(\.name.count).max() ?? 0)
            func pad(_ s: String, _ n: Int) -> String { s + String(repeating: " ", count: max(0, n - s.count)) }
            func left(_ s: String, _ n: Int) -> String { String(repeating: " ", count: max(0, n - s.count)) + s }
            let seeds = "seeds \(firstSeed)...\(firstSeed &+ UInt64(max(gamesPerSet, 1) - 1))"
            let who = players.map { "\($0) players" } ?? "2 to 8 players (game k seats 2 + k mod 7)"
            var lines = [
                "Rules engine over \(sets.count) option sets: \(gamesPerSet) seeded bot games each (\(seeds), \(who)), invariants checked after every command, one core",
                "  \(pad("option set", width))  games  \(pad("finished (last standing + turn limit)", 38))stuck  violations  mean turns",
            ]
            for s in sets {
                let mean = s.games == 0 ? 0 : (Double(s.turns) / Double(s.games) * 10).rounded() / 10
                lines.append("  \(pad(s.name, width))  \(left(String(s.games), 5))  \(pad("\(s.finished) (\(s.lastPlayerStanding) + \(s.turnLimit))", 38))"
                    + "\(left(String(s.stuck.count), 5))  \(left(String(s.violations.count), 10))  \(left(String(mean), 10))")
            }
            let games = sets.reduce(0) { $0 + $1.games }, finished = sets.reduce(0) { $0 + $1.finished }
            let turns = sets.reduce(0) { $0 + $1.turns }
            lines.append("  all sets: \(finished)/\(games) games finished, stuck \(stuck), invariant violations \(violations); \(turns) turns in \((cpuSeconds * 10).rounded() / 10) s CPU")
            for s in sets {
                for x in s.stuck.prefix(3) { lines.append("  stuck [\(s.name)]: \(x)") }
                for x in s.violations.prefix(3) { lines.append("  violation [\(s.name)]: \(x)") }
            }
            return lines.joined(separator: "\n")
        }
    }

    public static var setNames: [String] { SimulatedOptionSet.all.map(\.name) }

    /// `only`: play just the sets whose name contains it (e.g. `official`).
    public static func run(gamesPerSet: Int, firstSeed: UInt64 = 1, players: Int? = nil, only: String? = nil,
                           log: (String) -> Void = { _ in }) -> Report {
        var r = Report(gamesPerSet: gamesPerSet, firstSeed: firstSeed, players: players)
        let c0 = RulesBenchmark.cpuSeconds()
        for set in SimulatedOptionSet.all where only.map({ set.name.contains($0) }) ?? true {
            let s = Simulator.play(set, games: gamesPerSet, firstSeed: firstSeed, players: players)
            log("  \(s.name): \(s.finished)/\(s.games) finished, stuck \(s.stuck.count), violations \(s.violations.count)")
            r.sets.append(s)
        }
        r.cpuSeconds = RulesBenchmark.cpuSeconds() - c0
        return r
    }
}
