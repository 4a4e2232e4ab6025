import Testing
@testable import Monopoly

/// Every Chance and Community Chest card of the current US edition.
@Suite struct CardTests {
    /// Lands p1 on a Chance square (7) with `card` on top.
    func drawChance(_ card: Int, from: Int = 0, dice: [Int] = [3, 4], players: Int = 2, setup: (inout GameState) -> Void = { _ in }) throws -> GameState {
        var g = newGame(players)
        g.place("p1", at: from)
        g.stack(.chance, card)
        setup(&g)
        try g.run(.roll, "p1", dice: dice)
        return g
    }

    /// Lands p1 on Community Chest (17) with `card` on top.
    func drawChest(_ card: Int, players: Int = 2, setup: (inout GameState) -> Void = { _ in }) throws -> GameState {
        var g = newGame(players)
        g.place("p1", at: 12)
        g.stack(.communityChest, card)
        setup(&g)
        try g.run(.roll, "p1", dice: [2, 3])
        return g
    }

    @Test(arguments: [
        (DeckKind.chance, 7, 50), (.chance, 12, -15), (.chance, 15, 150),
        (.communityChest, 1, 200), (.communityChest, 2, -50), (.communityChest, 3, 50), (.communityChest, 6, 100),
        (.communityChest, 7, 20), (.communityChest, 9, 100), (.communityChest, 10, -100), (.communityChest, 11, -50),
        (.communityChest, 12, 25), (.communityChest, 14, 10), (.communityChest, 15, 100),
    ])
    func cashCardsPayOrCollectTheirAmount(deck: DeckKind, card: Int, delta: Int) throws {
        let g = deck == .chance ? try drawChance(card) : try drawChest(card)
        #expect(g.cash("p1") == 1500 + delta)
        #expect(g.bank.cash == -delta)
    }

    @Test func advanceToBoardwalk() throws {
        let g = try drawChance(0)
        #expect(g.player("p1")?.position == 39 && g.pendingBuy == 39 && g.cash("p1") == 1500)
    }

    @Test func advanceToGoCollects200() throws {
        let g = try drawChance(1)
        #expect(g.player("p1")?.position == 0 && g.cash("p1") == 1700)
        let h = try drawChest(0)
        #expect(h.player("p1")?.position == 0 && h.cash("p1") == 1700)
    }

    @Test func advanceCardsCollectSalaryOnlyWhenPassingGo() throws {
        let illinois = try drawChance(2, from: 31, dice: [2, 3]) // Chance 36 -> Illinois, passes GO
        #expect(illinois.player("p1")?.position == 24 && illinois.cash("p1") == 1700)
        let charles = try drawChance(3) // Chance 7 -> St. Charles, no GO
        #expect(charles.player("p1")?.position == 11 && charles.cash("p1") == 1500)
        let reading = try drawChance(13) // Chance 7 -> Reading Railroad, passes GO
        #expect(reading.player("p1")?.position == 5 && reading.cash("p1") == 1700 && reading.pendingBuy == 5)
    }

    @Test func nearestRailroadPaysTheOwnerTwiceTheRent() throws {
        let g = try drawChance(4) { $0.give([5, 15], to: "p2") }
        #expect(g.player("p1")?.position == 15)
        #expect(g.cash("p1") == 1400 && g.cash("p2") == 1600)
        let wrap = try drawChance(5, from: 31, dice: [2, 3]) // Chance 36 -> Reading, passes GO
        #expect(wrap.player("p1")?.position == 5 && wrap.cash("p1") == 1700 && wrap.pendingBuy == 5)
    }

    @Test func nearestUtilityPaysTenTimesAFreshRoll() throws {
        let g = try drawChance(6, dice: [3, 4, 2, 3]) { $0.give([12], to: "p2") }
        #expect(g.player("p1")?.position == 12)
        #expect(g.cash("p1") == 1450 && g.cash("p2") == 1550)
        let unowned = try drawChance(6, from: 17, dice: [2, 3]) // Chance 22 -> Water Works
        #expect(unowned.player("p1")?.position == 28 && unowned.pendingBuy == 28)
    }

    @Test func goBackThreeSpacesCanLandOnCommunityChestAndDrawAgain() throws {
        let g = try drawChance(9, from: 31, dice: [2, 3]) { $0.stack(.communityChest, 1) }
        #expect(g.player("p1")?.position == 33)
        #expect(g.cash("p1") == 1700)
        #expect(g.chanceDeck.last == 9 && g.communityChestDeck.last == 1)
    }

    @Test func goToJailCardSendsToJailWithoutSalary() throws {
        let g = try drawChance(10, from: 1, dice: [3, 3]) // doubles: the turn still ends in jail
        #expect(g.player("p1")?.inJail == true && g.player("p1")?.position == 10)
        #expect(g.cash("p1") == 1500 && g.stage == .endTurn)
        let h = try drawChest(5)
        #expect(h.player("p1")?.inJail == true)
        let far = try drawChance(10, from: 31, dice: [2, 3]) // Chance 36: jail is "ahead" past GO, still no $200
        #expect(far.player("p1")?.position == 10 && far.cash("p1") == 1500)
    }

    @Test func generalRepairsCost25PerHouseAnd100PerHotel() throws {
        let g = try drawChance(11) { g in
            g.give([1, 3], to: "p1")
            g.setHouses(1, 4)
            g.setHouses(3, 5)
        }
        #expect(g.cash("p1") == 1300)
    }

    @Test func streetRepairsCost40PerHouseAnd115PerHotel() throws {
        let g = try drawChest(13) { g in
            g.give([1, 3], to: "p1")
            g.setHouses(1, 4)
            g.setHouses(3, 5)
        }
        #expect(g.cash("p1") == 1500 - 160 - 115)
    }

    @Test func chairmanOfTheBoardPaysEachPlayer50() throws {
        let g = try drawChance(14, players: 3)
        #expect(g.cash("p1") == 1400 && g.cash("p2") == 1550 && g.cash("p3") == 1550)
    }

    @Test func birthdayCollects10FromEveryPlayer() throws {
        let g = try drawChest(8, players: 4)
        #expect(g.cash("p1") == 1530 && g.cash("p2") == 1490 && g.cash("p4") == 1490)
    }

    @Test func getOutOfJailFreeIsKeptThenReturnedToTheBottomOfItsDeck() throws {
        var g = try drawChance(8)
        #expect(g.player("p1")?.jailCards == [.chance])
        #expect(g.chanceDeck.count == 15 && !g.chanceDeck.contains(8))
        try g.run(.endTurn, "p1")
        try g.run(.roll, "p2", dice: [4, 6])
        try g.run(.endTurn, "p2")
        g.jail("p1")
        try g.run(.jailCard, "p1")
        #expect(g.player("p1")?.inJail == false && g.player("p1")?.jailCards == [])
        #expect(g.chanceDeck.count == 16 && g.chanceDeck.last == 8)
    }

    @Test func aDrawnCardGoesToTheBottom() throws {
        let g = try drawChance(7)
        #expect(g.chanceDeck.last == 7 && g.chanceDeck.count == 16)
    }

    @Test func decksAreShuffledWithTheSeededGeneratorUnlessUnshuffledIsRequested() {
        let a = newGame(2, GameOptions(), seed: 5), b = newGame(2, GameOptions(), seed: 5), c = newGame(2, GameOptions(), seed: 6)
        #expect(a.chanceDeck == b.chanceDeck && a.communityChestDeck == b.communityChestDeck)
        #expect(a.chanceDeck != c.chanceDeck)
        #expect(Set(a.chanceDeck) == Set(0..<16) && a.chanceDeck != Array(0..<16))
        let printed = newGame(2, GameOptions(shuffleCards: false))
        #expect(printed.chanceDeck == Array(0..<16) && printed.communityChestDeck == Array(0..<16))
    }

    @Test func goBackThreeSpacesFromTheFirstChanceLandsOnIncomeTax() throws {
        let g = try drawChance(9) // Chance 7 -> Income Tax 4
        #expect(g.player("p1")?.position == 4 && g.cash("p1") == 1300 && g.bank.cash == 200)
        #expect(g.chanceDeck.last == 9)
    }
}
