import Testing
@testable import Monopoly

/// A state read back from Redis is played only when every value the engine indexes with or adds
/// to is in bounds: one that is not would trap the authority, and every one loading it after.
@Suite struct StoredValueTests {
    /// Each a change to a running game (Alice p1 on turn, Bob p2, Carol p3) no engine makes.
    static let corruptions: [(String, @Sendable (inout GameState) -> Void)] = [
        ("a square out of place", { $0.squares[0].index = 99 }),
        ("a missing square", { $0.squares.removeLast() }),
        ("a hotel and then some", { $0.squares[1].houses = 9 }),
        ("negative buildings", { $0.squares[1].houses = -1 }),
        ("a square owned by a stranger", { $0.squares[1].owner = "p9" }),
        ("a player off the board", { $0.players[0].position = 40 }),
        ("a player before GO", { $0.players[1].position = -1 }),
        ("cash near Int.max", { $0.players[0].cash = Int.max }),
        ("cash near Int.min", { $0.players[2].cash = Int.min }),
        ("a bank ledger near Int.min", { $0.bank.cash = Int.min + 1 }),
        ("a jackpot near Int.max", { $0.jackpot = Int.max }),
        ("a turn number about to overflow", { $0.turnNumber = Int.max }),
        ("a trade number about to overflow", { $0.nextTradeNumber = Int.max }),
        ("no current player during play", { $0.current = nil }),
        ("a current stranger", { $0.current = "p9" }),
        ("dice of 7", { $0.dice = [7, 1] }),
        ("three dice", { $0.dice = [1, 2, 3] }),
        ("an auction of square 40", { $0.auction = Auction(kind: .property, square: 40, bidders: ["p1", "p2"]) }),
        ("a stranger bidding", { $0.auction = Auction(kind: .property, square: 1, bidders: ["p1", "p9"]) }),
        ("a pending buy off the board", { $0.pendingBuy = 77 }),
        ("a queued auction off the board", { $0.auctionQueue = [-3] }),
        ("a trade of square 40", { $0.trades = [Trade(id: "t1", from: "p1", to: "p2", give: TradeOffer(properties: [40]), get: TradeOffer())] }),
        ("a trade of Int.max", { $0.trades = [Trade(id: "t1", from: "p1", to: "p2", give: TradeOffer(cash: Int.max), get: TradeOffer())] }),
        ("a trade of -1 jail cards", { $0.trades = [Trade(id: "t1", from: "p1", to: "p2", give: TradeOffer(), get: TradeOffer(jailCards: -1))] }),
        ("a trade with a stranger", { $0.trades = [Trade(id: "t1", from: "p9", to: "p2", give: TradeOffer(cash: 1), get: TradeOffer())] }),
        ("a debt to a stranger", { $0.debts = [Debt(debtor: "p1", creditor: .player("p9"), amount: 10, reason: "rent")] }),
        ("a debt of Int.max", { $0.debts = [Debt(debtor: "p1", creditor: .bank, amount: Int.max, reason: "rent")] }),
        ("a mortgage choice off the board", { $0.mortgageChoices = [MortgageChoice(player: "p1", square: 44)] }),
        ("a placement for a stranger", { $0.placement = Placement(player: "p9", kind: .house) }),
        ("a chance card that does not exist", { $0.chanceDeck[0] = 16 }),
        ("a community chest card that does not exist", { $0.communityChestDeck[3] = -1 }),
    ]

    @Test(arguments: corruptions.indices) func aStateOutOfBoundsIsRefused(_ index: Int) {
        var g = newGame(3)
        #expect(g.storedValueViolations().isEmpty)
        Self.corruptions[index].1(&g)
        #expect(!g.storedValueViolations().isEmpty, "\(Self.corruptions[index].0)")
    }

    @Test func aLobbyAndAFinishedGameAreInBounds() throws {
        var g = GameState(seed: 1)
        #expect(g.storedValueViolations().isEmpty)
        _ = try g.join(name: "A")
        _ = try g.join(name: "B")
        #expect(g.storedValueViolations().isEmpty)
        _ = try g.apply(.start, by: "p1")
        _ = try g.apply(.resign, by: "p2")
        #expect(g.phase == .finished && g.storedValueViolations().isEmpty)
    }
}
