/// A game's code: short enough to read out loud, validated before it is ever used in a Redis
/// channel or key name, so a client can't inject `*`, `{`, `}` or `:` into a subscription.
public struct GameID: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    /// No 0/O or 1/I/L: codes are shared by voice and by hand.
    public static let alphabet: [Character] = Array("ABCDEFGHJKMNPQRSTUVWXYZ23456789")
    public static let generatedLength = 6
    public static let maximumLength = 16

    public let rawValue: String

    public init?(rawValue: String) {
        let scalars = rawValue.unicodeScalars
        guard (1...Self.maximumLength).contains(scalars.count),
              scalars.allSatisfy({ ("A"..."Z").contains($0) || ("0"..."9").contains($0) })
        else { return nil }
        self.rawValue = rawValue
    }

    public static func random<G: RandomNumberGenerator>(using generator: inout G) -> GameID {
        let code = String((0..<generatedLength).map { _ in alphabet.randomElement(using: &generator)! })
        return GameID(rawValue: code)!
    }

    public static func random() -> GameID {
        var generator = SystemRandomNumberGenerator()
        return random(using: &generator)
    }

    public init(from decoder: any Decoder) throws {
        let raw = try decoder.singleValueContainer().decode(String.self)
        guard let id = GameID(rawValue: raw) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "invalid game id"))
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public var description: String { rawValue }
}
