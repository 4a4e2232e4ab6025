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
        default: return rng.die(2) == 1 ? .start : .voteSkip(turn: g.turnNumber + rng.die(3) - 2)
        }
    }

    @Test func randomCommandsAreRejectedCleanlyOrKeepTheInvariants() {
        var rng = SplitMix64(seed: 77)
        let (accepted, rejected) = botGames(seeds: 1...40, turnLimit: 400, maxSteps: 20_000, rng: &rng) { g, rng in
            guard rng.die(3) == 1 else { return [] }
            let ids = g.players.map(\.id) + ["ghost"]
            return [(ids[Int(rng.next(upperBound: UInt64(ids.count)))], Self.randomCommand(g, &rng))]
        }
        #expect(accepted > 100 && rejected > 1000)
    }
}
