import Foundation
import Testing
@testable import Monopoly

/// Voting to skip an absent player's turn (`Rules/SkipVotes.swift`): who votes, how many carry,
/// and when the votes are cleared.
@Suite struct SkipVoteTests {
    /// A started game of `humans` people then `bots` bots, the first player (Alice) disconnected on her turn.
    func absentAlice(humans: Int, bots: Int = 0) -> GameState {
        var g = GameState(options: GameOptions(shuffleCards: false), seed: 42)
        for k in 0..<humans { _ = try! g.join(name: "Person \(k + 1)") }
        for k in 0..<bots { _ = try! g.join(name: "Bot \(k + 1)", bot: true) }
        _ = try! g.apply(.start, by: "p1")
        g.setConnected("p1", false)
        return g
    }

    func vote(_ g: inout GameState, _ voter: PlayerID) throws(RuleViolation) -> [Event] {
        try g.run(.voteSkip(turn: g.turnNumber), voter)
    }

    /// A strict majority of the players who are there: 1 of 1, 2 of 2, 2 of 3, 3 of 4, 3 of 5, 4 of 6, 4 of 7.
    @Test(arguments: [(2, 1), (3, 2), (4, 2), (5, 3), (6, 3), (7, 4), (8, 4)])
    func aStrictMajorityOfTheOthersCarries(_ players: Int, _ needed: Int) throws {
        var g = absentAlice(humans: players)
        #expect(g.absentCurrentPlayer == "p1")
        #expect(g.skipVoters.count == players - 1)
        #expect(g.skipVotesNeeded == needed)
        #expect(!g.skipVoteCarried)
        for k in 2...players {
            let events = try vote(&g, "p\(k)")
            #expect(events.map(\.kind) == [.skipVote])
            #expect(events.first?.other == "p1" && events.first?.amount == k - 1)
            #expect(g.skipVotes.count == k - 1)
            #expect(g.skipVoteCarried == (k - 1 >= needed), "\(k - 1) of \(players - 1) votes")
            // Never half or less: with an even number of voters, half is not enough.
            #expect(g.skipVoteCarried == ((k - 1) * 2 > players - 1))
        }
    }

    @Test func botsNeitherVoteNorCount() throws {
        var g = absentAlice(humans: 3, bots: 3)  // p1 absent, p2 p3 people, p4..p6 bots
        #expect(g.skipVoters == ["p2", "p3"])
        #expect(g.skipVotesNeeded == 2)
        #expect(violation { try vote(&g, "p4") } == .notEligible)
        _ = try vote(&g, "p2")
        #expect(!g.skipVoteCarried)
        _ = try vote(&g, "p3")
        #expect(g.skipVoteCarried)
        // Only bots besides her: nobody can vote, no vote is open to carry.
        var lonely = absentAlice(humans: 1, bots: 2)
        #expect(lonely.skipVoters.isEmpty && lonely.skipVotesNeeded == nil && !lonely.skipVoteCarried)
        #expect(violation { try vote(&lonely, "p2") } == .notEligible)
    }

    @Test func bankruptPlayersNeitherVoteNorCount() throws {
        var g = absentAlice(humans: 4)
        #expect(g.skipVotesNeeded == 2)
        _ = try vote(&g, "p2")
        try g.run(.resign, "p2")  // out: the vote goes with the player
        #expect(g.skipVotes.isEmpty)
        #expect(g.skipVoters == ["p3", "p4"])
        #expect(violation { try vote(&g, "p2") } == .playerBankrupt)
        _ = try vote(&g, "p3")
        #expect(!g.skipVoteCarried)
        _ = try vote(&g, "p4")
        #expect(g.skipVoteCarried)
    }

    @Test func theAbsentPlayerBackClearsTheVotes() throws {
        var g = absentAlice(humans: 3)
        _ = try vote(&g, "p2")
        g.setConnected("p1", true)
        #expect(g.skipVotes.isEmpty && g.skipVotesNeeded == nil)
        #expect(violation { try vote(&g, "p3") } == .playerConnected)
        // Gone again: a new absence, counted from nothing.
        g.setConnected("p1", false)
        #expect(g.skipVotes.isEmpty && g.skipVotesNeeded == 2)
    }

    @Test func aVoterWhoLeavesTakesTheVoteBack() throws {
        var g = absentAlice(humans: 5)  // voters p2..p5, 3 needed
        _ = try vote(&g, "p2")
        _ = try vote(&g, "p3")
        g.setConnected("p3", false)
        #expect(g.skipVotes == ["p2"] && g.skipVotesNeeded == 2)
        #expect(violation { try vote(&g, "p3") } == .notEligible)
        // Fewer voters, a smaller majority: the remaining votes can carry without a new one.
        g.setConnected("p5", false)
        #expect(g.skipVotesNeeded == 2 && !g.skipVoteCarried)
        g.setConnected("p4", false)
        #expect(g.skipVotesNeeded == 1 && g.skipVoteCarried)
    }

    @Test func aSecondVoteChangesNothing() throws {
        var g = absentAlice(humans: 4)
        _ = try vote(&g, "p2")
        let before = g
        #expect(try vote(&g, "p2").isEmpty)
        #expect(g == before)
    }

    @Test func whoIsRefusedAndWhy() throws {
        var g = absentAlice(humans: 3)
        #expect(violation { try g.run(.voteSkip(turn: g.turnNumber + 1), "p2") } == .staleTurn)
        #expect(violation { try g.run(.voteSkip(turn: g.turnNumber - 1), "p2") } == .staleTurn)
        #expect(violation { try g.run(.voteSkip(turn: -1), "p2") } == .staleTurn)
        #expect(violation { try g.run(.voteSkip(turn: Int.max), "p2") } == .staleTurn)
        #expect(violation { try vote(&g, "p1") } == .notEligible)  // her own turn (she is not there anyway)
        #expect(violation { try vote(&g, "p9") } == .unknownPlayer)
        g.setConnected("p3", false)
        #expect(violation { try vote(&g, "p3") } == .notEligible)
        var here = newGame(3)
        #expect(violation { try here.run(.voteSkip(turn: 1), "p2") } == .playerConnected)
        var lobby = GameState(options: GameOptions(), seed: 1)
        _ = try lobby.join(name: "A")
        #expect(violation { try lobby.run(.voteSkip(turn: 0), "p1") } == .gameNotStarted)
        #expect(g.skipVotes.isEmpty)
    }

    /// Votes are for one turn: the next one, even another absent player's, starts with none, and a
    /// vote sent during the old turn is refused rather than counted against the new one.
    @Test func theTurnPassingClearsTheVotes() throws {
        var g = absentAlice(humans: 4)
        g.setConnected("p2", false)  // Bob, next, is absent too
        let turn = g.turnNumber
        _ = try vote(&g, "p3")
        try g.run(.roll, "p1", dice: [1, 2])  // the bot standing in for her
        try g.run(.decline, "p1")
        if g.auction != nil {
            for p in ["p1", "p2", "p3", "p4"] where g.auction != nil { _ = try? g.run(.pass, p) }
        }
        try g.run(.endTurn, "p1")
        #expect(g.current == "p2" && g.absentCurrentPlayer == "p2")
        #expect(g.skipVotes.isEmpty)
        #expect(violation { try g.run(.voteSkip(turn: turn), "p3") } == .staleTurn)
        _ = try vote(&g, "p3")
        #expect(g.skipVotes == ["p3"])
    }

    @Test func theGameEndingClearsTheVotes() throws {
        var g = absentAlice(humans: 3)
        _ = try vote(&g, "p2")
        _ = g.close(reason: "abandoned")
        #expect(g.skipVotes.isEmpty && g.skipVotesNeeded == nil)
    }

    /// Every member (and redis-cli) sees the votes and what they need; a record from before them reads as none.
    @Test func theVotesAreInTheStateJSON() throws {
        var g = absentAlice(humans: 4)
        _ = try vote(&g, "p3")
        let json = JSONOutput.encode(g)
        #expect(json.contains(#""skip_votes":["p3"],"skip_votes_needed":2,"#))
        let back = try JSONDecoder().decode(GameState.self, from: Data(json.utf8))
        #expect(back.skipVotes == ["p3"])
        var old = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        old["skip_votes"] = nil
        old["skip_votes_needed"] = nil
        let older = try JSONDecoder().decode(GameState.self, from: try JSONSerialization.data(withJSONObject: old))
        #expect(older.skipVotes.isEmpty)
        var here = newGame(2)
        here.skipVotes = []
        #expect(JSONOutput.encode(here).contains(#""skip_votes":[],"skip_votes_needed":null,"#))
        // Stored values: a vote must name a player, once.
        var bad = g
        bad.skipVotes = ["p3", "p3", "p77"]
        #expect(bad.storedValueViolations().count == 2)
        #expect(bad.checkInvariants().count == 1)
        bad.skipVotes = ["p1"]  // the absent player herself
        #expect(bad.checkInvariants().count == 1)
    }
}
