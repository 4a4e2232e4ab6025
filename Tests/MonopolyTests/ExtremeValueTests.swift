import Testing
@testable import Monopoly

/// No command can make the engine trap, whatever its numbers: every field a client fills gets the
/// integers at and around the edges of `Int` and of the board, in every stage bot games go through.
@Suite struct ExtremeValueTests {
    static let numbers = [Int.min, Int.min + 1, -1_000_000, -41, -40, -1, 0, 1, 2, 5, 39, 40, 41, 100, 1_000_000, 1 << 62, Int.max - 1, Int.max]

    static func offers(_ rng: inout SplitMix64, properties owned: [Int]) -> TradeOffer {
        func pick(_ values: [Int]) -> Int { values[Int(rng.next(upperBound: UInt64(values.count)))] }
        let propertyLists: [[Int]] = [[], owned, owned + owned, [pick(numbers)], [pick(numbers), pick(numbers)],
                                      Array(0..<40), [1, 1], [Int.max, 1], [-1], owned.prefix(1) + [40]]
        return TradeOffer(cash: pick(numbers + [0, 0, 0]), properties: propertyLists[Int(rng.next(upperBound: UInt64(propertyLists.count)))],
                          jailCards: pick(numbers + [0, 0, 0, 1]))
    }

    /// A command of any type with extreme fields.
    static func extremeCommand(_ g: GameState, by player: PlayerID, _ rng: inout SplitMix64) -> Command {
        let n = numbers[Int(rng.next(upperBound: UInt64(numbers.count)))]
        let others = g.players.map(\.id) + ["nobody", ""]
        let to = others[Int(rng.next(upperBound: UInt64(others.count)))]
        let mine = g.squares.filter { $0.owner == player }.map(\.index)
        let theirs = g.squares.filter { $0.owner == to }.map(\.index)
        switch rng.die(12) {
        case 1: return .bid(amount: n)
        case 2: return .build(square: n)
        case 3: return .sell(square: n)
        case 4: return .mortgage(square: n)
        case 5: return .unmortgage(square: n)
        case 6: return .liftMortgage(square: n)
        case 7: return .keepMortgage(square: n)
        case 8, 9: return .tradePropose(to: to, give: offers(&rng, properties: mine), get: offers(&rng, properties: theirs))
        case 10: return .tradeAccept(trade: g.trades.randomElement(using: &rng)?.id ?? "t\(n)")
        case 11: return .tradeReject(trade: g.trades.randomElement(using: &rng)?.id ?? "t\(n)")
        default: return .bid(amount: (g.auction?.highBid ?? 0) + [1, -1, Int.max / 2][rng.die(3) - 1])
        }
    }

    @Test func extremeFieldsAreRejectedCleanlyOrKeepTheInvariants() {
        var rng = SplitMix64(seed: 2024)
        // Before every bot move, each player (and a stranger) sends a hostile command.
        let (accepted, rejected) = botGames(seeds: 1...20, turnLimit: 300, maxSteps: 10_000, rng: &rng) { g, rng in
            (g.players.map(\.id) + ["ghost"]).map { who in (who, Self.extremeCommand(g, by: who, &rng)) }
        }
        #expect(accepted > 100 && rejected > 10_000, "accepted \(accepted), rejected \(rejected)")
    }

    /// The edges one by one, in the stage where each command is legal, so the value is what refuses it.
    @Test(arguments: numbers) func aBidOfAnyAmountIsRefusedOrWithinCash(_ amount: Int) throws {
        var g = newGame(2)
        try g.run(.roll, "p1", dice: [1, 2])
        try g.run(.decline, "p1")
        do {
            try g.run(.bid(amount: amount), "p2")
            #expect((1...1500).contains(amount))
        } catch {
            #expect(!(1...1500).contains(amount))
            #expect(error.code == .bidTooLow || error.code == .insufficientFunds)
        }
    }

    @Test(arguments: numbers) func aSquareOfAnyIndexIsRefusedOrOnTheBoard(_ square: Int) {
        for command in [Command.build(square: square), .sell(square: square), .mortgage(square: square), .unmortgage(square: square),
                        .liftMortgage(square: square), .keepMortgage(square: square)] {
            var g = newGame(2)
            g.give([1, 3], to: "p1")
            let code = violation { try g.run(command, "p1") }
            if !(0..<40).contains(square) { #expect(code == .invalidSquare, "\(command)") }
        }
    }

    @Test(arguments: numbers) func tradeCashOrCardsOfAnyAmountAreRefusedUnlessHeld(_ amount: Int) throws {
        var g = newGame(2)
        g.give([1], to: "p1")
        g.give([3], to: "p2")
        for (give, get) in [(TradeOffer(cash: amount), TradeOffer(properties: [3])), (TradeOffer(properties: [1]), TradeOffer(cash: amount)),
                            (TradeOffer(cash: amount), TradeOffer(cash: amount)), (TradeOffer(jailCards: amount), TradeOffer(properties: [3])),
                            (TradeOffer(properties: [1]), TradeOffer(jailCards: amount))] {
            var h = g
            let code = violation { try h.run(.tradePropose(to: "p2", give: give, get: get), "p1") }
            let fits = (0...1500).contains(amount) && give.jailCards == 0 && get.jailCards == 0
            #expect((code == nil) == (fits && !(give.isEmpty && get.isEmpty)), "\(give) for \(get): \(String(describing: code))")
            guard code == nil, let trade = h.trades.last else { continue }
            try h.run(.tradeAccept(trade: trade.id), "p2")
            #expect(h.moneySupply == g.moneySupply)
        }
    }

    @Test(arguments: [[1, 1], [1, 3], [40], [-1], [Int.max], [Int.min], Array(0..<40), [1, 1, 1, 1]])
    func listedPropertiesMustBeDistinctOnTheBoardAndOwned(_ properties: [Int]) {
        var g = newGame(2)
        g.give([1], to: "p1")
        g.give([3], to: "p2")
        #expect(violation { try g.run(.tradePropose(to: "p2", give: TradeOffer(properties: properties), get: TradeOffer(cash: 1)), "p1") } != nil)
        #expect(violation { try g.run(.tradePropose(to: "p2", give: TradeOffer(cash: 1), get: TradeOffer(properties: properties)), "p1") } != nil)
        #expect(g.trades.isEmpty)
    }
}
