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
}
