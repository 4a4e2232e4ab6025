/// What happened, for clients and the game log. JSON: every key always present (null when unused).
public struct Event: Codable, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Codable, Sendable, Equatable {
        case joined, left, started, turnStarted = "turn_started", rolled, moved, passedGo = "passed_go"
        case bought, declined, auctionStarted = "auction_started", bid, passed, auctionWon = "auction_won"
        case auctionUnsold = "auction_unsold", paid, collected, rentPaid = "rent_paid", noRent = "no_rent"
        case cardDrawn = "card_drawn", wentToJail = "went_to_jail", leftJail = "left_jail", stayedInJail = "stayed_in_jail"
        case jailCardUsed = "jail_card_used", built, sold, mortgaged, unmortgaged, mortgageKept = "mortgage_kept"
        case mortgageChoice = "mortgage_choice"
        case tradeProposed = "trade_proposed", tradeAccepted = "trade_accepted", tradeRejected = "trade_rejected"
        case debt, debtPaid = "debt_paid", bankrupt, jackpot, gameOver = "game_over"
        case buildingAuction = "building_auction", turnEnded = "turn_ended"
        case skipVote = "skip_vote", turnSkipped = "turn_skipped"
    }

    public var kind: Kind
    public var player: PlayerID?
    /// The other party: creditor, trade partner, rent owner...
    public var other: PlayerID?
    public var square: Int?
    public var amount: Int?
    public var dice: [Int]?
    /// Card text, trade id, or other detail.
    public var detail: String?
    /// One sentence for the game log, e.g. "Alice rolled 3+4 and moved to Illinois Avenue."
    public var text: String

    public init(_ kind: Kind, player: PlayerID? = nil, other: PlayerID? = nil, square: Int? = nil, amount: Int? = nil,
                dice: [Int]? = nil, detail: String? = nil, text: String) {
        self.kind = kind
        self.player = player
        self.other = other
        self.square = square
        self.amount = amount
        self.dice = dice
        self.detail = detail
        self.text = text
    }

    public var description: String { text }

    enum CodingKeys: String, CodingKey { case kind = "type", player, other, square, amount, dice, detail, text }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(kind, forKey: .kind)
        try c.encode(player, forKey: .player)
        try c.encode(other, forKey: .other)
        try c.encode(square, forKey: .square)
        try c.encode(amount, forKey: .amount)
        try c.encode(dice, forKey: .dice)
        try c.encode(detail, forKey: .detail)
        try c.encode(text, forKey: .text)
    }
}
