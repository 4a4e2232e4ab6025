import Testing
@testable import Monopoly

/// Humans send anything: random commands from random players in the middle of bot games must either
/// be rejected without changing anything, or keep every invariant.
@Suite struct RandomCommandTests {
    static func randomCommand(_ g: GameState, _ rng: inout SplitMix64) -> Command {
        let sq = Int(rng.next(upperBound: 41 as UInt64)) - (rng.die() == 1 ? 1 : 0)
        let others = g.players.map(\.id) + ["nobody"]
        func offer() -> TradeOffer {
            TradeOffer(cash: [0, 0, 10, 200, 5000][rng.die(5) - 1],
                       properties: (0..<rng.die(3) - 1).map { _ in Int(rng.next(upperBound: 40 as UInt64)) },
                       jailCards: rng.die(6) == 1 ? 1 : 0)
        }
        switch rng.die(20) {
        case 1: return .roll
        case 2: return .buy
        case 3: return .decline
        case 4: return .bid(amount: [1, 10, 100, 1000, -5][rng.die(5) - 1] + (g.auction?.highBid ?? 0))
        case 5: return .pass
        case 6: return .endTurn
        case 7: return .build(square: sq)
        case 8: return .sell(square: sq)
        case 9: return .mortgage(square: sq)
        case 10: return .unmortgage(square: sq)
        case 11: return .liftMortgage(square: sq)
        case 12: return .keepMortgage(square: sq)
        case 13: return .jailPay
        case 14: return .jailCard
        case 15: return .tradePropose(to: others[Int(rng.next(upperBound: UInt64(others.count)))], give: offer(), get: offer())
        case 16: return .tradeAccept(trade: g.trades.first?.id ?? "t\(rng.die())")
        case 17: return .tradeReject(trade: g.trades.last?.id ?? "t1")
        case 18: return .bankrupt
        case 19: return rng.die(10) == 1 ? .resign : .auctionTimeout
        default: return .start
        }
    }

    @Test func randomCommandsAreRejectedCleanlyOrKeepTheInvariants() {
        var rng = SplitMix64(seed: 77)
        var accepted = 0, rejected = 0
        for seed in UInt64(1)...40 {
            var g = GameState(options: GameOptions(freeParkingJackpot: seed % 2 == 0, turnLimit: 400), seed: seed)
            for k in 0..<(2 + Int(seed % 5)) { _ = try! g.join(name: "P\(k)") }
            _ = try! g.apply(.start, by: "p1")
            var steps = 0
            while g.phase == .playing && steps < 20_000 {
                steps += 1
                if rng.die(3) == 1 {
                    let ids = g.players.map(\.id) + ["ghost"]
                    let who = ids[Int(rng.next(upperBound: UInt64(ids.count)))]
                    let command = Self.randomCommand(g, &rng)
                    let before = g
                    do {
                        _ = try g.apply(command, by: who)
                        accepted += 1
                        let broken = g.checkInvariants()
                        #expect(broken.isEmpty, "seed \(seed): \(command) by \(who): \(broken)")
                        if !broken.isEmpty { return }
                    } catch {
                        rejected += 1
                        #expect(g == before, "seed \(seed): rejected \(command) changed the state")
                    }
                    continue
                }
                guard let actor = g.respondents.first(where: { Bot.nextCommand(for: $0, in: g) != nil }) else {
                    Issue.record("seed \(seed): no bot move at \(String(describing: g.stage))")
                    return
                }
                do {
                    _ = try g.apply(Bot.nextCommand(for: actor, in: g)!, by: actor)
                } catch {
                    Issue.record("seed \(seed): bot move rejected: \(error)")
                    return
                }
                let broken = g.checkInvariants()
                #expect(broken.isEmpty, "seed \(seed): \(broken)")
                if !broken.isEmpty { return }
            }
            #expect(g.phase == .finished, "seed \(seed) did not finish")
        }
        #expect(accepted > 100 && rejected > 1000)
    }
}
