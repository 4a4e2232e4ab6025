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
}
