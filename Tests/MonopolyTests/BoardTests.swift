import Testing
@testable import Monopoly

@Suite struct BoardTests {
    @Test func boardHas40SquaresWithOfficialPricesAndRents() {
        #expect(Board.squares.count == 40)
        #expect(Board.squares.enumerated().allSatisfy { $0.offset == $0.element.index })
        #expect(Board.squares.filter { $0.kind == .property }.count == 22)
        #expect(Board.squares[39].name == "Boardwalk" && Board.squares[39].price == 400 && Board.squares[39].rents == [50, 200, 600, 1400, 1700, 2000])
        #expect(Board.squares[1].rents == [2, 10, 30, 90, 160, 250] && Board.squares[1].houseCost == 50 && Board.squares[1].mortgage == 30)
        #expect(Board.squares[24].price == 240 && Board.squares[24].rents[5] == 1100 && Board.squares[24].houseCost == 150)
        #expect(Board.squares[34].houseCost == 200 && Board.squares[37].mortgage == 175)
        #expect(Board.squares.filter { $0.kind == .railroad }.allSatisfy { $0.price == 200 && $0.mortgage == 100 })
        #expect(Board.squares.filter { $0.kind == .utility }.allSatisfy { $0.price == 150 && $0.mortgage == 75 })
        let total = Board.squares.reduce(0) { $0 + $1.price }
        #expect(total == 5690)
        #expect(Board.groupMembers[.brown] == [1, 3] && Board.groupMembers[.darkBlue] == [37, 39] && Board.groupMembers[.green] == [31, 32, 34])
    }

    @Test func unmortgageCostIsValuePlusTenPercentRoundedUp() {
        #expect(Board.unmortgageCost(1) == 33)
        #expect(Board.unmortgageCost(12) == 83)
        #expect(Board.unmortgageCost(37) == 193)
        #expect(Board.unmortgageCost(39) == 220)
    }

    @Test func sixteenCardsInEachDeck() {
        #expect(Cards.chance.count == 16 && Cards.communityChest.count == 16)
        #expect(Cards.chance.filter { $0.effect == .nearestRailroad }.count == 2)
        #expect(Cards.chance[Cards.jailCardID(.chance)].effect == .getOutOfJailFree)
        #expect(Cards.communityChest[Cards.jailCardID(.communityChest)].effect == .getOutOfJailFree)
    }
}
