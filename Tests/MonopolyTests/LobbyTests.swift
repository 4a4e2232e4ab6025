import Testing
@testable import Monopoly

@Suite struct LobbyTests {
    @Test func playersJoinWithEngineAssignedIDsAndTheFirstIsHost() throws {
        var g = GameState(seed: 1)
        #expect(try g.join(name: "Alice") == "p1")
        #expect(try g.join(name: " Bob ") == "p2")
        #expect(g.host == "p1")
        #expect(g.player("p2")?.name == "Bob")
        #expect(violation { _ = try g.join(name: "   ") } == .invalidName)
    }

    @Test func maxPlayersOptionLimitsTheLobby() throws {
        var g = GameState(options: GameOptions(maxPlayers: 2), seed: 1)
        _ = try g.join(name: "A")
        _ = try g.join(name: "B")
        #expect(violation { _ = try g.join(name: "C") } == .gameFull)
    }

    @Test func onlyTheHostStartsAndNeedsTwoPlayers() throws {
        var g = GameState(seed: 1)
        _ = try g.join(name: "A")
        #expect(violation { _ = try g.apply(.start, by: "p1") } == .notEnoughPlayers)
        _ = try g.join(name: "B")
        #expect(violation { _ = try g.apply(.start, by: "p2") } == .notHost)
        _ = try g.apply(.start, by: "p1")
        #expect(g.phase == .playing)
        #expect(g.current == "p1")
        #expect(g.players.allSatisfy { $0.cash == 1500 })
        #expect(violation { _ = try g.join(name: "C") } == .gameNotInLobby)
        #expect(g.checkInvariants().isEmpty)
    }

    @Test func leavingTheLobbyFreesTheSeatAndTheNextJoinerGetsAFreshID() throws {
        var g = GameState(seed: 1)
        _ = try g.join(name: "A")
        _ = try g.join(name: "B")
        _ = try g.leave("p1")
        #expect(g.host == "p2")
        #expect(try g.join(name: "C") == "p3")
    }

    @Test func disconnectedPlayerKeepsTheSeat() {
        var g = newGame(2)
        g.setConnected("p2", false)
        g.setAway("p2", true)
        #expect(g.player("p2")?.connected == false)
        #expect(g.player("p2")?.away == true)
        #expect(g.players.count == 2)
    }

    @Test func commandsBeforeStartAreRejected() throws {
        var g = GameState(seed: 1)
        _ = try g.join(name: "A")
        #expect(violation { _ = try g.apply(.roll, by: "p1") } == .gameNotStarted)
    }
}
