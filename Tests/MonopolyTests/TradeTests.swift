import Testing
@testable import Monopoly

@Suite struct TradeTests {
    @Test func tradesOfCashPropertiesAndJailCardsAtAnyTime() throws {
        var g = newGame(3)
        g.give([1, 5], to: "p2")
        g.give([3], to: "p3")
        g.giveJailCard(.chance, to: "p3")
        // Neither player is on turn.
        try g.run(.tradePropose(to: "p3", give: TradeOffer(cash: 100, properties: [1, 5]), get: TradeOffer(properties: [3], jailCards: 1)), "p2")
        #expect(g.trades.count == 1 && g.trades[0].id == "t1")
        #expect(violation { try g.run(.tradeAccept(trade: "t1"), "p2") } == .notTradeRecipient)
        try g.run(.tradeAccept(trade: "t1"), "p3")
        #expect(g.squares[1].owner == "p3" && g.squares[5].owner == "p3" && g.squares[3].owner == "p2")
        #expect(g.cash("p2") == 1400 && g.cash("p3") == 1600)
        #expect(g.player("p2")?.jailCards == [.chance] && g.player("p3")?.jailCards == [])
        #expect(g.trades.isEmpty)
    }

    @Test func noTradeOfPropertiesWhoseGroupHasBuildings() {
        var g = newGame(2)
        g.give([1, 3], to: "p1")
        g.setHouses(1, 1)
        #expect(violation { try g.run(.tradePropose(to: "p2", give: TradeOffer(properties: [3]), get: TradeOffer(cash: 10)), "p1") } == .buildingsInGroup)
    }

    @Test func tradesCannotIncludeLoans() {
        var g = newGame(2)
        #expect(violation { try g.run(.tradePropose(to: "p2", give: TradeOffer(cash: 1501), get: TradeOffer()), "p1") } == .insufficientFunds)
        #expect(violation { try g.run(.tradePropose(to: "p2", give: TradeOffer(), get: TradeOffer(cash: 2000)), "p1") } == .insufficientFunds)
        #expect(violation { try g.run(.tradePropose(to: "p2", give: TradeOffer(cash: -5), get: TradeOffer()), "p1") } == .invalidTrade)
        #expect(violation { try g.run(.tradePropose(to: "p1", give: TradeOffer(cash: 5), get: TradeOffer()), "p1") } == .invalidTrade)
    }

    @Test func aTradeCanBeRejectedOrWithdrawn() throws {
        var g = newGame(2)
        try g.run(.tradePropose(to: "p2", give: TradeOffer(cash: 5), get: TradeOffer()), "p1")
        try g.run(.tradeReject(trade: "t1"), "p2")
        try g.run(.tradePropose(to: "p2", give: TradeOffer(cash: 5), get: TradeOffer()), "p1")
        try g.run(.tradeReject(trade: "t2"), "p1")
        #expect(g.trades.isEmpty)
        #expect(violation { try g.run(.tradeAccept(trade: "t2"), "p2") } == .unknownTrade)
    }

    @Test func aTradeThatBecameImpossibleIsWithdrawn() throws {
        var g = newGame(2)
        g.give([3], to: "p1")
        try g.run(.tradePropose(to: "p2", give: TradeOffer(properties: [3]), get: TradeOffer(cash: 100)), "p1")
        g.give([1], to: "p1")
        try g.run(.build(square: 1), "p1")
        #expect(g.trades.isEmpty)
    }

    @Test func tradeRecipientsAreRespondentsAndTheBotAnswersThem() throws {
        var g = newGame(3)
        g.give([1], to: "p2")
        g.give([3], to: "p3")
        try g.run(.tradePropose(to: "p3", give: TradeOffer(cash: 300), get: TradeOffer(properties: [3])), "p2")
        #expect(g.respondents == ["p3", "p1"] && g.awaiting == ["p1"])
        #expect(Bot.nextCommand(for: "p3", in: g) == .tradeAccept(trade: "t1"))
        try g.run(.tradePropose(to: "p1", give: TradeOffer(cash: 1), get: TradeOffer(cash: 500)), "p2")
        #expect(Bot.nextCommand(for: "p1", in: g) == .tradeReject(trade: "t2"))
    }

    /// (Open trades as (proposer, recipient), the next proposal, whether it is refused.)
    static let tradeLimits: [([(String, String)], (String, String), Bool)] = [
        ([], ("p1", "p2"), false),
        ([("p1", "p2")], ("p1", "p2"), true),                                // one per pair...
        ([("p2", "p1")], ("p1", "p2"), true),                                // ...either way
        ([("p1", "p2")], ("p1", "p3"), false),
        ([("p1", "p2"), ("p1", "p3")], ("p1", "p4"), false),                 // the 3rd
        ([("p1", "p2"), ("p1", "p3"), ("p1", "p4")], ("p1", "p5"), true),    // the 4th
        ([("p2", "p1"), ("p3", "p1"), ("p4", "p1")], ("p1", "p5"), false),   // received ones do not count
        ([("p2", "p1"), ("p3", "p1"), ("p4", "p1")], ("p5", "p1"), false),
        ([("p1", "p2"), ("p1", "p3"), ("p1", "p4")], ("p5", "p1"), false),   // p5 may still offer p1 one
        ([("p2", "p3"), ("p2", "p4"), ("p2", "p5")], ("p1", "p2"), false),
    ]

    @Test(arguments: tradeLimits) func openTradesAreBoundedPerProposerAndPerPair(_ open: [(String, String)], _ next: (String, String), _ refused: Bool) throws {
        var g = newGame(5)
        for (from, to) in open { try g.run(.tradePropose(to: to, give: TradeOffer(cash: 1), get: TradeOffer()), from) }
        let code = violation { try g.run(.tradePropose(to: next.1, give: TradeOffer(cash: 1), get: TradeOffer()), next.0) }
        #expect(code == (refused ? .tooManyTrades : nil))
        #expect(g.trades.count == open.count + (refused ? 0 : 1))
    }

    @Test func aFourthProposalIsRefusedUntilOneIsAnswered() throws {
        var g = newGame(5)
        for to in ["p2", "p3", "p4"] { try g.run(.tradePropose(to: to, give: TradeOffer(cash: 1), get: TradeOffer()), "p1") }
        #expect(violation { try g.run(.tradePropose(to: "p5", give: TradeOffer(cash: 1), get: TradeOffer()), "p1") } == .tooManyTrades)
        #expect(violation { try g.run(.tradePropose(to: "p2", give: TradeOffer(cash: 2), get: TradeOffer()), "p1") } == .tooManyTrades)
        try g.run(.tradeReject(trade: "t2"), "p3")
        try g.run(.tradePropose(to: "p5", give: TradeOffer(cash: 1), get: TradeOffer()), "p1")
        try g.run(.tradeReject(trade: "t1"), "p1") // withdrawn
        try g.run(.tradePropose(to: "p2", give: TradeOffer(cash: 2), get: TradeOffer()), "p1")
        #expect(g.trades.map(\.to) == ["p4", "p5", "p2"])
    }

    /// A bot whose proposal the limit would refuse proposes nothing rather than the same refused
    /// trade again and again (its move would be refused, and its turn stuck on it).
    @Test func aBotDoesNotProposeWhatTheLimitRefuses() throws {
        var g = newGame(2)
        g.give([1], to: "p1")
        g.give([3], to: "p2")
        g.setCash("p1", 5000)
        let proposal = try #require(Bot.nextCommand(for: "p1", in: g))
        guard case .tradePropose(let to, _, _) = proposal else { Issue.record("no proposal: \(proposal)"); return }
        #expect(to == "p2")
        try g.run(proposal, "p1")
        // p2 never answers; turns later the bot wants the same lot, but the pair has its open trade.
        g.players[0].lastProposalTurn = nil
        let next = Bot.nextCommand(for: "p1", in: g)
        if case .tradePropose? = next { Issue.record("proposed again: \(String(describing: next))") }
        if let next { try g.run(next, "p1") }
    }
}

/// A debtor owes the creditor "all that you have of value": selling to raise cash is allowed, giving away is not.
@Suite struct DebtorTradeTests {
    /// p1 owes the bank $200 (Income Tax) with $100, and holds Boardwalk, a mortgaged Electric Company and a jail card.
    func debtor() throws -> GameState {
        var g = newGame(3)
        g.give([12, 39], to: "p1")
        g.squares[12].mortgaged = true
        g.giveJailCard(.chance, to: "p1")
        g.setCash("p1", 100)
        try g.run(.roll, "p1", dice: [1, 3])
        return g
    }

    @Test func aDebtorCannotGiveAwayPropertiesOrJailCards() throws {
        var g = try debtor()
        #expect(g.stage == .debt)
        // Gifts, proposed by the debtor or asked of them.
        #expect(violation { try g.run(.tradePropose(to: "p2", give: TradeOffer(properties: [39]), get: TradeOffer()), "p1") } == .debtPending)
        #expect(violation { try g.run(.tradePropose(to: "p2", give: TradeOffer(properties: [12]), get: TradeOffer()), "p1") } == .debtPending)
        #expect(violation { try g.run(.tradePropose(to: "p1", give: TradeOffer(), get: TradeOffer(jailCards: 1)), "p2") } == .debtPending)
        // Below their value: Boardwalk (mortgage value $200) for $1.
        #expect(violation { try g.run(.tradePropose(to: "p2", give: TradeOffer(properties: [39]), get: TradeOffer(cash: 1)), "p1") } == .debtPending)
        #expect(g.owned(by: "p1") == [12, 39] && g.player("p1")?.jailCards == [.chance])
    }

    @Test func aDebtorMaySellForAtLeastTheMortgageValue() throws {
        var g = try debtor()
        try g.run(.tradePropose(to: "p2", give: TradeOffer(properties: [39], jailCards: 1), get: TradeOffer(cash: 250)), "p1")
        try g.run(.tradeAccept(trade: "t1"), "p2")
        #expect(g.debts.isEmpty && g.cash("p1") == 150 && g.squares[39].owner == "p2" && g.player("p2")?.jailCards == [.chance])
    }

    @Test func aGiftOfferedBeforeTheDebtIsWithdrawnWhenTheDebtArises() throws {
        var g = newGame(3)
        g.give([39], to: "p1")
        g.setCash("p1", 100)
        try g.run(.tradePropose(to: "p2", give: TradeOffer(properties: [39]), get: TradeOffer()), "p1")
        try g.run(.roll, "p1", dice: [1, 3]) // Income Tax $200
        #expect(g.stage == .debt && g.trades.isEmpty)
    }
}
