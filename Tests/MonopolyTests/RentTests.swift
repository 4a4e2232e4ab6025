import Testing
@testable import Monopoly

@Suite struct RentTests {
    /// p1 lands on Baltic Avenue (3) from GO.
    func landOnBaltic(_ setup: (inout GameState) -> Void) throws -> GameState {
        var g = newGame(2)
        setup(&g)
        try g.run(.roll, "p1", dice: [1, 2])
        return g
    }

    @Test func baseRent() throws {
        let g = try landOnBaltic { $0.give([3], to: "p2") }
        #expect(g.cash("p1") == 1496)
    }

    @Test func doubleRentOnUnimprovedLotsOfACompleteGroup() throws {
        let g = try landOnBaltic { $0.give([1, 3], to: "p2") }
        #expect(g.cash("p1") == 1492)
    }

    @Test func doubleRentAlsoWhenAnotherLotOfTheGroupIsMortgaged() throws {
        let g = try landOnBaltic { g in
            g.give([1, 3], to: "p2")
            g.setMortgaged(1)
        }
        #expect(g.cash("p1") == 1492)
    }

    @Test func noRentOnAMortgagedProperty() throws {
        let g = try landOnBaltic { g in
            g.give([3], to: "p2")
            g.setMortgaged(3)
        }
        #expect(g.cash("p1") == 1500)
    }

    @Test func rentWithHousesAndHotel() throws {
        let three = try landOnBaltic { g in
            g.give([1, 3], to: "p2")
            g.setHouses(1, 3)
            g.setHouses(3, 3)
        }
        #expect(three.cash("p1") == 1500 - 180)
        let hotel = try landOnBaltic { g in
            g.give([1, 3], to: "p2")
            g.setHouses(1, 5)
            g.setHouses(3, 5)
        }
        #expect(hotel.cash("p1") == 1500 - 450)
    }

    @Test(arguments: [(1, 25), (2, 50), (3, 100), (4, 200)])
    func railroadsRent25_50_100_200(owned: Int, rent: Int) throws {
        var g = newGame(2)
        g.give(Array(Board.railroads.prefix(owned)), to: "p2")
        try g.run(.roll, "p1", dice: [2, 3]) // Reading Railroad
        #expect(g.cash("p1") == 1500 - rent && g.cash("p2") == 1500 + rent)
    }

    @Test func utilitiesRent4TimesOr10TimesTheDice() throws {
        var one = newGame(2)
        one.give([12], to: "p2")
        one.place("p1", at: 5)
        try one.run(.roll, "p1", dice: [3, 4])
        #expect(one.cash("p1") == 1500 - 28)
        var both = newGame(2)
        both.give([12, 28], to: "p2")
        both.place("p1", at: 5)
        try both.run(.roll, "p1", dice: [3, 4])
        #expect(both.cash("p1") == 1500 - 70)
    }

    @Test func incomeTax200AndLuxuryTax100() throws {
        var g = newGame(2)
        try g.run(.roll, "p1", dice: [1, 3])
        #expect(g.cash("p1") == 1300)
        g.place("p2", at: 35)
        try g.run(.endTurn, "p1")
        try g.run(.roll, "p2", dice: [1, 2])
        #expect(g.cash("p2") == 1400)
    }

    @Test func landingOnGoPays200() throws {
        var g = newGame(2)
        g.place("p1", at: 36)
        try g.run(.roll, "p1", dice: [1, 3])
        #expect(g.cash("p1") == 1700)
    }

    @Test func noRentOnYourOwnProperty() throws {
        let g = try landOnBaltic { $0.give([3], to: "p1") }
        #expect(g.cash("p1") == 1500)
    }

    @Test func mortgagedRailroadsAndUtilitiesStillCountForTheRentOfTheOthers() throws {
        var rails = newGame(2)
        rails.give([5, 15, 25], to: "p2")
        rails.setMortgaged(15)
        rails.setMortgaged(25)
        rails.setCash("p2", 1500)
        try rails.run(.roll, "p1", dice: [2, 3]) // Reading Railroad, one of three owned
        #expect(rails.cash("p1") == 1500 - 100 && rails.cash("p2") == 1600)
        var utilities = newGame(2)
        utilities.give([12, 28], to: "p2")
        utilities.setMortgaged(28)
        utilities.place("p1", at: 5)
        try utilities.run(.roll, "p1", dice: [3, 4]) // Electric Company, Water Works mortgaged: 10 x 7
        #expect(utilities.cash("p1") == 1500 - 70)
    }
}
