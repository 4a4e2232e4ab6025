import Foundation
import Monopoly

/// `--dice-script`: one sequence of die values for the whole authority, consumed in order by
/// `roll` in whichever game rolls next, then the game's seeded generator. Shared by every game's
/// runner, hence the lock.
public struct SharedDiceScript: DiceSource, Sendable {
    private final class Storage: @unchecked Sendable {
        let lock = NSLock()
        var script: ScriptedDice
        init(_ script: ScriptedDice) { self.script = script }
    }

    private let storage: Storage

    public init(_ values: [Int] = []) {
        storage = Storage(ScriptedDice(values))
    }

    /// Reads whitespace-separated die values (1...6).
    public init(contentsOf path: String) throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var values: [Int] = []
        for word in text.split(whereSeparator: { $0.isWhitespace }) {
            guard let value = Int(word), (1...6).contains(value) else {
                throw CocoaError(.fileReadCorruptFile, userInfo: [NSLocalizedDescriptionKey: "dice script \(path): \"\(word)\" is not a die value 1...6"])
            }
            values.append(value)
        }
        self.init(values)
    }

    public var remaining: Int { storage.lock.withLock { storage.script.remaining } }

    public mutating func nextDie(fallback rng: inout SplitMix64) -> Int {
        storage.lock.withLock { storage.script.nextDie(fallback: &rng) }
    }
}
