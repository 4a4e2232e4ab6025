/// Options chosen at game creation. Defaults follow the official rules; missing JSON keys decode to them.
public struct GameOptions: Codable, Sendable, Equatable {
    public var startingCash: Int = 1500
    /// Declined properties (and a bankrupt player's properties taken by the Bank) go to auction.
    public var auctions: Bool = true
    /// Houses must be built and sold evenly within a colour group.
    public var evenBuild: Bool = true
    /// House rule: taxes, card fees and jail fines go to a jackpot collected by landing on Free Parking.
    public var freeParkingJackpot: Bool = false
    /// House rule: $400 instead of $200 for landing exactly on GO (by dice or card).
    public var doubleSalaryOnGo: Bool = false
    /// House rule: an owner in jail collects no rent.
    public var noRentInJail: Bool = false
    /// Short game: the game ends when this many turns have been played in total (all players);
    /// the richest player by the official short-game valuation wins. nil = play to the last player.
    public var turnLimit: Int? = nil
    /// 2...8.
    public var maxPlayers: Int = 8
    /// Stored for the authority (turn clock); the engine never reads it. nil = no clock.
    public var turnSeconds: Int? = nil
    /// Stored for the authority (auction clock, issues `auction_timeout`). nil = no clock.
    public var auctionSeconds: Int? = 15
    /// false: decks keep their printed order (replayable scenarios, tests).
    public var shuffleCards: Bool = true

    public init() {}

    public init(startingCash: Int = 1500, auctions: Bool = true, evenBuild: Bool = true,
                freeParkingJackpot: Bool = false, doubleSalaryOnGo: Bool = false, noRentInJail: Bool = false,
                turnLimit: Int? = nil, maxPlayers: Int = 8, turnSeconds: Int? = nil, auctionSeconds: Int? = 15,
                shuffleCards: Bool = true) {
        self.startingCash = startingCash
        self.auctions = auctions
        self.evenBuild = evenBuild
        self.freeParkingJackpot = freeParkingJackpot
        self.doubleSalaryOnGo = doubleSalaryOnGo
        self.noRentInJail = noRentInJail
        self.turnLimit = turnLimit
        self.maxPlayers = maxPlayers
        self.turnSeconds = turnSeconds
        self.auctionSeconds = auctionSeconds
        self.shuffleCards = shuffleCards
    }

    enum CodingKeys: String, CodingKey {
        case startingCash = "starting_cash", auctions, evenBuild = "even_build"
        case freeParkingJackpot = "free_parking_jackpot", doubleSalaryOnGo = "double_salary_on_go"
        case noRentInJail = "no_rent_in_jail", turnLimit = "turn_limit", maxPlayers = "max_players"
        case turnSeconds = "turn_seconds", auctionSeconds = "auction_seconds", shuffleCards = "shuffle_cards"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = GameOptions()
        startingCash = try c.decodeIfPresent(Int.self, forKey: .startingCash) ?? d.startingCash
        auctions = try c.decodeIfPresent(Bool.self, forKey: .auctions) ?? d.auctions
        evenBuild = try c.decodeIfPresent(Bool.self, forKey: .evenBuild) ?? d.evenBuild
        freeParkingJackpot = try c.decodeIfPresent(Bool.self, forKey: .freeParkingJackpot) ?? d.freeParkingJackpot
        doubleSalaryOnGo = try c.decodeIfPresent(Bool.self, forKey: .doubleSalaryOnGo) ?? d.doubleSalaryOnGo
        noRentInJail = try c.decodeIfPresent(Bool.self, forKey: .noRentInJail) ?? d.noRentInJail
        turnLimit = c.contains(.turnLimit) ? try c.decodeIfPresent(Int.self, forKey: .turnLimit) : d.turnLimit
        maxPlayers = try c.decodeIfPresent(Int.self, forKey: .maxPlayers) ?? d.maxPlayers
        turnSeconds = c.contains(.turnSeconds) ? try c.decodeIfPresent(Int.self, forKey: .turnSeconds) : d.turnSeconds
        auctionSeconds = c.contains(.auctionSeconds) ? try c.decodeIfPresent(Int.self, forKey: .auctionSeconds) : d.auctionSeconds
        shuffleCards = try c.decodeIfPresent(Bool.self, forKey: .shuffleCards) ?? d.shuffleCards
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(startingCash, forKey: .startingCash)
        try c.encode(auctions, forKey: .auctions)
        try c.encode(evenBuild, forKey: .evenBuild)
        try c.encode(freeParkingJackpot, forKey: .freeParkingJackpot)
        try c.encode(doubleSalaryOnGo, forKey: .doubleSalaryOnGo)
        try c.encode(noRentInJail, forKey: .noRentInJail)
        try c.encode(turnLimit, forKey: .turnLimit)
        try c.encode(maxPlayers, forKey: .maxPlayers)
        try c.encode(turnSeconds, forKey: .turnSeconds)
        try c.encode(auctionSeconds, forKey: .auctionSeconds)
        try c.encode(shuffleCards, forKey: .shuffleCards)
    }

    /// Checks ranges (max players 2...8, positive cash, positive limits).
    public func validated() throws(RuleViolation) -> GameOptions {
        guard (2...8).contains(maxPlayers) else { throw RuleViolation(.invalidOptions, "max players must be between 2 and 8") }
        guard startingCash > 0, startingCash <= 100_000 else { throw RuleViolation(.invalidOptions, "starting cash must be between $1 and $100,000") }
        if let t = turnLimit, t < 1 { throw RuleViolation(.invalidOptions, "the turn limit must be positive") }
        if let t = turnSeconds, t < 1 { throw RuleViolation(.invalidOptions, "the turn clock must be positive") }
        if let t = auctionSeconds, t < 1 { throw RuleViolation(.invalidOptions, "the auction clock must be positive") }
        return self
    }
}
