/// What the results screen shows when a game ends, kept while it runs: net worth of each player
/// sampled once a round (bounded: past `maxSamples` every other sample goes and the interval
/// doubles), rents paid and received, properties bought, trades made, turns started in jail, the
/// longest-held colour group, and the ranking once the game is over. Built from each command's
/// events and resulting state (`recordResults`), so it is replayed with the game.
public struct GameResults: Codable, Sendable, Equatable {
    /// Samples kept per player: 8 players x 120 numbers stay well under 10 kB of JSON.
    public static let maxSamples = 120

    public struct PlayerResult: Codable, Sendable, Equatable {
        public var id: PlayerID
        /// One value per entry of `sampleTurns` (the official short-game valuation; 0 once bankrupt).
        public var netWorth: [Int] = []
        public var rentPaid = 0
        public var rentReceived = 0
        public var propertiesBought = 0
        public var tradesMade = 0
        public var turnsInJail = 0

        public init(id: PlayerID) { self.id = id }

        enum CodingKeys: String, CodingKey {
            case id, netWorth = "net_worth", rentPaid = "rent_paid", rentReceived = "rent_received"
            case propertiesBought = "properties_bought", tradesMade = "trades_made", turnsInJail = "turns_in_jail"
        }
    }

    /// A player holding a whole colour group from `fromTurn`, for `turns` turns (so far, while open).
    public struct MonopolyHold: Codable, Sendable, Equatable {
        public var player: PlayerID
        public var group: ColorGroup
        public var fromTurn: Int
        public var turns: Int

        enum CodingKeys: String, CodingKey { case player, group, fromTurn = "from_turn", turns }

        func isSameHold(as other: MonopolyHold) -> Bool {
            player == other.player && group == other.group && fromTurn == other.fromTurn
        }
    }

    /// Turns between two samples: one round at the start, doubled each time the samples are thinned.
    public var sampleEvery: Int
    /// The turn number of each sample.
    public var sampleTurns: [Int] = []
    /// In seat order.
    public var players: [PlayerResult]
    /// Seat ids, best first; empty until the game is over.
    public var ranking: [PlayerID] = []
    /// Players out of the game, in the order they went bankrupt.
    public var eliminated: [PlayerID] = []
    /// Colour groups held whole right now.
    public var holds: [MonopolyHold] = []
    public var longestMonopoly: MonopolyHold? = nil

    public init(players: [PlayerID]) {
        sampleEvery = max(1, players.count)
        self.players = players.map(PlayerResult.init(id:))
    }

    enum CodingKeys: String, CodingKey {
        case sampleEvery = "sample_every", sampleTurns = "sample_turns", players, ranking, eliminated, holds
        case longestMonopoly = "longest_monopoly"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(sampleEvery, forKey: .sampleEvery)
        try c.encode(sampleTurns, forKey: .sampleTurns)
        try c.encode(players, forKey: .players)
        try c.encode(ranking, forKey: .ranking)
        try c.encode(eliminated, forKey: .eliminated)
        try c.encode(holds, forKey: .holds)
        try c.encode(longestMonopoly, forKey: .longestMonopoly)
    }

    /// The colour groups a monopoly can be made of (railroads and utilities are not).
    static let streetGroups: [(ColorGroup, [Int])] = ColorGroup.allCases.compactMap { g in
        guard g != .railroad, g != .utility, let first = Board.squares.first(where: { $0.group == g }) else { return nil }
        return (g, Board.group(of: first.index))
    }
}

extension GameState {
    /// Updates `results` with one command's events and the state they led to. Called by `apply` and `close`.
    mutating func recordResults(_ events: [Event]) {
        if events.contains(where: { $0.kind == .started }) {
            results = GameResults(players: players.map(\.id))
        }
        guard var r = results else { return }
        func add(_ id: PlayerID?, _ update: (inout GameResults.PlayerResult) -> Void) {
            if let id, let k = r.players.firstIndex(where: { $0.id == id }) { update(&r.players[k]) }
        }
        var sample = events.contains { $0.kind == .started }
        for e in events {
            switch e.kind {
            case .rentPaid:
                add(e.player) { $0.rentPaid += e.amount ?? 0 }
                add(e.other) { $0.rentReceived += e.amount ?? 0 }
            case .debtPaid where e.detail?.hasPrefix("rent for ") == true:
                add(e.player) { $0.rentPaid += e.amount ?? 0 }
                add(e.other) { $0.rentReceived += e.amount ?? 0 }
            case .bought:
                add(e.player) { $0.propertiesBought += 1 }
            case .auctionWon where e.square != nil:
                add(e.player) { $0.propertiesBought += 1 }
            case .tradeAccepted:
                add(e.player) { $0.tradesMade += 1 }
                add(e.other) { $0.tradesMade += 1 }
            case .turnStarted:
                if let id = e.player, player(id)?.inJail == true { add(id) { $0.turnsInJail += 1 } }
                if (turnNumber - 1) % r.sampleEvery == 0 { sample = true }
            default:
                break
            }
        }
        for p in players where p.bankrupt && !r.eliminated.contains(p.id) { r.eliminated.append(p.id) }
        updateHolds(&r)
        let over = phase == .finished
        if sample || (over && r.sampleTurns.last != turnNumber) { takeSample(&r) }
        if over, r.ranking.isEmpty { rank(&r) }
        results = r
    }

    private func takeSample(_ r: inout GameResults) {
        if r.sampleTurns.last == turnNumber {
            // Several commands in one turn: the latest values stand.
            for k in r.players.indices where !r.players[k].netWorth.isEmpty { r.players[k].netWorth.removeLast() }
            r.sampleTurns.removeLast()
        }
        r.sampleTurns.append(turnNumber)
        for k in r.players.indices { r.players[k].netWorth.append(netWorth(of: r.players[k].id)) }
        if r.sampleTurns.count > GameResults.maxSamples {
            func thin<T>(_ a: [T]) -> [T] { a.enumerated().filter { $0.offset % 2 == 0 || $0.offset == a.count - 1 }.map(\.element) }
            r.sampleTurns = thin(r.sampleTurns)
            for k in r.players.indices { r.players[k].netWorth = thin(r.players[k].netWorth) }
            r.sampleEvery = min(r.sampleEvery * 2, GameState.maximumStoredMagnitude)
        }
    }

    /// Opens a hold when a player completes a colour group, closes it when the group breaks (or the
    /// game ends), and keeps the longest closed or open hold.
    private func updateHolds(_ r: inout GameResults) {
        let over = phase == .finished
        for (group, squareIndices) in GameResults.streetGroups {
            let owner = squares[squareIndices[0]].owner
            let whole = !over && owner != nil && squareIndices.allSatisfy { squares[$0].owner == owner }
            if let k = r.holds.firstIndex(where: { $0.group == group }) {
                let hold = r.holds[k]
                r.holds[k].turns = max(0, turnNumber - hold.fromTurn)
                if let best = r.longestMonopoly, r.holds[k].turns <= best.turns, !best.isSameHold(as: hold) {
                    // a longer one was held before
                } else {
                    r.longestMonopoly = r.holds[k]
                }
                if whole, hold.player == owner { continue }
                r.holds.remove(at: k)
            }
            if whole, let owner {
                r.holds.append(GameResults.MonopolyHold(player: owner, group: group, fromTurn: turnNumber, turns: 0))
            }
        }
    }

    /// Winner first, then the others still in by net worth (seat order on a tie), then the bankrupt,
    /// the last to go first.
    private func rank(_ r: inout GameResults) {
        var ranking = winner.map { [$0] } ?? []
        let standing = activePlayers.filter { $0.id != winner }.enumerated()
            .sorted { a, b in
                let x = netWorth(of: a.element.id), y = netWorth(of: b.element.id)
                return x != y ? x > y : a.offset < b.offset
            }
        ranking += standing.map(\.element.id)
        ranking += r.eliminated.reversed().filter { !ranking.contains($0) }
        r.ranking = ranking
    }
}
