/// The simulation over every option set: each combination of the five rule switches, plus the
/// numeric and deck options that change how a game unfolds, each played with 2 to 8 players.
public struct SimulatedOptionSet: Sendable, Equatable {
    /// What differs from the official rules, e.g. `auctions=off free_parking_jackpot=on`; `official` for none.
    public var name: String
    public var options: GameOptions

    /// A cap for games that would otherwise run until the command cap: a stalemate between bots is
    /// a turn-limit finish, not a stuck game. Far above a bot game's length (mean ~150 turns).
    public static let safetyTurnLimit = 2000

    /// 2^5 combinations of auctions, even_build, free_parking_jackpot, double_salary_on_go and
    /// no_rent_in_jail, then starting cash 500 and 5,000, a 60-turn short game and unshuffled decks.
    public static let all: [SimulatedOptionSet] = {
        var sets: [SimulatedOptionSet] = []
        for mask in 0..<32 {
            var o = GameOptions(turnLimit: safetyTurnLimit)
            var changed: [String] = []
            if mask & 1 != 0 { o.auctions = false; changed.append("auctions=off") }
            if mask & 2 != 0 { o.evenBuild = false; changed.append("even_build=off") }
            if mask & 4 != 0 { o.freeParkingJackpot = true; changed.append("free_parking_jackpot=on") }
            if mask & 8 != 0 { o.doubleSalaryOnGo = true; changed.append("double_salary_on_go=on") }
            if mask & 16 != 0 { o.noRentInJail = true; changed.append("no_rent_in_jail=on") }
            sets.append(SimulatedOptionSet(name: changed.isEmpty ? "official" : changed.joined(separator: " "), options: o))
        }
        sets.append(SimulatedOptionSet(name: "starting_cash=500", options: GameOptions(startingCash: 500, turnLimit: safetyTurnLimit)))
        sets.append(SimulatedOptionSet(name: "starting_cash=5000", options: GameOptions(startingCash: 5000, turnLimit: safetyTurnLimit)))
        sets.append(SimulatedOptionSet(name: "turn_limit=60", options: GameOptions(turnLimit: 60)))
        sets.append(SimulatedOptionSet(name: "shuffle_cards=off", options: GameOptions(turnLimit: safetyTurnLimit, shuffleCards: false)))
        return sets
    }()

    /// Game k of a set (seed firstSeed + k) seats 2 + k mod 7 players: every count from 2 to 8
    /// comes up once in each run of 7 games.
    public static func players(forGame k: Int) -> Int { 2 + k % 7 }
}

/// What one option set's games came to.
public struct SimulatedSetSummary: Sendable, Equatable {
    public var name: String
    public var games = 0
    public var lastPlayerStanding = 0
    public var turnLimit = 0
    /// Games per player count (index 0 = 2 players).
    public var gamesByPlayers = [Int](repeating: 0, count: 7)
    public var stuck: [String] = []
    public var violations: [String] = []
    public var turns = 0
    public var commands = 0

    public var finished: Int { lastPlayerStanding + turnLimit }

    public init(name: String) { self.name = name }
}

extension Simulator {
    /// Plays `games` seeded bot games of one option set (seeds firstSeed..., 2 to 8 players by game
    /// unless `players` fixes the count), invariants checked after every command.
    public static func play(_ set: SimulatedOptionSet, games: Int, firstSeed: UInt64 = 1, players fixed: Int? = nil) -> SimulatedSetSummary {
        var s = SimulatedSetSummary(name: set.name)
        for k in 0..<games {
            let seed = firstSeed &+ UInt64(k)
            let players = fixed ?? SimulatedOptionSet.players(forGame: k)
            let o = play(seed: seed, players: players, options: set.options)
            s.games += 1
            s.gamesByPlayers[players - 2] += 1
            s.turns += o.turns
            s.commands += o.commands
            if o.endReason == "last_player_standing" { s.lastPlayerStanding += 1 }
            if o.endReason == "turn_limit" { s.turnLimit += 1 }
            if let stuck = o.stuck { s.stuck.append("seed \(seed), \(players) players: \(stuck)") }
            s.violations += o.violations.map { "seed \(seed), \(players) players: \($0)" }
        }
        return s
    }
}
