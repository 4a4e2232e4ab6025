import Testing
@testable import Monopoly

@Suite struct DebtTests {
    @Test func aDebtMustBeRaisedBeforePlayContinues() throws {
        var g = newGame(2)
        g.give([39], to: "p1")
        g.setCash("p1", 100)
        try g.run(.roll, "p1", dice: [1, 3]) // Income Tax $200
        #expect(g.stage == .debt && g.debts == [Debt(debtor: "p1", creditor: .bank, amount: 200, reason: "Income Tax")])
        #expect(violation { try g.run(.endTurn, "p1") } == .debtPending)
        #expect(violation { try g.run(.bankrupt, "p1") } == .canRaiseFunds)
        try g.run(.mortgage(square: 39), "p1") // +$200: the debt is paid at once
        #expect(g.debts.isEmpty && g.cash("p1") == 100 && g.stage == .endTurn)
    }

    @Test func bankruptcyToAPlayerTransfersEverything() throws {
        var g = newGame(3)
        g.give([37, 39], to: "p2")
        g.setHouses(37, 5)
        g.setHouses(39, 5)
        g.give([1, 3, 12], to: "p1")
        g.setHouses(1, 1)
        g.setHouses(3, 1)
        g.squares[12].mortgaged = true
        g.giveJailCard(.chance, to: "p1")
        g.setCash("p1", 100)
        g.place("p1", at: 35)
        try g.run(.roll, "p1", dice: [1, 3]) // Boardwalk with a hotel: $2,000
        #expect(g.stage == .debt)
        try g.run(.bankrupt, "p1")
        #expect(g.player("p1")?.bankrupt == true && g.cash("p1") == 0)
        // Buildings sold to the bank at half price first: 100 + 2 * 25.
        #expect(g.cash("p2") == 1500 + 150)
        #expect(g.squares[1].owner == "p2" && g.squares[3].owner == "p2" && g.squares[12].owner == "p2")
        #expect(g.squares[1].houses == 0 && g.bank.houses == 32)
        #expect(g.player("p2")?.jailCards == [.chance])
        // The mortgaged Electric Company: 10% now, or lift.
        #expect(g.stage == .mortgageChoice && g.mortgageChoices == [MortgageChoice(player: "p2", square: 12)])
        try g.run(.keepMortgage(square: 12), "p2")
        #expect(g.cash("p2") == 1650 - 8 && g.current == "p2" && g.stage == .roll)
    }

    @Test func bankruptcyToAPlayerLogsTheCreditorsMortgageChoices() throws {
        var g = newGame(3)
        g.give([37, 39], to: "p2")
        g.setHouses(37, 5)
        g.setHouses(39, 5)
        g.give([5, 12, 15], to: "p1")
        g.setMortgaged(12)
        g.setMortgaged(15)
        g.setCash("p1", 100)
        g.place("p1", at: 35)
        try g.run(.roll, "p1", dice: [1, 3]) // Boardwalk with a hotel: $2,000
        let events = try g.run(.bankrupt, "p1")
        let choices = events.filter { $0.kind == .mortgageChoice }
        #expect(choices.map(\.square) == [12, 15] && choices.allSatisfy { $0.player == "p2" })
        #expect(choices.map(\.amount) == [8, 10])
        #expect(g.mortgageChoices == [MortgageChoice(player: "p2", square: 12), MortgageChoice(player: "p2", square: 15)])
    }

    @Test func bankruptcyToTheBankAuctionsEveryProperty() throws {
        var g = newGame(3)
        g.give([6, 12], to: "p1")
        g.squares[12].mortgaged = true
        g.setCash("p1", 0)
        try g.run(.roll, "p1", dice: [1, 3]) // Income Tax
        try g.run(.bankrupt, "p1")
        #expect(g.squares[6].owner == nil && g.squares[12].owner == nil && !g.squares[12].mortgaged)
        #expect(g.auction?.square == 6 && g.auction?.bidders == ["p2", "p3"] && g.auctionQueue == [12])
        try g.run(.bid(amount: 70), "p3")
        try g.run(.pass, "p2")
        #expect(g.squares[6].owner == "p3" && g.auction?.square == 12)
        try g.run(.pass, "p2")
        try g.run(.pass, "p3")
        #expect(g.squares[12].owner == nil && g.current == "p2" && g.stage == .roll)
    }

    @Test func theLastPlayerStandingWins() throws {
        var g = newGame(2)
        g.setCash("p1", 0)
        try g.run(.roll, "p1", dice: [1, 3])
        try g.run(.bankrupt, "p1")
        #expect(g.phase == .finished && g.winner == "p2" && g.endReason == "last_player_standing")
        #expect(violation { try g.run(.roll, "p2") } == .gameOver)
    }

    @Test func debtsToSeveralPlayersArePaidInOrder() throws {
        var g = newGame(3)
        g.setCash("p1", 60)
        g.give([39], to: "p1")
        g.stack(.chance, 14)
        try g.run(.roll, "p1", dice: [3, 4]) // Chairman of the Board: $50 to each
        #expect(g.cash("p2") == 1550 && g.debts.count == 1 && g.debts[0].creditor == .player("p3"))
        try g.run(.mortgage(square: 39), "p1")
        #expect(g.debts.isEmpty && g.cash("p3") == 1550 && g.cash("p1") == 160)
    }

    @Test func chairmanOfTheBoardPaysClockwiseFromTheDrawer() throws {
        var g = newGame(4)
        g.current = "p3"
        g.setCash("p3", 120)
        g.stack(.chance, 14)
        try g.run(.roll, "p3", dice: [3, 4]) // Chance: $50 to each, p4 then p1 then p2
        #expect(g.cash("p4") == 1550 && g.cash("p1") == 1550 && g.cash("p2") == 1500)
        #expect(g.debts == [Debt(debtor: "p3", creditor: .player("p2"), amount: 50, reason: "Chairman of the Board")])
    }

    @Test func chairmanOfTheBoardBankruptcyGoesToTheFirstUnpaidCreditor() throws {
        var g = newGame(4)
        g.current = "p3"
        g.setCash("p3", 60)
        g.stack(.chance, 14)
        try g.run(.roll, "p3", dice: [3, 4])
        #expect(g.cash("p4") == 1550 && g.debts.map(\.creditor) == [.player("p1"), .player("p2")])
        try g.run(.bankrupt, "p3")
        // p1 takes what is left ($10); p2's claim ends with the bankruptcy.
        #expect(g.cash("p1") == 1510 && g.cash("p2") == 1500 && g.debts.isEmpty && g.current == "p4")
    }

    @Test func resigningGivesEverythingToTheBank() throws {
        var g = newGame(3)
        g.give([3], to: "p2")
        try g.run(.resign, "p2")
        #expect(g.player("p2")?.bankrupt == true && g.squares[3].owner == nil && g.auction?.square == 3)
        #expect(g.auction?.bidders == ["p1", "p3"])
    }

    @Test func jailCardsReturnToTheirDecksOnABankruptcyToTheBank() throws {
        var g = newGame(3)
        g.giveJailCard(.chance, to: "p1")
        g.giveJailCard(.communityChest, to: "p1")
        g.setCash("p1", 0)
        try g.run(.roll, "p1", dice: [1, 3]) // Income Tax
        try g.run(.bankrupt, "p1")
        #expect(g.player("p1")?.jailCards == [] && g.player("p2")?.jailCards == [] && g.player("p3")?.jailCards == [])
        #expect(g.chanceDeck.count == 16 && g.chanceDeck.last == Cards.jailCardID(.chance))
        #expect(g.communityChestDeck.count == 16 && g.communityChestDeck.last == Cards.jailCardID(.communityChest))
    }
}
