/// The whole game as one value: Codable with a stable snake_case JSON form (every key always present).

public enum Phase: String, Codable, Sendable, Equatable { case lobby, playing, finished }

/// What the game is waiting for (derived from the state, encoded as `turn_stage`).
public enum TurnStage: String, Codable, Sendable, Equatable {
    /// A player must raise cash or declare bankruptcy (see `debts`).
    case debt
    /// A player who received a mortgaged property must lift or keep the mortgage (`mortgage_choices`).
    case mortgageChoice = "mortgage_choice"
    /// The winner of a building-shortage auction must place the building (`placement`).
    case placement
    case auction
    /// The current player missed a third roll in jail holding a Get Out of Jail Free card: `jail_card`
    /// or `jail_pay` (the fine), then the token moves by that roll.
    case jailFine = "jail_fine"
    /// The current player may buy `pending_buy` or decline it.
    case buy
    /// The current player must roll (or, in jail, pay / use a card / roll for doubles).
    case roll
    /// The current player may build, trade, ... and end the turn.
    case endTurn = "end_turn"
}

/// Who receives a payment: a player, the bank, or the Free Parking jackpot. JSON: the player id,
/// "bank" or "jackpot".
public enum Party: Sendable, Equatable, Hashable, Codable {
    case bank
    case jackpot
    case player(PlayerID)

    public var playerID: PlayerID? {
        if case .player(let id) = self { return id }
        return nil
    }

    public init(from decoder: any Decoder) throws {
        let s = try decoder.singleValueContainer().decode(String.self)
        switch s {
        case "bank": self = .bank
        case "jackpot": self = .jackpot
        default: self = .player(s)
        }
    }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .bank: try c.encode("bank")
        case .jackpot: try c.encode("jackpot")
        case .player(let id): try c.encode(id)
        }
    }
}

public struct Player: Codable, Sendable, Equatable {
    public var id: PlayerID
    public var name: String
    public var cash: Int = 0
    public var position: Int = 0
    public var inJail: Bool = false
    /// Failed rolls for doubles during this jail stay (0...2); 3 after the third miss, until the fine
    /// is settled and the token moves.
    public var jailTurns: Int = 0
    /// Get Out of Jail Free cards held, by the deck they return to.
    public var jailCards: [DeckKind] = []
    public var bankrupt: Bool = false
    public var connected: Bool = true
    /// Set by the authority when a player is away (a bot plays for them).
    public var away: Bool = false
    /// A seat filled by the bot policy (set at join).
    public var bot: Bool = false
    /// Doubles rolled in a row this turn.
    public var doubles: Int = 0
    /// Turn number of this player's last trade proposal (the bot proposes at most once a turn).
    public var lastProposalTurn: Int? = nil

    public init(id: PlayerID, name: String) {
        self.id = id
        self.name = name
    }

    enum CodingKeys: String, CodingKey {
        case id, name, cash, position, inJail = "in_jail", jailTurns = "jail_turns", jailCards = "jail_cards"
        case jailCardDecks = "jail_card_decks", bankrupt, connected, away, bot, doubles, lastProposalTurn = "last_proposal_turn"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        name = try c.decode(String.self, forKey: .name)
        cash = try c.decode(Int.self, forKey: .cash)
        position = try c.decode(Int.self, forKey: .position)
        inJail = try c.decode(Bool.self, forKey: .inJail)
        jailTurns = try c.decodeIfPresent(Int.self, forKey: .jailTurns) ?? 0
        jailCards = try c.decodeIfPresent([DeckKind].self, forKey: .jailCardDecks) ?? []
        bankrupt = try c.decode(Bool.self, forKey: .bankrupt)
        connected = try c.decodeIfPresent(Bool.self, forKey: .connected) ?? true
        away = try c.decodeIfPresent(Bool.self, forKey: .away) ?? false
        bot = try c.decodeIfPresent(Bool.self, forKey: .bot) ?? false
        doubles = try c.decodeIfPresent(Int.self, forKey: .doubles) ?? 0
        lastProposalTurn = try c.decodeIfPresent(Int.self, forKey: .lastProposalTurn)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(name, forKey: .name)
        try c.encode(cash, forKey: .cash)
        try c.encode(position, forKey: .position)
        try c.encode(inJail, forKey: .inJail)
        try c.encode(jailTurns, forKey: .jailTurns)
        try c.encode(jailCards.count, forKey: .jailCards)
        try c.encode(jailCards, forKey: .jailCardDecks)
        try c.encode(bankrupt, forKey: .bankrupt)
        try c.encode(connected, forKey: .connected)
        try c.encode(away, forKey: .away)
        try c.encode(bot, forKey: .bot)
        try c.encode(doubles, forKey: .doubles)
        try c.encode(lastProposalTurn, forKey: .lastProposalTurn)
    }
}

/// The changing part of a square. JSON also carries the static `name`, `kind`, `group` and `price`.
public struct SquareState: Codable, Sendable, Equatable {
    public var index: Int
    public var owner: PlayerID? = nil
    /// 0...4 houses; 5 = hotel.
    public var houses: Int = 0
    public var mortgaged: Bool = false

    public init(index: Int) { self.index = index }

    public var info: SquareInfo { Board.squares[index] }

    /// Only what changes: the static data (name, kind, group, price, rents, ...) is served once,
    /// as `/board.json` (`Board.json`). Older snapshots also hold the static keys; they are ignored.
    enum CodingKeys: String, CodingKey { case index, owner, houses, mortgaged }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        index = try c.decode(Int.self, forKey: .index)
        owner = try c.decodeIfPresent(String.self, forKey: .owner)
        houses = try c.decode(Int.self, forKey: .houses)
        mortgaged = try c.decode(Bool.self, forKey: .mortgaged)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(index, forKey: .index)
        try c.encode(owner, forKey: .owner)
        try c.encode(houses, forKey: .houses)
        try c.encode(mortgaged, forKey: .mortgaged)
    }
}

public struct Bank: Codable, Sendable, Equatable {
    public var houses: Int = Board.totalHouses
    public var hotels: Int = Board.totalHotels
    /// Ledger: money received by the bank minus money paid out since the start (negative is normal:
    /// the bank never runs out). Players' cash + jackpot + this == `money_supply`.
    public var cash: Int = 0
    public init() {}
}

public enum AuctionKind: String, Codable, Sendable, Equatable {
    case property
    /// Building shortage: one house (or hotel) sold to the highest bidder, who places it at once.
    case house
    case hotel
}

public struct Auction: Codable, Sendable, Equatable {
    public var kind: AuctionKind
    /// The property auctioned (nil for building auctions).
    public var square: Int?
    /// 0 while nobody has bid.
    public var highBid: Int = 0
    public var highBidder: PlayerID? = nil
    /// Everyone who may bid, in seat order.
    public var bidders: [PlayerID]
    public var passed: [PlayerID] = []
    /// Increments on every bid or pass: the authority restarts its clock when it changes.
    public var seq: Int = 0
    /// Opaque deadline set by the authority (e.g. Unix seconds); the engine only stores it.
    public var deadline: Double? = nil

    public init(kind: AuctionKind, square: Int?, bidders: [PlayerID]) {
        self.kind = kind
        self.square = square
        self.bidders = bidders
    }

    /// Bidders who have neither passed nor hold the high bid.
    public var waitingOn: [PlayerID] {
        bidders.filter { !passed.contains($0) && $0 != highBidder }
    }

    enum CodingKeys: String, CodingKey {
        case kind, square, highBid = "high_bid", highBidder = "high_bidder", bidders, passed, seq, deadline
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(kind, forKey: .kind)
        try c.encode(square, forKey: .square)
        try c.encode(highBid, forKey: .highBid)
        try c.encode(highBidder, forKey: .highBidder)
        try c.encode(bidders, forKey: .bidders)
        try c.encode(passed, forKey: .passed)
        try c.encode(seq, forKey: .seq)
        try c.encode(deadline, forKey: .deadline)
    }
}

public struct Trade: Codable, Sendable, Equatable {
    public var id: TradeID
    public var from: PlayerID
    public var to: PlayerID
    /// What the proposer gives.
    public var give: TradeOffer
    /// What the proposer gets from the recipient.
    public var get: TradeOffer
}

public struct Debt: Codable, Sendable, Equatable {
    public var debtor: PlayerID
    public var creditor: Party
    public var amount: Int
    public var reason: String
}

public struct MortgageChoice: Codable, Sendable, Equatable {
    public var player: PlayerID
    public var square: Int
}

public struct Placement: Codable, Sendable, Equatable {
    public var player: PlayerID
    public var kind: AuctionKind
}

public struct GameState: Codable, Sendable, Equatable {
    public var phase: Phase = .lobby
    public var options: GameOptions
    public var players: [Player] = []
    public var current: PlayerID? = nil
    /// The last roll, [a, b].
    public var dice: [Int]? = nil
    public var squares: [SquareState] = (0..<Board.size).map(SquareState.init(index:))
    public var bank = Bank()
    /// Free Parking jackpot (house rule; stays 0 otherwise).
    public var jackpot: Int = 0
    /// Total money in the game (starting cash × players), for the conservation invariant.
    public var moneySupply: Int = 0
    public var auction: Auction? = nil
    /// Properties of a player bankrupt to the bank, waiting for their auction.
    public var auctionQueue: [Int] = []
    public var trades: [Trade] = []
    public var nextTradeNumber: Int = 1
    public var winner: PlayerID? = nil
    /// "last_player_standing" or "turn_limit" once finished, or one of `closingReasons`.
    public var endReason: String? = nil
    /// The authority ends games nobody attends, without a winner: a running game no player was
    /// connected to for too long ("abandoned"), a lobby likewise ("lobby_idle"), a lobby every
    /// player left ("lobby_empty").
    public static let closingReasons: Set<String> = ["abandoned", "lobby_idle", "lobby_empty"]
    /// The unowned property the current player landed on and may buy.
    public var pendingBuy: Int? = nil
    /// Debts that block play until paid (in order) or ended by bankruptcy.
    public var debts: [Debt] = []
    public var mortgageChoices: [MortgageChoice] = []
    public var placement: Placement? = nil
    /// Whether the current player still has a roll this turn (start of turn, or after doubles).
    public var canRoll: Bool = true
    /// Turns played so far (incremented when a turn ends), 1-based during play.
    public var turnNumber: Int = 0
    /// Opaque deadline of the current turn set by the authority's turn clock (like `Auction.deadline`);
    /// nil while no clock runs. The engine only stores it.
    public var turnDeadline: Double? = nil
    /// Players who voted to skip the absent current player's turn (see `Rules/SkipVotes.swift`),
    /// in voting order; cleared when the turn passes or the player is back.
    public var skipVotes: [PlayerID] = []
    /// Card ids, top of the deck first. Drawn cards go to the bottom; held jail cards are out of the deck.
    public var chanceDeck: [Int] = Array(0..<16)
    public var communityChestDeck: [Int] = Array(0..<16)
    public var rng: SplitMix64
    public var nextPlayerNumber: Int = 1
    /// Figures for the results screen, kept from the start (`GameResults`); sent to clients once
    /// the game is over.
    public var results: GameResults? = nil

    public init(options: GameOptions = GameOptions(), seed: UInt64) {
        self.options = options
        self.rng = SplitMix64(seed: seed)
    }

    /// The host (may start the game): the first player to have joined, or the one the role
    /// passed to (see `makeHost`).
    public var host: PlayerID? { players.first?.id }

    /// In the lobby, passes the host role to `id` (the authority does, when the host goes): the
    /// host is the first player, so `id` moves to the front, ahead of the others in their order.
    public mutating func makeHost(_ id: PlayerID) {
        guard phase == .lobby, let i = index(of: id), i > 0 else { return }
        players.insert(players.remove(at: i), at: 0)
    }

    public var stage: TurnStage? {
        guard phase == .playing else { return nil }
        if !debts.isEmpty { return .debt }
        if !mortgageChoices.isEmpty { return .mortgageChoice }
        if placement != nil { return .placement }
        if auction != nil { return .auction }
        if let c = current, let p = player(c), p.inJail, p.jailTurns >= 3 { return .jailFine }
        if pendingBuy != nil { return .buy }
        return canRoll ? .roll : .endTurn
    }

    /// The players the game is waiting for right now (for turn clocks and bots).
    public var awaiting: [PlayerID] {
        switch stage {
        case nil: return []
        case .debt: return blockingDebtors
        case .mortgageChoice: return Array(Set(mortgageChoices.map(\.player))).sorted()
        case .placement: return placement.map { [$0.player] } ?? []
        case .auction: return auction?.waitingOn ?? []
        case .jailFine, .buy, .roll, .endTurn: return current.map { [$0] } ?? []
        }
    }

    /// Players a bot standing in for them should be asked about now: the recipients of open trades
    /// (trades never block play, but want an answer) followed by `awaiting`.
    public var respondents: [PlayerID] {
        var ids: [PlayerID] = []
        for t in trades where !ids.contains(t.to) { ids.append(t.to) }
        for p in awaiting where !ids.contains(p) { ids.append(p) }
        return ids
    }

    /// Debtors whose first debt cannot be paid from cash.
    public var blockingDebtors: [PlayerID] {
        var seen: [PlayerID] = []
        for d in debts where !seen.contains(d.debtor) { seen.append(d.debtor) }
        return seen
    }

    public func player(_ id: PlayerID) -> Player? { players.first { $0.id == id } }
    public func index(of id: PlayerID) -> Int? { players.firstIndex { $0.id == id } }
    public var activePlayers: [Player] { players.filter { !$0.bankrupt } }

    /// Squares owned by a player.
    public func owned(by id: PlayerID) -> [Int] { squares.filter { $0.owner == id }.map(\.index) }

    /// The generator's state as 16 hex digits (`rng_state` in JSON).
    var rngStateHex: String {
        let hex = String(rng.state, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// The same state with the generator and deck orders hidden, for sending to clients.
    public func redactedForClients() -> GameState {
        var s = self
        s.rng = SplitMix64(seed: 0)
        s.chanceDeck = []
        s.communityChestDeck = []
        if phase != .finished { s.results = nil }
        return s
    }

    enum CodingKeys: String, CodingKey {
        case phase, options, players, current, host, dice, squares, bank, jackpot, moneySupply = "money_supply"
        case auction, auctionQueue = "auction_queue", trades, nextTradeNumber = "next_trade_number", winner
        case endReason = "end_reason", turnStage = "turn_stage", awaiting, pendingBuy = "pending_buy", debts
        case mortgageChoices = "mortgage_choices", placement, canRoll = "can_roll", turnNumber = "turn_number", turnDeadline = "turn_deadline"
        case skipVotes = "skip_votes", skipVotesNeeded = "skip_votes_needed"
        case chanceDeck = "chance_deck", communityChestDeck = "community_chest_deck", rngState = "rng_state"
        case nextPlayerNumber = "next_player_number", results
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        phase = try c.decode(Phase.self, forKey: .phase)
        options = try c.decodeIfPresent(GameOptions.self, forKey: .options) ?? GameOptions()
        players = try c.decode([Player].self, forKey: .players)
        current = try c.decodeIfPresent(String.self, forKey: .current)
        dice = try c.decodeIfPresent([Int].self, forKey: .dice)
        squares = try c.decode([SquareState].self, forKey: .squares)
        guard squares.count == Board.size, squares.enumerated().allSatisfy({ $0.offset == $0.element.index }) else {
            throw DecodingError.dataCorruptedError(forKey: .squares, in: c, debugDescription: "squares must list the 40 squares in board order")
        }
        bank = try c.decode(Bank.self, forKey: .bank)
        jackpot = try c.decodeIfPresent(Int.self, forKey: .jackpot) ?? 0
        moneySupply = try c.decode(Int.self, forKey: .moneySupply)
        auction = try c.decodeIfPresent(Auction.self, forKey: .auction)
        auctionQueue = try c.decodeIfPresent([Int].self, forKey: .auctionQueue) ?? []
        trades = try c.decodeIfPresent([Trade].self, forKey: .trades) ?? []
        nextTradeNumber = try c.decodeIfPresent(Int.self, forKey: .nextTradeNumber) ?? 1
        winner = try c.decodeIfPresent(String.self, forKey: .winner)
        endReason = try c.decodeIfPresent(String.self, forKey: .endReason)
        pendingBuy = try c.decodeIfPresent(Int.self, forKey: .pendingBuy)
        debts = try c.decodeIfPresent([Debt].self, forKey: .debts) ?? []
        mortgageChoices = try c.decodeIfPresent([MortgageChoice].self, forKey: .mortgageChoices) ?? []
        placement = try c.decodeIfPresent(Placement.self, forKey: .placement)
        canRoll = try c.decode(Bool.self, forKey: .canRoll)
        turnNumber = try c.decode(Int.self, forKey: .turnNumber)
        turnDeadline = try c.decodeIfPresent(Double.self, forKey: .turnDeadline)
        skipVotes = try c.decodeIfPresent([PlayerID].self, forKey: .skipVotes) ?? []
        chanceDeck = try c.decode([Int].self, forKey: .chanceDeck)
        communityChestDeck = try c.decode([Int].self, forKey: .communityChestDeck)
        let hex = try c.decode(String.self, forKey: .rngState)
        guard let seed = UInt64(hex, radix: 16) else {
            throw DecodingError.dataCorruptedError(forKey: .rngState, in: c, debugDescription: "rng_state must be 16 hex digits")
        }
        rng = SplitMix64(seed: seed)
        nextPlayerNumber = try c.decodeIfPresent(Int.self, forKey: .nextPlayerNumber) ?? players.count + 1
        results = try c.decodeIfPresent(GameResults.self, forKey: .results)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(phase, forKey: .phase)
        try c.encode(options, forKey: .options)
        try c.encode(players, forKey: .players)
        try c.encode(current, forKey: .current)
        try c.encode(host, forKey: .host)
        try c.encode(dice, forKey: .dice)
        try c.encode(squares, forKey: .squares)
        try c.encode(bank, forKey: .bank)
        try c.encode(jackpot, forKey: .jackpot)
        try c.encode(moneySupply, forKey: .moneySupply)
        try c.encode(auction, forKey: .auction)
        try c.encode(auctionQueue, forKey: .auctionQueue)
        try c.encode(trades, forKey: .trades)
        try c.encode(nextTradeNumber, forKey: .nextTradeNumber)
        try c.encode(winner, forKey: .winner)
        try c.encode(endReason, forKey: .endReason)
        try c.encode(stage, forKey: .turnStage)
        try c.encode(awaiting, forKey: .awaiting)
        try c.encode(pendingBuy, forKey: .pendingBuy)
        try c.encode(debts, forKey: .debts)
        try c.encode(mortgageChoices, forKey: .mortgageChoices)
        try c.encode(placement, forKey: .placement)
        try c.encode(canRoll, forKey: .canRoll)
        try c.encode(turnNumber, forKey: .turnNumber)
        try c.encode(turnDeadline, forKey: .turnDeadline)
        try c.encode(skipVotes, forKey: .skipVotes)
        try c.encode(skipVotesNeeded, forKey: .skipVotesNeeded)
        try c.encode(chanceDeck, forKey: .chanceDeck)
        try c.encode(communityChestDeck, forKey: .communityChestDeck)
        try c.encode(rngStateHex, forKey: .rngState)
        try c.encode(nextPlayerNumber, forKey: .nextPlayerNumber)
        try c.encode(results, forKey: .results)
    }
}
