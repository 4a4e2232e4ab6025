import Testing
@testable import Monopoly

@Suite struct MortgageTests {
    @Test func mortgageAtTheMortgageValue() throws {
        var g = newGame(2)
        g.give([39], to: "p1")
        try g.run(.mortgage(square: 39), "p1")
        #expect(g.squares[39].mortgaged && g.cash("p1") == 1700)
        #expect(violation { try g.run(.mortgage(square: 39), "p1") } == .alreadyMortgaged)
        #expect(violation { try g.run(.mortgage(square: 1), "p1") } == .notOwner)
    }

    @Test func unmortgageAtValuePlus10PercentRoundedUp() throws {
        var g = newGame(2)
        g.give([12], to: "p1")
        try g.run(.mortgage(square: 12), "p1")
        try g.run(.unmortgage(square: 12), "p1")
        #expect(!g.squares[12].mortgaged && g.cash("p1") == 1500 + 75 - 83)
        #expect(violation { try g.run(.unmortgage(square: 12), "p1") } == .notMortgaged)
    }

    @Test func noMortgageWithBuildingsInTheGroup() throws {
        var g = newGame(2)
        g.give([1, 3], to: "p1")
        g.setHouses(1, 1)
        #expect(violation { try g.run(.mortgage(square: 3), "p1") } == .buildingsInGroup)
    }

    func receiveMortgaged() throws -> GameState {
        var g = newGame(2)
        g.give([39], to: "p2")
        try g.run(.mortgage(square: 39), "p2")
        try g.run(.tradePropose(to: "p1", give: TradeOffer(properties: [39]), get: TradeOffer(cash: 100)), "p2")
        try g.run(.tradeAccept(trade: "t1"), "p1")
        return g
    }

    @Test func aReceivedMortgageCosts10PercentAtOnceWhenKept() throws {
        var g = try receiveMortgaged()
        #expect(g.squares[39].owner == "p1" && g.stage == .mortgageChoice && g.awaiting == ["p1"])
        #expect(violation { try g.run(.roll, "p1") } == .decisionPending)
        try g.run(.keepMortgage(square: 39), "p1")
        #expect(g.cash("p1") == 1400 - 20 && g.squares[39].mortgaged && g.stage == .roll)
        try g.run(.unmortgage(square: 39), "p1") // later: value + 10% again
        #expect(g.cash("p1") == 1380 - 220)
    }

    @Test func aReceivedMortgageMayBeLiftedAtOnce() throws {
        var g = try receiveMortgaged()
        try g.run(.liftMortgage(square: 39), "p1")
        #expect(g.cash("p1") == 1400 - 220 && !g.squares[39].mortgaged && g.mortgageChoices.isEmpty)
    }
}

@Suite struct MortgageChoiceTests {
    @Test func passingOnAReceivedMortgagedLotBeforeDecidingCountsAsKeepingIt() throws {
        var g = newGame(3)
        g.give([39], to: "p2")
        try g.run(.mortgage(square: 39), "p2")
        try g.run(.tradePropose(to: "p1", give: TradeOffer(properties: [39]), get: TradeOffer(cash: 100)), "p2")
        try g.run(.tradeAccept(trade: "t1"), "p1")
        try g.run(.tradePropose(to: "p3", give: TradeOffer(properties: [39]), get: TradeOffer(cash: 150)), "p1")
        let events = try g.run(.tradeAccept(trade: "t2"), "p3")
        // p1 owed the 10% when the lot arrived: passing it on does not dodge it.
        #expect(g.cash("p1") == 1500 - 100 + 150 - 20)
        #expect(events.contains { $0.kind == .mortgageKept && $0.player == "p1" && $0.square == 39 })
        #expect(g.squares[39].owner == "p3" && g.mortgageChoices == [MortgageChoice(player: "p3", square: 39)])
        try g.run(.keepMortgage(square: 39), "p3")
        #expect(g.cash("p3") == 1500 - 150 - 20 && g.stage == .roll)
    }

    @Test func aDebtorCannotLiftAReceivedMortgage() throws {
        var g = newGame(3)
        g.give([37, 39], to: "p2")
        g.setHouses(37, 5)
        g.setHouses(39, 5)
        g.give([12], to: "p3")
        try g.run(.mortgage(square: 12), "p3")
        g.setCash("p1", 250)
        g.place("p1", at: 35)
        try g.run(.roll, "p1", dice: [1, 3]) // Boardwalk with a hotel: owes $2,000
        try g.run(.tradePropose(to: "p1", give: TradeOffer(properties: [12]), get: TradeOffer()), "p3")
        try g.run(.tradeAccept(trade: "t1"), "p1") // receiving while in debt is allowed
        #expect(violation { try g.run(.liftMortgage(square: 12), "p1") } == .debtPending)
        #expect(violation { try g.run(.unmortgage(square: 12), "p1") } == .debtPending)
        #expect(g.squares[12].mortgaged && g.cash("p1") == 250)
        // Keeping it queues the 10% behind the rent.
        try g.run(.keepMortgage(square: 12), "p1")
        #expect(g.debts.map(\.amount) == [2000, 8] && g.cash("p1") == 250)
    }
}
