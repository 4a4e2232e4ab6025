import Testing
@testable import Monopoly

/// What a stored state may hold (`GameState.boundsViolation`): the authority quarantines a record
/// outside these bounds instead of trapping on its next increment or board lookup.
@Suite struct StateBoundsTests {
    static let damages: [(String, @Sendable (inout GameState) -> Void)] = [
        ("turn_number 9223372036854775807 is out of bounds", { $0.turnNumber = .max }),
        ("next_player_number -1 is out of bounds", { $0.nextPlayerNumber = -1 }),
        ("next_trade_number 9007199254740992 is out of bounds", { $0.nextTradeNumber = 1 << 53 }),
        ("p2.doubles 9223372036854775807 is out of bounds", { $0.players[1].doubles = .max }),
        ("p1.cash 9223372036854775807 is out of bounds", { $0.players[0].cash = .max }),
        ("bank.cash -9223372036854775808 is out of bounds", { $0.bank.cash = .min }),
        ("p1.position 40 is off the board", { $0.players[0].position = 40 }),
        ("pending_buy -1 is off the board", { $0.pendingBuy = -1 }),
        ("square 3 has 6 buildings", { $0.squares[3].houses = 6 }),
        ("the squares are not the board's", { $0.squares.removeLast() }),
        ("dice [9223372036854775807, 1] are no roll", { $0.dice = [.max, 1] }),
        ("chance_deck is not 1 to 16 of its cards", { $0.chanceDeck = [] }),
        ("community_chest_deck is not 1 to 16 of its cards", { $0.communityChestDeck[0] = 16 }),
    ]

    @Test(arguments: damages.indices)
    func aNumberPastItsBoundIsNamed(_ index: Int) {
        let (message, damage) = Self.damages[index]
        var state = newGame(2)
        damage(&state)
        #expect(state.boundsViolation() == message)
    }

    @Test func statesTheEngineWritesAreWithinTheBounds() throws {
        #expect(GameState(seed: 1).boundsViolation() == nil)
        var state = newGame(4)
        var dice = SeededDice()
        for _ in 0..<2000 where state.phase == .playing {
            let player = try #require(state.awaiting.first)
            let candidates = [Bot.nextCommand(for: player, in: state)].compactMap { $0 } + [.roll, .buy, .endTurn, .pass, .jailPay, .bankrupt]
            #expect(candidates.contains { (try? state.apply($0, by: player, dice: &dice)) != nil })
            #expect(state.boundsViolation() == nil)
        }
    }
}
