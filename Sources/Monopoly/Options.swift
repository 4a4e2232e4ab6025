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
    /// `maxPlayersRange`.
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

    /// A client's options decode only into their types; a value that does not (a string, a
    /// fraction, 1e30) is refused naming its field. Ranges are checked by `validated()`, not here:
    /// a record stored before a range existed must still load.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func value<T: Decodable>(_ key: CodingKeys, _: T.Type) throws -> T? {
            do {
                return try c.decodeIfPresent(T.self, forKey: key)
            } catch {
                let expected = T.self == Bool.self ? "true or false"
                    : Self.ranges[key].map { "an integer between \($0.lowerBound) and \($0.upperBound)" } ?? "an integer"
                throw RuleViolation(.invalidOptions, "\(key.stringValue) must be \(expected)")
            }
        }
        let d = GameOptions()
        startingCash = try value(.startingCash, Int.self) ?? d.startingCash
        auctions = try value(.auctions, Bool.self) ?? d.auctions
        evenBuild = try value(.evenBuild, Bool.self) ?? d.evenBuild
        freeParkingJackpot = try value(.freeParkingJackpot, Bool.self) ?? d.freeParkingJackpot
        doubleSalaryOnGo = try value(.doubleSalaryOnGo, Bool.self) ?? d.doubleSalaryOnGo
        noRentInJail = try value(.noRentInJail, Bool.self) ?? d.noRentInJail
        // An explicit null turns an optional limit or clock off; a missing key keeps the default.
        turnLimit = c.contains(.turnLimit) ? try value(.turnLimit, Int.self) : d.turnLimit
        maxPlayers = try value(.maxPlayers, Int.self) ?? d.maxPlayers
        turnSeconds = c.contains(.turnSeconds) ? try value(.turnSeconds, Int.self) : d.turnSeconds
        auctionSeconds = c.contains(.auctionSeconds) ? try value(.auctionSeconds, Int.self) : d.auctionSeconds
        shuffleCards = try value(.shuffleCards, Bool.self) ?? d.shuffleCards
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

    /// The documented range of each numeric option (README, docs/rules.md). The clocks' bounds
    /// keep deadlines within what a timer can represent; the others keep every sum of cash or turns
    /// far from overflow.
    public static let startingCashRange = 1...100_000
    public static let turnLimitRange = 1...10_000
    public static let maxPlayersRange = 2...8
    public static let turnSecondsRange = 10...3600
    public static let auctionSecondsRange = 5...120

    static let ranges: [CodingKeys: ClosedRange<Int>] = [
        .startingCash: startingCashRange, .turnLimit: turnLimitRange, .maxPlayers: maxPlayersRange,
        .turnSeconds: turnSecondsRange, .auctionSeconds: auctionSecondsRange,
    ]

    /// Checks every numeric option against its range; the error names the field by its wire name.
    public func validated() throws(RuleViolation) -> GameOptions {
        let values: [(CodingKeys, Int?)] = [
            (.startingCash, startingCash), (.turnLimit, turnLimit), (.maxPlayers, maxPlayers),
            (.turnSeconds, turnSeconds), (.auctionSeconds, auctionSeconds),
        ]
        for case let (key, value?) in values {
            guard let range = Self.ranges[key], !range.contains(value) else { continue }
            throw RuleViolation(.invalidOptions, "\(key.stringValue) must be between \(range.lowerBound) and \(range.upperBound)")
        }
        return self
    }
}
