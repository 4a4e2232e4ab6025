/// The 40-square US standard board: prices, rent tables, house costs and mortgage values.

public enum SquareKind: String, Codable, Sendable, Equatable {
    case go
    case property
    case railroad
    case utility
    case chance
    case communityChest = "community_chest"
    case incomeTax = "income_tax"
    case luxuryTax = "luxury_tax"
    case jail
    case freeParking = "free_parking"
    case goToJail = "go_to_jail"
}

/// Colour groups of lots, plus the railroad and utility groups.
public enum ColorGroup: String, Codable, Sendable, Equatable, CaseIterable {
    case brown
    case lightBlue = "light_blue"
    case pink
    case orange
    case red
    case yellow
    case green
    case darkBlue = "dark_blue"
    case railroad
    case utility
}

/// Static data of one square (never changes during a game).
public struct SquareInfo: Sendable, Equatable, Codable {
    public let index: Int
    public let name: String
    public let kind: SquareKind
    public let group: ColorGroup?
    /// Purchase price (0 when not ownable).
    public let price: Int
    /// Lots: rent with 0, 1, 2, 3, 4 houses and a hotel. Empty for other squares.
    public let rents: [Int]
    /// Lots: cost of one house (a hotel costs the same plus the four houses returned).
    public let houseCost: Int
    public let mortgage: Int

    public var ownable: Bool { kind == .property || kind == .railroad || kind == .utility }

    enum CodingKeys: String, CodingKey {
        case index, name, kind, group, price, rents, houseCost = "house_cost", mortgage
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(index, forKey: .index)
        try c.encode(name, forKey: .name)
        try c.encode(kind, forKey: .kind)
        try c.encode(group, forKey: .group)
        try c.encode(price, forKey: .price)
        try c.encode(rents, forKey: .rents)
        try c.encode(houseCost, forKey: .houseCost)
        try c.encode(mortgage, forKey: .mortgage)
    }
}

public enum Board {
    public static let size = 40
    public static let goIndex = 0
    public static let jailIndex = 10
    public static let freeParkingIndex = 20
    public static let goToJailIndex = 30
    public static let salary = 200
    public static let incomeTax = 200
    public static let luxuryTax = 100
    public static let jailFine = 50
    public static let totalHouses = 32
    public static let totalHotels = 12
    public static let railroadRents = [25, 50, 100, 200]
    public static let railroads = [5, 15, 25, 35]
    public static let utilities = [12, 28]

    private static func lot(_ i: Int, _ name: String, _ g: ColorGroup, _ price: Int, _ rents: [Int], _ house: Int) -> SquareInfo {
        SquareInfo(index: i, name: name, kind: .property, group: g, price: price, rents: rents, houseCost: house, mortgage: price / 2)
    }
    private static func special(_ i: Int, _ name: String, _ kind: SquareKind) -> SquareInfo {
        SquareInfo(index: i, name: name, kind: kind, group: nil, price: 0, rents: [], houseCost: 0, mortgage: 0)
    }
    private static func railroad(_ i: Int, _ name: String) -> SquareInfo {
        SquareInfo(index: i, name: name, kind: .railroad, group: .railroad, price: 200, rents: railroadRents, houseCost: 0, mortgage: 100)
    }
    private static func utility(_ i: Int, _ name: String) -> SquareInfo {
        SquareInfo(index: i, name: name, kind: .utility, group: .utility, price: 150, rents: [], houseCost: 0, mortgage: 75)
    }

    /// All 40 squares in board order, starting at GO.
    public static let squares: [SquareInfo] = [
        special(0, "GO", .go),
        lot(1, "Mediterranean Avenue", .brown, 60, [2, 10, 30, 90, 160, 250], 50),
        special(2, "Community Chest", .communityChest),
        lot(3, "Baltic Avenue", .brown, 60, [4, 20, 60, 180, 320, 450], 50),
        special(4, "Income Tax", .incomeTax),
        railroad(5, "Reading Railroad"),
        lot(6, "Oriental Avenue", .lightBlue, 100, [6, 30, 90, 270, 400, 550], 50),
        special(7, "Chance", .chance),
        lot(8, "Vermont Avenue", .lightBlue, 100, [6, 30, 90, 270, 400, 550], 50),
        lot(9, "Connecticut Avenue", .lightBlue, 120, [8, 40, 100, 300, 450, 600], 50),
        special(10, "Jail", .jail),
        lot(11, "St. Charles Place", .pink, 140, [10, 50, 150, 450, 625, 750], 100),
        utility(12, "Electric Company"),
        lot(13, "States Avenue", .pink, 140, [10, 50, 150, 450, 625, 750], 100),
        lot(14, "Virginia Avenue", .pink, 160, [12, 60, 180, 500, 700, 900], 100),
        railroad(15, "Pennsylvania Railroad"),
        lot(16, "St. James Place", .orange, 180, [14, 70, 200, 550, 750, 950], 100),
        special(17, "Community Chest", .communityChest),
        lot(18, "Tennessee Avenue", .orange, 180, [14, 70, 200, 550, 750, 950], 100),
        lot(19, "New York Avenue", .orange, 200, [16, 80, 220, 600, 800, 1000], 100),
        special(20, "Free Parking", .freeParking),
        lot(21, "Kentucky Avenue", .red, 220, [18, 90, 250, 700, 875, 1050], 150),
        special(22, "Chance", .chance),
        lot(23, "Indiana Avenue", .red, 220, [18, 90, 250, 700, 875, 1050], 150),
        lot(24, "Illinois Avenue", .red, 240, [20, 100, 300, 750, 925, 1100], 150),
        railroad(25, "B. & O. Railroad"),
        lot(26, "Atlantic Avenue", .yellow, 260, [22, 110, 330, 800, 975, 1150], 150),
        lot(27, "Ventnor Avenue", .yellow, 260, [22, 110, 330, 800, 975, 1150], 150),
        utility(28, "Water Works"),
        lot(29, "Marvin Gardens", .yellow, 280, [24, 120, 360, 850, 1025, 1200], 150),
        special(30, "Go To Jail", .goToJail),
        lot(31, "Pacific Avenue", .green, 300, [26, 130, 390, 900, 1100, 1275], 200),
        lot(32, "North Carolina Avenue", .green, 300, [26, 130, 390, 900, 1100, 1275], 200),
        special(33, "Community Chest", .communityChest),
        lot(34, "Pennsylvania Avenue", .green, 320, [28, 150, 450, 1000, 1200, 1400], 200),
        railroad(35, "Short Line"),
        special(36, "Chance", .chance),
        lot(37, "Park Place", .darkBlue, 350, [35, 175, 500, 1100, 1300, 1500], 200),
        special(38, "Luxury Tax", .luxuryTax),
        lot(39, "Boardwalk", .darkBlue, 400, [50, 200, 600, 1400, 1700, 2000], 200),
    ]

    /// Square indices of each group, in board order.
    public static let groupMembers: [ColorGroup: [Int]] = {
        var m: [ColorGroup: [Int]] = [:]
        for s in squares { if let g = s.group { m[g, default: []].append(s.index) } }
        return m
    }()

    /// Squares of the same group as `index` (empty when not ownable).
    public static func group(of index: Int) -> [Int] {
        guard let g = squares[index].group else { return [] }
        return groupMembers[g] ?? []
    }

    /// Price to lift a mortgage: the mortgage value plus 10% interest, the interest rounded UP to the
    /// next whole dollar (Electric Company / Water Works: $75 + $8 = $83; Park Place: $175 + $18 = $193).
    public static func unmortgageCost(_ index: Int) -> Int {
        let m = squares[index].mortgage
        return m + interest(index)
    }

    /// The 10% interest on a mortgage, rounded up to the next whole dollar.
    public static func interest(_ index: Int) -> Int {
        (squares[index].mortgage + 9) / 10
    }
}
