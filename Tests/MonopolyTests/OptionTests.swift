import Testing
@testable import Monopoly

@Suite struct OptionTests {
    @Test func freeParkingJackpotCollectsTaxesAndFees() throws {
        var g = newGame(2, GameOptions(freeParkingJackpot: true, shuffleCards: false))
        try g.run(.roll, "p1", dice: [1, 3]) // Income Tax -> jackpot
        #expect(g.jackpot == 200 && g.cash("p1") == 1300)
        try g.run(.endTurn, "p1")
        g.place("p2", at: 15)
        try g.run(.roll, "p2", dice: [2, 3]) // Free Parking
        #expect(g.jackpot == 0 && g.cash("p2") == 1700)
    }

    @Test func withoutTheJackpotFreeParkingPaysNothing() throws {
        var g = newGame(2)
        g.place("p1", at: 15)
        try g.run(.roll, "p1", dice: [2, 3])
        #expect(g.cash("p1") == 1500 && g.jackpot == 0)
    }

    @Test func doubleSalaryForLandingExactlyOnGo() throws {
        var g = newGame(2, GameOptions(doubleSalaryOnGo: true, shuffleCards: false))
        g.place("p1", at: 36)
        try g.run(.roll, "p1", dice: [1, 3])
        #expect(g.cash("p1") == 1900)
        try g.run(.endTurn, "p1")
        g.place("p2", at: 37)
        try g.run(.roll, "p2", dice: [1, 3]) // passes GO: $200 only
        #expect(g.cash("p2") == 1700)
    }

    @Test func noRentCollectedWhileInJail() throws {
        var g = newGame(2, GameOptions(noRentInJail: true, shuffleCards: false))
        g.give([3], to: "p2")
        g.jail("p2")
        try g.run(.roll, "p1", dice: [1, 2])
        #expect(g.cash("p1") == 1500)
    }

    @Test func shortGameEndsAtTheTurnLimitWithTheRichestPlayer() throws {
        var g = newGame(2, GameOptions(turnLimit: 2, shuffleCards: false))
        try g.run(.roll, "p1", dice: [1, 2])
        try g.run(.buy, "p1")
        try g.run(.endTurn, "p1")
        try g.run(.roll, "p2", dice: [1, 3]) // Income Tax
        try g.run(.endTurn, "p2")
        #expect(g.phase == .finished && g.winner == "p1" && g.endReason == "turn_limit")
        #expect(g.netWorth(of: "p1") == 1500 && g.netWorth(of: "p2") == 1300)
    }

    @Test func startingCashOption() {
        let g = newGame(3, GameOptions(startingCash: 2500))
        #expect(g.players.allSatisfy { $0.cash == 2500 } && g.moneySupply == 7500)
    }

    @Test func maxPlayersMustBeTwoToEight() throws {
        var g = GameState(options: GameOptions(maxPlayers: 9), seed: 1)
        _ = try g.join(name: "A")
        _ = try g.join(name: "B")
        #expect(violation { try g.apply(.start, by: "p1") } == .invalidOptions)
    }

    @Test func turnSecondsIsStoredForTheAuthority() throws {
        let g = newGame(2, GameOptions(turnSeconds: 30))
        #expect(g.options.turnSeconds == 30)
    }
}
