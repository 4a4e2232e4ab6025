import Testing
@testable import Monopoly

@Suite struct AuctionTests {
    func declined(_ n: Int = 3, _ options: GameOptions = GameOptions(shuffleCards: false)) throws -> GameState {
        var g = newGame(n, options)
        try g.run(.roll, "p1", dice: [1, 2]) // Baltic Avenue
        try g.run(.decline, "p1")
        return g
    }

    @Test func aDeclinedPropertyGoesToAuctionAmongAllPlayersIncludingTheDecliner() throws {
        var g = try declined()
        #expect(g.stage == .auction && g.auction?.square == 3 && g.auction?.bidders == ["p1", "p2", "p3"])
        try g.run(.bid(amount: 10), "p1")
        try g.run(.bid(amount: 25), "p2")
        try g.run(.pass, "p3")
        #expect(g.auction != nil)
        try g.run(.pass, "p1")
        #expect(g.auction == nil && g.squares[3].owner == "p2" && g.cash("p2") == 1475)
        #expect(g.stage == .endTurn)
    }

    @Test func theAuctionEndsWhenItsTimerRunsOut() throws {
        var g = try declined()
        try g.run(.bid(amount: 40), "p3")
        let seq = g.auction!.seq
        g.setAuctionDeadline(1_700_000_000)
        #expect(g.auction?.deadline == 1_700_000_000 && seq == 1)
        try g.run(.auctionTimeout, "authority")
        #expect(g.squares[3].owner == "p3" && g.cash("p3") == 1460)
    }

    @Test func anAuctionWithoutBidsLeavesThePropertyWithTheBank() throws {
        var g = try declined()
        for p in ["p1", "p2", "p3"] { try g.run(.pass, p) }
        #expect(g.auction == nil && g.squares[3].owner == nil && g.stage == .endTurn)
        var h = try declined()
        try h.run(.auctionTimeout, "authority")
        #expect(h.squares[3].owner == nil)
    }

    @Test func bidsMustBeHigherAndCoveredByCash() throws {
        var g = try declined()
        try g.run(.bid(amount: 50), "p1")
        #expect(violation { try g.run(.bid(amount: 50), "p2") } == .bidTooLow)
        #expect(violation { try g.run(.bid(amount: 1501), "p2") } == .insufficientFunds)
        #expect(violation { try g.run(.bid(amount: 60), "p1") } == .alreadyHighBidder)
        try g.run(.pass, "p2")
        #expect(violation { try g.run(.bid(amount: 70), "p2") } == .alreadyPassed)
    }

    @Test func withAuctionsOffADeclinedPropertyStaysWithTheBank() throws {
        let g = try declined(2, GameOptions(auctions: false, shuffleCards: false))
        #expect(g.auction == nil && g.squares[3].owner == nil && g.stage == .endTurn)
    }

    @Test func noEndTurnDuringAnAuction() throws {
        var g = try declined()
        #expect(violation { try g.run(.endTurn, "p1") } == .auctionInProgress)
    }
}
