import Foundation
import Testing
@testable import Monopoly

@Suite struct ResultsTests {
    @Test func rentIsCountedForThePayerAndTheOwnerAlsoWhenPaidAfterADebt() throws {
        var g = newGame(2)
        g.give([1, 3], to: "p2")
        g.setHouses(1, 4)
        g.setHouses(3, 5)
        g.give([37, 39], to: "p1")
        g.setCash("p1", 100)
        try g.run(.roll, "p1", dice: [1, 2]) // Baltic Avenue with a hotel: $450, a debt
        #expect(g.stage == .debt && g.results?.players[0].rentPaid == 0)
        try g.run(.mortgage(square: 39), "p1")
        try g.run(.mortgage(square: 37), "p1") // 100 + 200 + 175: the debt is paid
        let r = try #require(g.results)
        #expect(g.debts.isEmpty)
        #expect(r.players[0].rentPaid == 450 && r.players[1].rentReceived == 450)
        #expect(r.players[0].rentReceived == 0 && r.players[1].rentPaid == 0)
    }

    @Test func aBotGameEndsWithRankingSamplesAndTotalsThatAddUp() throws {
        var g = GameState(options: GameOptions(turnLimit: 2000), seed: 7)
        for k in 0..<4 { _ = try g.join(name: "Bot \(k)", bot: true) }
        _ = try g.apply(.start, by: "p1")
        var rentEvents = 0, bought = 0, accepted = 0
        while g.phase == .playing {
            let actor = g.respondents.first!
            for e in try g.apply(Bot.nextCommand(for: actor, in: g)!, by: actor) {
                if e.kind == .rentPaid { rentEvents += e.amount! }
                if e.kind == .debtPaid, e.detail!.hasPrefix("rent for ") { rentEvents += e.amount! }
                if e.kind == .bought || (e.kind == .auctionWon && e.square != nil) { bought += 1 }
                if e.kind == .tradeAccepted { accepted += 1 }
            }
            #expect(g.storedValueViolations().isEmpty)
        }
        let r = try #require(g.results)
        #expect(r.ranking.first == g.winner)
        #expect(Set(r.ranking) == Set(g.players.map(\.id)) && r.ranking.count == 4)
        #expect(r.eliminated.count == 3 && r.ranking.suffix(3) == r.eliminated.reversed()[...])
        #expect(r.sampleTurns.first == 1 && r.sampleTurns.last == g.turnNumber)
        #expect(r.sampleTurns.count <= GameResults.maxSamples + 1 && r.sampleTurns == r.sampleTurns.sorted())
        for p in r.players {
            #expect(p.netWorth.count == r.sampleTurns.count)
            #expect(p.netWorth.first == 1500)
        }
        #expect(r.players.reduce(0) { $0 + $1.rentPaid } == rentEvents && rentEvents > 0)
        #expect(r.players.reduce(0) { $0 + $1.rentReceived } == rentEvents)
        #expect(r.players.reduce(0) { $0 + $1.propertiesBought } == bought)
        #expect(r.players.reduce(0) { $0 + $1.tradesMade } == 2 * accepted)
        #expect(r.holds.isEmpty)
        // Clients see the results once the game is over, not before.
        #expect(g.redactedForClients().results == r)
        let json = try JSONSerialization.jsonObject(with: Data(JSONOutput.encode(g.redactedForClients()).utf8)) as! [String: Any]
        #expect((json["results"] as? [String: Any])?["ranking"] as? [String] == r.ranking)
    }

    @Test func resultsAreHiddenFromClientsWhilePlaying() throws {
        let g = newGame(3)
        #expect(g.results?.players.map(\.id) == ["p1", "p2", "p3"])
        #expect(g.results?.sampleTurns == [1] && g.results?.sampleEvery == 3)
        #expect(g.redactedForClients().results == nil)
        #expect(JSONOutput.encode(g.redactedForClients()).contains("\"results\":null"))
    }

    @Test func aLongGameKeepsAtMostTheCapOfSamplesSpreadOverAllTurns() throws {
        var g = GameState(options: GameOptions(turnLimit: 1500), seed: 3)
        for k in 0..<2 { _ = try g.join(name: "Bot \(k)", bot: true) }
        _ = try g.apply(.start, by: "p1")
        while g.phase == .playing {
            let actor = g.respondents.first!
            _ = try g.apply(Bot.nextCommand(for: actor, in: g)!, by: actor)
            // Nobody goes bankrupt: the game runs to its turn limit (test setup).
            for p in g.players where p.cash < 5_000 { g.setCash(p.id, 20_000) }
        }
        let r = try #require(g.results)
        #expect(g.endReason == "turn_limit" && r.sampleTurns.last == 1500)
        #expect(r.sampleTurns.count <= GameResults.maxSamples + 1 && r.sampleTurns.count > GameResults.maxSamples / 2)
        #expect(r.sampleEvery > 2)
        #expect(r.ranking.count == 2 && r.eliminated.isEmpty)
    }

    @Test func theLongestHeldColourGroupIsKeptAfterItBreaks() throws {
        var g = newGame(2, GameOptions(auctions: false, shuffleCards: false))
        g.give([1, 3], to: "p2")
        try g.run(.roll, "p1", dice: [2, 3]) // Reading Railroad (5)
        try g.run(.decline, "p1")
        try g.run(.endTurn, "p1")
        var r = try #require(g.results)
        #expect(r.holds.map(\.group) == [.brown] && r.holds.first?.player == "p2")
        for _ in 0..<3 {
            let p = g.current!
            try g.run(.roll, p, dice: [1, 2])
            if g.pendingBuy != nil { try g.run(.decline, p) }
            if g.stage == .endTurn { try g.run(.endTurn, p) }
        }
        g.squares[3].owner = "p1" // the group breaks (test setup)
        let p = g.current!
        try g.run(.roll, p, dice: [6, 5])
        r = try #require(g.results)
        #expect(r.holds.isEmpty)
        let longest = try #require(r.longestMonopoly)
        #expect(longest.player == "p2" && longest.group == .brown && longest.fromTurn == 1 && longest.turns == g.turnNumber - 1)
    }

    @Test func aClosedGameIsRankedByNetWorth() throws {
        var g = newGame(3)
        g.setCash("p3", 2000)
        _ = g.close(reason: "abandoned")
        let r = try #require(g.results)
        #expect(r.ranking == ["p3", "p1", "p2"])
    }

    @Test func storedResultsOutOfBoundsAreRefused() throws {
        var g = newGame(2)
        g.results?.players[0].netWorth.append(5)
        g.results?.ranking = ["p9"]
        g.results?.sampleEvery = 0
        let v = g.storedValueViolations()
        #expect(v.contains { $0.contains("net worth samples") })
        #expect(v.contains { $0.contains("p9") })
        #expect(v.contains { $0.contains("sample interval") })
        let decoded = try JSONDecoder().decode(GameState.self, from: Data(JSONOutput.encode(newGame(2)).utf8))
        #expect(decoded.results == newGame(2).results)
    }
}
