import Foundation
import Testing
@testable import Monopoly

@Suite struct SimulationTests {
    /// 200 seeded four-bot games to the end, invariants checked after every command.
    /// Stuck = a game still running after 200,000 commands, an awaited player for whom the bot has no
    /// command, or a bot command the engine rejects.
    @Test func botGamesFinishWithoutInvariantViolations() {
        var endings: [String: Int] = [:]
        for seed in UInt64(1)...200 {
            let o = Simulator.play(seed: seed, players: 2 + Int(seed % 5), options: GameOptions(turnLimit: 2000))
            #expect(o.violations.isEmpty, "seed \(seed): \(o.violations)")
            #expect(o.stuck == nil, "seed \(seed): \(o.stuck ?? "")")
            #expect(o.finished)
            endings[o.endReason ?? "none", default: 0] += 1
        }
        print("endings:", endings)
    }

    /// What `monopoly bench rules` plays, small: every option set, 7 games each (2 to 8 players).
    @Test(arguments: SimulatedOptionSet.all.map(\.name))
    func botGamesUnderEveryOptionSetAndPlayerCountFinish(set name: String) throws {
        let set = try #require(SimulatedOptionSet.all.first { $0.name == name })
        let s = Simulator.play(set, games: 7, firstSeed: 11)
        #expect(s.gamesByPlayers == [1, 1, 1, 1, 1, 1, 1])
        #expect(s.violations.isEmpty, "\(s.violations)")
        #expect(s.stuck.isEmpty, "\(s.stuck)")
        #expect(s.finished == 7)
    }

    @Test func theOptionSetsCoverEveryCombinationOfTheRuleSwitches() {
        let sets = SimulatedOptionSet.all
        #expect(Set(sets.map(\.name)).count == sets.count)
        let switches = Set(sets.map { [$0.options.auctions, $0.options.evenBuild, $0.options.freeParkingJackpot,
                                       $0.options.doubleSalaryOnGo, $0.options.noRentInJail] })
        #expect(switches.count == 32)
        #expect(sets.first?.name == "official" && sets.first?.options == GameOptions(turnLimit: SimulatedOptionSet.safetyTurnLimit))
        #expect(sets.contains { !$0.options.shuffleCards } && sets.contains { $0.options.startingCash == 500 })
    }
}

@Suite struct DeterminismTests {
    /// A game persisted as JSON mid-way resumes exactly like the original.
    @Test func aPersistedGameResumesDeterministically() throws {
        var g = GameState(options: GameOptions(), seed: 1234)
        for k in 0..<4 { _ = try g.join(name: "Bot \(k)", bot: true) }
        _ = try g.apply(.start, by: "p1")
        func step(_ g: inout GameState) throws -> [Event] {
            let actor = g.trades.first.map(\.to) ?? g.awaiting.first!
            return try g.apply(Bot.nextCommand(for: actor, in: g)!, by: actor)
        }
        for _ in 0..<300 where g.phase == .playing { _ = try step(&g) }
        var resumed = try JSONDecoder().decode(GameState.self, from: JSONEncoder().encode(g))
        #expect(resumed == g)
        for _ in 0..<300 where g.phase == .playing {
            let a = try step(&g)
            let b = try step(&resumed)
            #expect(a == b)
        }
        #expect(resumed == g)
    }

    @Test func scriptedDiceFallBackToTheSeededGenerator() throws {
        var a = newGame(2, GameOptions(), seed: 3)
        var b = a
        var dice = ScriptedDice([1, 2])
        _ = try a.apply(.roll, by: "p1", dice: &dice)
        #expect(a.dice == [1, 2] && dice.remaining == 0)
        _ = try b.apply(.roll, by: "p1", dice: &dice) // exhausted: seeded
        var c = newGame(2, GameOptions(), seed: 3)
        _ = try c.apply(.roll, by: "p1")
        #expect(b.dice == c.dice)
    }

    @Test func clientsDoNotSeeTheGeneratorOrDeckOrder() {
        let g = newGame(2, GameOptions(), seed: 3).redactedForClients()
        #expect(g.rng.state == 0 && g.chanceDeck.isEmpty)
    }
}
