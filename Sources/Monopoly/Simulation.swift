/// Bot-only games played to the end, with invariants checked after every command.
public struct SimulationOutcome: Sendable, Equatable {
    public var seed: UInt64
    public var finished: Bool
    public var endReason: String?
    public var winner: PlayerID?
    public var turns: Int
    public var commands: Int
    /// Invariant violations seen (first few, with the command that caused them).
    public var violations: [String]
    /// Why the game got stuck, if it did: no bot command for an awaited player, a bot command the
    /// engine rejected, or the command cap reached without the game finishing.
    public var stuck: String?
}

public enum Simulator {
    /// Plays one seeded bot game. `maxCommands` bounds a game that would never end (counted as stuck).
    public static func play(seed: UInt64, players: Int = 4, options: GameOptions = GameOptions(),
                            checkInvariants: Bool = true, maxCommands: Int = 200_000) -> SimulationOutcome {
        var g = GameState(options: options, seed: seed)
        for k in 0..<players { _ = try! g.join(name: "Bot \(k + 1)", bot: true) }
        _ = try! g.apply(.start, by: g.host!)
        var out = SimulationOutcome(seed: seed, finished: false, turns: 0, commands: 0, violations: [])
        while g.phase == .playing {
            var actor: PlayerID?
            var command: Command?
            for p in g.respondents {
                if let c = Bot.nextCommand(for: p, in: g) { actor = p; command = c; break }
            }
            guard let actor, let command else {
                out.stuck = "no bot command at stage \(g.stage.map(\.rawValue) ?? "-") awaiting \(g.awaiting)"
                break
            }
            do {
                _ = try g.apply(command, by: actor)
            } catch {
                out.stuck = "bot command \(command.type) by \(actor) rejected: \(error)"
                break
            }
            out.commands += 1
            if checkInvariants {
                let broken = g.checkInvariants()
                if !broken.isEmpty, out.violations.count < 5 {
                    out.violations.append("after \(command.type) by \(actor) (command \(out.commands)): \(broken.joined(separator: "; "))")
                }
            }
            if out.commands >= maxCommands {
                out.stuck = "no winner after \(maxCommands) commands (turn \(g.turnNumber))"
                break
            }
        }
        out.finished = g.phase == .finished
        out.endReason = g.endReason
        out.winner = g.winner
        out.turns = g.turnNumber
        return out
    }
}
