/// The 16 Chance and 16 Community Chest cards of the current US edition.

public enum DeckKind: String, Codable, Sendable, Equatable {
    case chance
    case communityChest = "community_chest"

    public var title: String { self == .chance ? "Chance" : "Community Chest" }
}

public enum CardEffect: Sendable, Equatable {
    /// Move forward to a square; collect GO salary when passing (or landing on) GO.
    case advance(to: Int)
    /// Move forward to the nearest railroad; an owner is paid twice the rent.
    case nearestRailroad
    /// Move forward to the nearest utility; an owner is paid ten times a fresh roll of the dice.
    case nearestUtility
    case collect(Int)
    case pay(Int)
    case getOutOfJailFree
    case back3
    case goToJail
    case repairs(perHouse: Int, perHotel: Int)
    case payEachPlayer(Int)
    case collectFromEachPlayer(Int)
}

public struct Card: Sendable, Equatable {
    public let deck: DeckKind
    public let id: Int
    public let text: String
    public let effect: CardEffect
}

public enum Cards {
    public static let chance: [Card] = [
        Card(deck: .chance, id: 0, text: "Advance to Boardwalk.", effect: .advance(to: 39)),
        Card(deck: .chance, id: 1, text: "Advance to Go (Collect $200).", effect: .advance(to: 0)),
        Card(deck: .chance, id: 2, text: "Advance to Illinois Avenue. If you pass Go, collect $200.", effect: .advance(to: 24)),
        Card(deck: .chance, id: 3, text: "Advance to St. Charles Place. If you pass Go, collect $200.", effect: .advance(to: 11)),
        Card(deck: .chance, id: 4, text: "Advance to the nearest Railroad. If unowned, you may buy it from the Bank. If owned, pay the owner twice the rental to which they are otherwise entitled.", effect: .nearestRailroad),
        Card(deck: .chance, id: 5, text: "Advance to the nearest Railroad. If unowned, you may buy it from the Bank. If owned, pay the owner twice the rental to which they are otherwise entitled.", effect: .nearestRailroad),
        Card(deck: .chance, id: 6, text: "Advance token to the nearest Utility. If unowned, you may buy it from the Bank. If owned, throw dice and pay the owner a total ten times the amount thrown.", effect: .nearestUtility),
        Card(deck: .chance, id: 7, text: "Bank pays you dividend of $50.", effect: .collect(50)),
        Card(deck: .chance, id: 8, text: "Get Out of Jail Free. This card may be kept until needed, traded, or sold.", effect: .getOutOfJailFree),
        Card(deck: .chance, id: 9, text: "Go Back 3 Spaces.", effect: .back3),
        Card(deck: .chance, id: 10, text: "Go to Jail. Go directly to Jail, do not pass Go, do not collect $200.", effect: .goToJail),
        Card(deck: .chance, id: 11, text: "Make general repairs on all your property. For each house pay $25. For each hotel pay $100.", effect: .repairs(perHouse: 25, perHotel: 100)),
        Card(deck: .chance, id: 12, text: "Speeding fine $15.", effect: .pay(15)),
        Card(deck: .chance, id: 13, text: "Take a trip to Reading Railroad. If you pass Go, collect $200.", effect: .advance(to: 5)),
        Card(deck: .chance, id: 14, text: "You have been elected Chairman of the Board. Pay each player $50.", effect: .payEachPlayer(50)),
        Card(deck: .chance, id: 15, text: "Your building loan matures. Collect $150.", effect: .collect(150)),
    ]

    public static let communityChest: [Card] = [
        Card(deck: .communityChest, id: 0, text: "Advance to Go (Collect $200).", effect: .advance(to: 0)),
        Card(deck: .communityChest, id: 1, text: "Bank error in your favor. Collect $200.", effect: .collect(200)),
        Card(deck: .communityChest, id: 2, text: "Doctor's fee. Pay $50.", effect: .pay(50)),
        Card(deck: .communityChest, id: 3, text: "From sale of stock you get $50.", effect: .collect(50)),
        Card(deck: .communityChest, id: 4, text: "Get Out of Jail Free. This card may be kept until needed, traded, or sold.", effect: .getOutOfJailFree),
        Card(deck: .communityChest, id: 5, text: "Go to Jail. Go directly to jail, do not pass Go, do not collect $200.", effect: .goToJail),
        Card(deck: .communityChest, id: 6, text: "Holiday fund matures. Receive $100.", effect: .collect(100)),
        Card(deck: .communityChest, id: 7, text: "Income tax refund. Collect $20.", effect: .collect(20)),
        Card(deck: .communityChest, id: 8, text: "It is your birthday. Collect $10 from every player.", effect: .collectFromEachPlayer(10)),
        Card(deck: .communityChest, id: 9, text: "Life insurance matures. Collect $100.", effect: .collect(100)),
        Card(deck: .communityChest, id: 10, text: "Pay hospital fees of $100.", effect: .pay(100)),
        Card(deck: .communityChest, id: 11, text: "Pay school fees of $50.", effect: .pay(50)),
        Card(deck: .communityChest, id: 12, text: "Receive $25 consultancy fee.", effect: .collect(25)),
        Card(deck: .communityChest, id: 13, text: "You are assessed for street repair. $40 per house. $115 per hotel.", effect: .repairs(perHouse: 40, perHotel: 115)),
        Card(deck: .communityChest, id: 14, text: "You have won second prize in a beauty contest. Collect $10.", effect: .collect(10)),
        Card(deck: .communityChest, id: 15, text: "You inherit $100.", effect: .collect(100)),
    ]

    public static func deck(_ kind: DeckKind) -> [Card] { kind == .chance ? chance : communityChest }
    public static func card(_ kind: DeckKind, _ id: Int) -> Card { deck(kind)[id] }
    /// The id of the Get Out of Jail Free card in each deck.
    public static func jailCardID(_ kind: DeckKind) -> Int { kind == .chance ? 8 : 4 }
}
