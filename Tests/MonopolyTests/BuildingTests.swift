import Testing
@testable import Monopoly

@Suite struct BuildingTests {
    func brown(_ options: GameOptions = GameOptions(shuffleCards: false), players: Int = 2) -> GameState {
        var g = newGame(players, options)
        g.give([1, 3], to: "p1")
        return g
    }

    /// p2 holds 28 of the 32 houses (orange and red fully built, dark blue 2+2).
    func hoard(_ g: inout GameState, leave: Int) {
        g.give([16, 18, 19, 21, 23, 24, 37, 39], to: "p2")
        for l in [16, 18, 19, 21, 23, 24] { g.setHouses(l, 4) }
        let rest = 32 - 24 - leave
        g.setHouses(37, (rest + 1) / 2)
        g.setHouses(39, rest / 2)
    }

    @Test func buildingNeedsTheCompleteGroup() {
        var g = newGame(2)
        g.give([1], to: "p1")
        #expect(violation { try g.run(.build(square: 1), "p1") } == .incompleteGroup)
        #expect(violation { try g.run(.build(square: 5), "p1") } == .notBuildable)
    }

    @Test func buildingNeedsAnUnmortgagedGroup() throws {
        var g = brown()
        try g.run(.mortgage(square: 3), "p1")
        #expect(violation { try g.run(.build(square: 1), "p1") } == .groupMortgaged)
    }

    @Test func evenBuildRuleWhenBuilding() throws {
        var g = brown()
        try g.run(.build(square: 1), "p1")
        #expect(g.cash("p1") == 1450 && g.bank.houses == 31)
        #expect(violation { try g.run(.build(square: 1), "p1") } == .mustBuildEvenly)
        try g.run(.build(square: 3), "p1")
        try g.run(.build(square: 1), "p1")
    }

    @Test func evenBuildRuleWhenSelling() throws {
        var g = brown()
        g.setHouses(1, 2)
        g.setHouses(3, 1)
        #expect(violation { try g.run(.sell(square: 3), "p1") } == .mustSellEvenly)
        try g.run(.sell(square: 1), "p1")
        #expect(g.squares[1].houses == 1)
    }

    @Test func fourHousesThenAHotel() throws {
        var g = brown()
        g.setHouses(1, 4)
        g.setHouses(3, 4)
        try g.run(.build(square: 1), "p1")
        #expect(g.squares[1].houses == 5 && g.bank.hotels == 11 && g.bank.houses == 32 - 4)
        #expect(violation { try g.run(.build(square: 1), "p1") } == .maxBuildings)
    }

    @Test func theHouseShortageIsReal() throws {
        var g = brown()
        hoard(&g, leave: 0)
        #expect(g.bank.houses == 0)
        #expect(violation { try g.run(.build(square: 1), "p1") } == .bankOutOfHouses)
    }

    @Test func theLastBuildingsAreAuctionedWhenSeveralPlayersWantThem() throws {
        var g = brown(players: 3)
        hoard(&g, leave: 1)
        #expect(g.bank.houses == 1)
        try g.run(.build(square: 1), "p1")
        #expect(g.stage == .auction && g.auction?.kind == .house && g.auction?.bidders == ["p1", "p2"])
        try g.run(.bid(amount: 60), "p1")
        try g.run(.pass, "p2")
        #expect(g.stage == .placement && g.placement == Placement(player: "p1", kind: .house))
        #expect(violation { try g.run(.endTurn, "p1") } == .mustPlaceBuilding)
        try g.run(.build(square: 3), "p1")
        #expect(g.squares[3].houses == 1 && g.bank.houses == 0 && g.cash("p1") == 1440)
    }

    @Test func sellingBuildingsBackAtHalfPrice() throws {
        var g = brown()
        g.setHouses(1, 1)
        g.setHouses(3, 1)
        try g.run(.sell(square: 3), "p1")
        #expect(g.cash("p1") == 1525 && g.bank.houses == 31)
    }

    @Test func aHotelBreaksDownIntoHousesOnlyIfTheBankHasThem() throws {
        var g = brown()
        hoard(&g, leave: 4)
        g.setHouses(1, 5)
        g.setHouses(3, 5)
        try g.run(.sell(square: 1), "p1") // the bank has 4 houses: hotel -> 4 houses
        #expect(g.squares[1].houses == 4 && g.bank.houses == 0 && g.cash("p1") == 1525)
        try g.run(.sell(square: 3), "p1") // no houses left: the group comes down evenly to 2 + 2
        #expect(g.squares[1].houses == 2 && g.squares[3].houses == 2 && g.bank.houses == 0)
        #expect(g.cash("p1") == 1525 + 125)
    }

    @Test func evenBuildOptionOffAllowsUnevenBuilding() throws {
        var g = brown(GameOptions(evenBuild: false, shuffleCards: false))
        try g.run(.build(square: 1), "p1")
        try g.run(.build(square: 1), "p1")
        #expect(g.squares[1].houses == 2 && g.squares[3].houses == 0)
    }

    @Test func noBuildingWhileADebtIsUnpaid() throws {
        var g = brown()
        g.setCash("p1", 100)
        try g.run(.roll, "p1", dice: [1, 3]) // Income Tax $200
        #expect(violation { try g.run(.build(square: 1), "p1") } == .debtPending)
    }

    @Test func theLastHotelIsAuctionedWhenSeveralPlayersCanBuildOne() throws {
        var g = brown(players: 3)
        g.setHouses(1, 4)
        g.setHouses(3, 4)
        g.give([6, 8, 9], to: "p2")
        for l in [6, 8, 9] { g.setHouses(l, 4) }
        g.give([16, 18, 19, 21, 23, 24, 26, 27, 29, 37, 39], to: "p3")
        for l in [16, 18, 19, 21, 23, 24, 26, 27, 29, 37, 39] { g.setHouses(l, 5) }
        #expect(g.bank.hotels == 1)
        try g.run(.build(square: 1), "p1")
        #expect(g.stage == .auction && g.auction?.kind == .hotel && g.auction?.bidders == ["p1", "p2"])
        try g.run(.bid(amount: 120), "p2")
        try g.run(.bid(amount: 130), "p1")
        try g.run(.pass, "p2")
        #expect(g.placement == Placement(player: "p1", kind: .hotel))
        #expect(violation { try g.run(.build(square: 6), "p2") } == .mustPlaceBuilding)
        try g.run(.build(square: 3), "p1")
        #expect(g.squares[3].houses == 5 && g.bank.hotels == 0 && g.bank.houses == 32 - 20 + 4 && g.cash("p1") == 1500 - 130)
    }

    @Test func aBuildingAuctionWithoutBidsSellsNothing() throws {
        var g = brown(players: 3)
        hoard(&g, leave: 1)
        try g.run(.build(square: 1), "p1")
        #expect(g.auction?.kind == .house)
        try g.run(.pass, "p1")
        try g.run(.pass, "p2")
        #expect(g.auction == nil && g.placement == nil && g.stage == .roll)
        #expect(g.bank.houses == 1 && g.squares[1].houses == 0 && g.cash("p1") == 1500 && g.cash("p2") == 1500)
    }

    @Test func noSellingOrMortgagingDuringABuildingAuction() throws {
        var g = brown(players: 3)
        g.give([5], to: "p1")
        hoard(&g, leave: 1)
        try g.run(.build(square: 1), "p1")
        #expect(g.auction?.kind == .house)
        #expect(violation { try g.run(.sell(square: 16), "p2") } == .auctionInProgress)
        #expect(violation { try g.run(.mortgage(square: 5), "p1") } == .auctionInProgress)
    }

    @Test func sellingAndMortgagingRaiseCashDuringAPropertyAuctionOrAMortgageDecision() throws {
        var g = newGame(3)
        g.give([1, 3, 5], to: "p2")
        g.setHouses(1, 1)
        g.setHouses(3, 1)
        try g.run(.roll, "p1", dice: [2, 4]) // Oriental Avenue
        try g.run(.decline, "p1")
        #expect(g.stage == .auction)
        try g.run(.sell(square: 3), "p2")
        try g.run(.mortgage(square: 5), "p2")
        #expect(g.squares[3].houses == 0 && g.squares[5].mortgaged && g.cash("p2") == 1500 + 25 + 100)
        try g.run(.pass, "p1")
        try g.run(.pass, "p2")
        try g.run(.pass, "p3")
        try g.run(.tradePropose(to: "p3", give: TradeOffer(properties: [5]), get: TradeOffer(cash: 10)), "p2")
        try g.run(.tradeAccept(trade: "t1"), "p3")
        #expect(g.stage == .mortgageChoice)
        try g.run(.sell(square: 1), "p2")
        #expect(g.squares[1].houses == 0 && g.stage == .mortgageChoice)
    }
}
