/// What players (and the authority) ask the engine to do. JSON: `{"type": "bid", "amount": 120}`.
public typealias PlayerID = String
public typealias TradeID = String

/// One side of a trade: cash, properties (square indices) and Get Out of Jail Free cards.
public struct TradeOffer: Codable, Sendable, Equatable {
    public var cash: Int
    public var properties: [Int]
    public var jailCards: Int

    public init(cash: Int = 0, properties: [Int] = [], jailCards: Int = 0) {
        self.cash = cash
        self.properties = properties
        self.jailCards = jailCards
    }

    public var isEmpty: Bool { cash == 0 && properties.isEmpty && jailCards == 0 }

    enum CodingKeys: String, CodingKey { case cash, properties, jailCards = "jail_cards" }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        cash = try c.decodeIfPresent(Int.self, forKey: .cash) ?? 0
        properties = try c.decodeIfPresent([Int].self, forKey: .properties) ?? []
        jailCards = try c.decodeIfPresent(Int.self, forKey: .jailCards) ?? 0
    }
}

public enum Command: Sendable, Equatable, Codable {
    /// Host only, in the lobby, with at least two players.
    case start
    case roll
    case buy
    case decline
    case bid(amount: Int)
    case pass
    case endTurn
    /// Build one house (or the hotel) on a lot; also places a building won at a shortage auction.
    case build(square: Int)
    /// Sell one building back to the bank at half price.
    case sell(square: Int)
    case mortgage(square: Int)
    case unmortgage(square: Int)
    /// After receiving a mortgaged property: lift the mortgage at once (value + 10%).
    case liftMortgage(square: Int)
    /// After receiving a mortgaged property: keep it mortgaged and pay the 10% interest now.
    case keepMortgage(square: Int)
    case jailPay
    case jailCard
    case tradePropose(to: PlayerID, give: TradeOffer, get: TradeOffer)
    case tradeAccept(trade: TradeID)
    /// The recipient rejects, or the proposer withdraws, an open trade.
    case tradeReject(trade: TradeID)
    /// Declare bankruptcy on the debt you cannot pay (rejected while your assets could cover it).
    case bankrupt
    /// Leave a running game: everything goes to the bank, as a bankruptcy to the bank.
    case resign
    /// Authority only (its clock): the running auction's time is up.
    case auctionTimeout
    /// While the current player is disconnected: vote to let the bot play their turn at once.
    /// `turn`: the `turn_number` voted on (a vote that arrives after that turn is refused).
    case voteSkip(turn: Int)

    /// Every command's wire name (`type`), listed once: the decoder reads it, the encoder writes it.
    public enum Name: String, CaseIterable, Sendable {
        case start, roll, buy, decline, bid, pass
        case endTurn = "end_turn"
        case build, sell, mortgage, unmortgage
        case liftMortgage = "lift_mortgage"
        case keepMortgage = "keep_mortgage"
        case jailPay = "jail_pay"
        case jailCard = "jail_card"
        case tradePropose = "trade_propose"
        case tradeAccept = "trade_accept"
        case tradeReject = "trade_reject"
        case bankrupt, resign
        case auctionTimeout = "auction_timeout"
        case voteSkip = "vote_skip"
    }

    public var name: Name {
        switch self {
        case .start: .start
        case .roll: .roll
        case .buy: .buy
        case .decline: .decline
        case .bid: .bid
        case .pass: .pass
        case .endTurn: .endTurn
        case .build: .build
        case .sell: .sell
        case .mortgage: .mortgage
        case .unmortgage: .unmortgage
        case .liftMortgage: .liftMortgage
        case .keepMortgage: .keepMortgage
        case .jailPay: .jailPay
        case .jailCard: .jailCard
        case .tradePropose: .tradePropose
        case .tradeAccept: .tradeAccept
        case .tradeReject: .tradeReject
        case .bankrupt: .bankrupt
        case .resign: .resign
        case .auctionTimeout: .auctionTimeout
        case .voteSkip: .voteSkip
        }
    }

    /// The wire name: `{"type": "end_turn"}`.
    public var type: String { name.rawValue }

    /// Commands only the authority may issue (never accept them from a browser).
    public var isSystem: Bool { self == .auctionTimeout }

    enum CodingKeys: String, CodingKey { case type, amount, square, to, give, get, trade, turn }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let type = try c.decode(String.self, forKey: .type)
        guard let name = Name(rawValue: type) else {
            throw DecodingError.dataCorruptedError(forKey: .type, in: c, debugDescription: "unknown command type \"\(type)\"")
        }
        func sq() throws -> Int { try c.decode(Int.self, forKey: .square) }
        switch name {
        case .start: self = .start
        case .roll: self = .roll
        case .buy: self = .buy
        case .decline: self = .decline
        case .bid: self = .bid(amount: try c.decode(Int.self, forKey: .amount))
        case .pass: self = .pass
        case .endTurn: self = .endTurn
        case .build: self = .build(square: try sq())
        case .sell: self = .sell(square: try sq())
        case .mortgage: self = .mortgage(square: try sq())
        case .unmortgage: self = .unmortgage(square: try sq())
        case .liftMortgage: self = .liftMortgage(square: try sq())
        case .keepMortgage: self = .keepMortgage(square: try sq())
        case .jailPay: self = .jailPay
        case .jailCard: self = .jailCard
        case .tradePropose:
            self = .tradePropose(to: try c.decode(String.self, forKey: .to),
                                 give: try c.decodeIfPresent(TradeOffer.self, forKey: .give) ?? TradeOffer(),
                                 get: try c.decodeIfPresent(TradeOffer.self, forKey: .get) ?? TradeOffer())
        case .tradeAccept: self = .tradeAccept(trade: try c.decode(String.self, forKey: .trade))
        case .tradeReject: self = .tradeReject(trade: try c.decode(String.self, forKey: .trade))
        case .bankrupt: self = .bankrupt
        case .resign: self = .resign
        case .auctionTimeout: self = .auctionTimeout
        case .voteSkip: self = .voteSkip(turn: try c.decode(Int.self, forKey: .turn))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(type, forKey: .type)
        switch self {
        case .bid(let amount): try c.encode(amount, forKey: .amount)
        case .build(let s), .sell(let s), .mortgage(let s), .unmortgage(let s), .liftMortgage(let s), .keepMortgage(let s):
            try c.encode(s, forKey: .square)
        case .tradePropose(let to, let give, let get):
            try c.encode(to, forKey: .to)
            try c.encode(give, forKey: .give)
            try c.encode(get, forKey: .get)
        case .tradeAccept(let t), .tradeReject(let t): try c.encode(t, forKey: .trade)
        case .voteSkip(let turn): try c.encode(turn, forKey: .turn)
        default: break
        }
    }
}
