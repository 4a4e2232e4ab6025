import Testing
@testable import Monopoly

@Suite struct TurnTests {
    @Test func rollMovesTheTokenAndEndTurnPassesTheDice() throws {
        var g = newGame(2)
        let ev = try g.run(.roll, "p1", dice: [4, 6])
        #expect(g.player("p1")?.position == 10)
        #expect(ev.first?.text == "Alice rolled 4+6 and moved to Jail.")
        #expect(g.stage == .endTurn)
        try g.run(.endTurn, "p1")
        #expect(g.current == "p2")
        #expect(g.stage == .roll)
    }

    @Test func onlyTheCurrentPlayerRolls() {
        var g = newGame(2)
        #expect(violation { try g.run(.roll, "p2", dice: [1, 2]) } == .notYourTurn)
    }

    @Test func endTurnBeforeRollingIsRejected() {
        var g = newGame(2)
        #expect(violation { try g.run(.endTurn, "p1") } == .mustRoll)
    }

    @Test func aRejectedCommandChangesNothing() throws {
        var g = newGame(2)
        let before = g
        #expect(violation { try g.run(.buy, "p1") } != nil)
        #expect(g == before)
    }

    @Test func buyingAnUnownedProperty() throws {
        var g = newGame(2)
        try g.run(.roll, "p1", dice: [1, 2]) // Baltic Avenue
        #expect(g.stage == .buy && g.pendingBuy == 3)
        #expect(violation { try g.run(.endTurn, "p1") } == .wrongStage)
        try g.run(.buy, "p1")
        #expect(g.squares[3].owner == "p1")
        #expect(g.cash("p1") == 1440)
    }

    @Test func buyingWithoutEnoughCashIsRejected() throws {
        var g = newGame(2)
        g.setCash("p1", 50)
        try g.run(.roll, "p1", dice: [1, 2])
        #expect(violation { try g.run(.buy, "p1") } == .insufficientFunds)
    }

    @Test func rentIsCollectedAutomatically() throws {
        var g = newGame(2)
        g.give([3], to: "p2")
        try g.run(.roll, "p1", dice: [1, 2])
        #expect(g.cash("p1") == 1496 && g.cash("p2") == 1504)
        #expect(g.stage == .endTurn)
    }

    @Test func doublesRollAgain() throws {
        var g = newGame(2)
        try g.run(.roll, "p1", dice: [2, 2]) // Income Tax
        #expect(g.stage == .roll)
        try g.run(.roll, "p1", dice: [2, 4])
        #expect(g.stage == .endTurn)
        #expect(g.player("p1")?.position == 10)
    }

    @Test func passingGoPays200() throws {
        var g = newGame(2)
        g.place("p1", at: 38)
        try g.run(.roll, "p1", dice: [1, 2]) // to 1
        #expect(g.cash("p1") == 1700)
    }

    @Test func seededGamesReplayExactly() throws {
        var a = newGame(3, GameOptions(), seed: 7)
        var b = newGame(3, GameOptions(), seed: 7)
        #expect(a == b)
        let e1 = try a.apply(.roll, by: "p1")
        let e2 = try b.apply(.roll, by: "p1")
        #expect(e1 == e2 && a == b)
    }
}
