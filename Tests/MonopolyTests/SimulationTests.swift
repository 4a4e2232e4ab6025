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

    /// House rules and player counts up to 8, 25 games each.
    @Test(arguments: [
        GameOptions(auctions: false), GameOptions(evenBuild: false), GameOptions(freeParkingJackpot: true),
        GameOptions(doubleSalaryOnGo: true, noRentInJail: true), GameOptions(startingCash: 500), GameOptions(turnLimit: 60),
    ])
    func botGamesWithHouseRulesFinishWithoutInvariantViolations(options: GameOptions) {
        for seed in UInt64(1)...25 {
            var o = options
            o.turnLimit = o.turnLimit ?? 3000
            let out = Simulator.play(seed: seed, players: 2 + Int(seed % 7), options: o)
            #expect(out.violations.isEmpty, "seed \(seed): \(out.violations)")
            #expect(out.stuck == nil, "seed \(seed): \(out.stuck ?? "")")
            #expect(out.finished)
        }
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
