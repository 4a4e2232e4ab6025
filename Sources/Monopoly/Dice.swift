/// Deterministic randomness: the game's generator lives in the state; dice are injectable.

/// SplitMix64: tiny, fast, and its whole state is one UInt64 stored in `GameState`.
public struct SplitMix64: Sendable, Equatable, RandomNumberGenerator {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform integer in 1...n without modulo bias.
    public mutating func die(_ n: Int = 6) -> Int {
        Int(next(upperBound: UInt64(n))) + 1
    }
}

/// Where dice values come from. The game's own seeded generator is passed as a fallback.
public protocol DiceSource {
    mutating func nextDie(fallback rng: inout SplitMix64) -> Int
}

/// Dice from the game's seeded generator (the normal case).
public struct SeededDice: DiceSource, Sendable {
    public init() {}
    public mutating func nextDie(fallback rng: inout SplitMix64) -> Int { rng.die() }
}

/// A scripted sequence of die faces (two per roll) for tests and demos; once exhausted, dice come
/// from the game's seeded generator. Only dice rolls consume values (never shuffles).
public struct ScriptedDice: DiceSource, Sendable, Equatable {
    public var values: [Int]
    public var position: Int = 0
    public init(_ values: [Int]) {
        precondition(values.allSatisfy { (1...6).contains($0) }, "die faces are 1...6")
        self.values = values
    }
    public var remaining: Int { values.count - position }
    public mutating func nextDie(fallback rng: inout SplitMix64) -> Int {
        if position < values.count {
            position += 1
            return values[position - 1]
        }
        return rng.die()
    }
}
