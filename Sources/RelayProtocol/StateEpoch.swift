import Foundation
import Monopoly

/// A game's epoch (README, "Epochs"): which run of the game's seq numbers a state belongs to. An
/// authority starts a new epoch whenever it cannot prove that Redis is as new as what was published:
/// each time it loads a game from Redis (a restart, a takeover, or a commit that found Redis older
/// than its own copy, a rollback). Seq numbers may then repeat, so clients compare states by epoch
/// first: a newer epoch replaces what they hold whatever its seq (`StateVersion`).
///
/// The value is milliseconds since 1970 (at least one more than the epoch before): epochs keep
/// increasing without any coordination, also across a restore from a backup that lost the last
/// epoch's record, as long as the authorities' clocks agree to better than the time such a
/// recovery takes. 0 (`zero`) is the epoch of states from before epochs (no `epoch` field).
public struct StateEpoch: RawRepresentable, Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// 2^53 - 1: exact as a JSON number in every client (a JavaScript number, a Double).
    public static let maximum = 9_007_199_254_740_991
    /// The epoch of states and records without one.
    public static let zero = StateEpoch(uncheckedValue: 0)

    public let rawValue: Int

    /// Nil outside 0...`maximum`.
    public init?(rawValue: Int) {
        guard (0...Self.maximum).contains(rawValue) else { return nil }
        self.rawValue = rawValue
    }

    private init(uncheckedValue: Int) { rawValue = uncheckedValue }

    /// A JSON value read from Redis or a log: absent or null is `zero`; nil for anything but an
    /// integer within bounds.
    public init?(json: JSONValue?) {
        switch json {
        case nil, .null?: self = .zero
        case .number(let number)?:
            guard let value = Int(exactly: number), let epoch = StateEpoch(rawValue: value) else { return nil }
            self = epoch
        default: return nil
        }
    }

    /// The epoch a game gets when it is created or loaded at `now` (seconds since 1970): the
    /// time in milliseconds, and always above `previous` (clamped at `maximum`, where it stays).
    public static func next(after previous: StateEpoch, now: Double) -> StateEpoch {
        let later = previous.rawValue == maximum ? maximum : previous.rawValue + 1
        let milliseconds = (now * 1000).rounded(.down)
        guard milliseconds.isFinite, milliseconds > 0 else { return StateEpoch(uncheckedValue: later) }
        let clock = milliseconds >= Double(maximum) ? maximum : Int(milliseconds)
        return StateEpoch(uncheckedValue: max(later, clock))
    }

    public static func < (lhs: StateEpoch, rhs: StateEpoch) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String { String(rawValue) }

    public init(from decoder: any Decoder) throws {
        let value = try decoder.singleValueContainer().decode(Int.self)
        guard let epoch = StateEpoch(rawValue: value) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "epoch \(value) out of bounds"))
        }
        self = epoch
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

extension StateEpoch: JSONWritable {
    public func writeJSON(to out: inout JSONOutput) { out.int(rawValue) }
}
