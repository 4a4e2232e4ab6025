import Testing
@testable import Monopoly

@Suite struct JailTests {
    @Test func thirdDoublesInARowGoesToJailWithoutMoving() throws {
        var g = newGame(2)
        try g.run(.roll, "p1", dice: [5, 5]) // Jail, just visiting
        try g.run(.roll, "p1", dice: [5, 5]) // Free Parking
        #expect(g.player("p1")?.position == 20)
        try g.run(.roll, "p1", dice: [3, 3])
        #expect(g.player("p1")?.position == 10 && g.player("p1")?.inJail == true)
        #expect(g.stage == .endTurn)
    }

    @Test func goToJailSquarePaysNoSalary() throws {
        var g = newGame(2)
        g.place("p1", at: 25)
        try g.run(.roll, "p1", dice: [2, 3])
        #expect(g.player("p1")?.inJail == true && g.player("p1")?.position == 10 && g.cash("p1") == 1500)
    }

    @Test func jailPay50ThenRollNormally() throws {
        var g = newGame(2)
        g.jail("p1")
        try g.run(.jailPay, "p1")
        #expect(g.cash("p1") == 1450 && g.player("p1")?.inJail == false && g.stage == .roll)
        try g.run(.roll, "p1", dice: [2, 3])
        #expect(g.player("p1")?.position == 15)
    }

    @Test func jailCardFreesThePlayer() throws {
        var g = newGame(2)
        g.jail("p1")
        #expect(violation { try g.run(.jailCard, "p1") } == .noJailCard)
        g.giveJailCard(.communityChest, to: "p1")
        try g.run(.jailCard, "p1")
        #expect(g.player("p1")?.inJail == false && g.communityChestDeck.last == 4)
    }

    @Test func jailDoublesMoveByThatRollWithoutAnExtraRoll() throws {
        var g = newGame(2)
        g.jail("p1")
        try g.run(.roll, "p1", dice: [2, 2])
        #expect(g.player("p1")?.inJail == false && g.player("p1")?.position == 14)
        try g.run(.decline, "p1")
        try g.run(.pass, "p1")
        try g.run(.pass, "p2")
        #expect(g.stage == .endTurn)
    }

    @Test func aFailedJailRollEndsTheTurnInJail() throws {
        var g = newGame(2)
        g.jail("p1")
        try g.run(.roll, "p1", dice: [1, 2])
        #expect(g.player("p1")?.inJail == true && g.player("p1")?.jailTurns == 1 && g.stage == .endTurn)
        #expect(violation { try g.run(.jailPay, "p1") } == .alreadyRolled)
    }

    @Test func afterTheThirdFailedRollPay50AndMove() throws {
        var g = newGame(2)
        g.jail("p1", turns: 2)
        try g.run(.roll, "p1", dice: [1, 2])
        #expect(g.player("p1")?.inJail == false && g.player("p1")?.position == 13)
        #expect(g.cash("p1") == 1450 && g.pendingBuy == 13)
    }

    @Test func inJailAPlayerStillCollectsRentBuildsMortgagesTradesAndBids() throws {
        var g = newGame(2)
        g.jail("p2")
        g.give([1, 3, 39], to: "p2")
        try g.run(.build(square: 3), "p2")
        try g.run(.mortgage(square: 39), "p2")
        try g.run(.tradePropose(to: "p1", give: TradeOffer(cash: 10), get: TradeOffer()), "p2")
        try g.run(.tradeAccept(trade: "t1"), "p1")
        try g.run(.roll, "p1", dice: [1, 2]) // Baltic Avenue with one house: $20
        #expect(g.cash("p2") == 1500 - 50 + 200 - 10 + 20)
        try g.run(.endTurn, "p1")
        try g.run(.roll, "p2", dice: [1, 2])
        try g.run(.endTurn, "p2")
        try g.run(.roll, "p1", dice: [1, 2]) // Oriental Avenue
        try g.run(.decline, "p1")
        try g.run(.bid(amount: 10), "p2")
        try g.run(.pass, "p1")
        #expect(g.squares[6].owner == "p2" && g.player("p2")?.inJail == true)
    }

    @Test func jailPayThenDoublesRollAgain() throws {
        var g = newGame(2)
        g.jail("p1")
        try g.run(.jailPay, "p1")
        try g.run(.roll, "p1", dice: [3, 3])
        #expect(g.player("p1")?.position == 16 && g.player("p1")?.doubles == 1 && g.canRoll)
        try g.run(.decline, "p1")
        try g.run(.pass, "p1")
        try g.run(.pass, "p2")
        #expect(g.stage == .roll)
    }

    @Test func onTheThirdTurnInJailThe50CannotBePaidBeforeRolling() throws {
        var g = newGame(2)
        g.jail("p1", turns: 2)
        #expect(violation { try g.run(.jailPay, "p1") } == .mustRoll)
        g.giveJailCard(.chance, to: "p1")
        try g.run(.jailCard, "p1") // a card may still be used
        #expect(g.player("p1")?.inJail == false && g.stage == .roll)
    }

    @Test func afterTheThirdFailedRollAJailCardMayReplaceTheFine() throws {
        var g = newGame(2)
        g.jail("p1", turns: 2)
        g.giveJailCard(.chance, to: "p1")
        try g.run(.roll, "p1", dice: [1, 2])
        #expect(g.stage == .jailFine && g.awaiting == ["p1"])
        #expect(g.player("p1")?.inJail == true && g.player("p1")?.position == 10 && g.cash("p1") == 1500)
        #expect(Bot.nextCommand(for: "p1", in: g) == .jailCard)
        #expect(violation { try g.run(.endTurn, "p1") } != nil)
        try g.run(.jailCard, "p1")
        #expect(g.player("p1")?.inJail == false && g.player("p1")?.position == 13 && g.cash("p1") == 1500)
        #expect(g.pendingBuy == 13 && g.chanceDeck.last == Cards.jailCardID(.chance))
    }

    @Test func afterTheThirdFailedRollACardHolderMayStillPayTheFine() throws {
        var g = newGame(2)
        g.jail("p1", turns: 2)
        g.giveJailCard(.chance, to: "p1")
        try g.run(.roll, "p1", dice: [1, 2])
        try g.run(.jailPay, "p1")
        #expect(g.player("p1")?.position == 13 && g.cash("p1") == 1450 && g.player("p1")?.jailCards == [.chance])
    }

    @Test func aFineThatCannotBePaidIsRaisedBeforeTheTokenMoves() throws {
        var g = newGame(2)
        g.jail("p1", turns: 2)
        g.give([39], to: "p1")
        g.setCash("p1", 20)
        try g.run(.roll, "p1", dice: [1, 2])
        #expect(g.stage == .debt && g.debts.map(\.amount) == [50])
        #expect(g.player("p1")?.position == 10 && g.player("p1")?.inJail == true && g.pendingBuy == nil)
        try g.run(.mortgage(square: 39), "p1") // +$200: the fine is paid, then the token moves
        #expect(g.player("p1")?.inJail == false && g.player("p1")?.position == 13 && g.cash("p1") == 170)
        #expect(g.stage == .buy && g.pendingBuy == 13)
    }

    @Test func aFineThatCannotBeRaisedEndsInBankruptcyWithoutMoving() throws {
        var g = newGame(3)
        g.jail("p1", turns: 2)
        g.give([13], to: "p2")
        g.setCash("p1", 20)
        try g.run(.roll, "p1", dice: [1, 2]) // would land on p2's States Avenue
        #expect(g.debts.count == 1 && g.cash("p2") == 1500)
        try g.run(.bankrupt, "p1")
        #expect(g.player("p1")?.bankrupt == true && g.cash("p2") == 1500 && g.current == "p2" && g.stage == .roll)
    }
}
