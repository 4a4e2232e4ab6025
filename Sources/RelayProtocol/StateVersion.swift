import Foundation

/// Where a state message stands in its game's history: its epoch, then its seq within the epoch.
/// What a gateway (and a browser, `js/version.js`) does with a state is decided here.
public struct StateVersion: Hashable, Sendable, CustomStringConvertible {
    public var epoch: StateEpoch
    public var seq: Int

    public init(epoch: StateEpoch, seq: Int) {
        self.epoch = epoch
        self.seq = seq
    }

    /// What to do with a state `incoming` when the state held is `held` (nil: none yet).
    public enum Succession: Sendable, Equatable {
        /// Take it: the first state, or a later seq of the same epoch.
        case next
        /// Take it and resynchronize: a newer epoch, whatever its seq (the authority reloaded the
        /// game from a Redis that may have gone back). The holder replaces everything it holds.
        case newEpoch
        /// Drop it: an older epoch, or a seq not above the one held in the same epoch (a duplicate).
        case stale
    }

    public static func succession(of incoming: StateVersion, after held: StateVersion?) -> Succession {
        guard let held else { return .next }
        if incoming.epoch > held.epoch { return .newEpoch }
        if incoming.epoch < held.epoch { return .stale }
        return incoming.seq > held.seq ? .next : .stale
    }

    public var description: String { "\(seq)@\(epoch)" }

    /// The top-level `epoch` of a state message in the form the authority writes (sorted keys:
    /// `{"cmd":{…},"epoch":E,"events":…`), without parsing it: `zero` when the message has none
    /// (an authority from before epochs), nil when it is not a non-negative integer within bounds.
    /// Inside a JSON string every quote is escaped, so the marker matches only a key, and the first
    /// match is the top-level one: only `cmd` (whose keys are `id`, `player` and `type`) precedes it.
    public static func epoch(in bytes: [UInt8]) -> StateEpoch? {
        let marker = Array(#""epoch":"#.utf8)
        return bytes.withUnsafeBytes { buffer -> StateEpoch? in
            guard let at = firstIndex(of: marker, in: buffer) else { return StateEpoch.zero }
            var index = at + marker.count
            let start = index
            var value = 0
            // 16 digits hold `StateEpoch.maximum`; more is out of bounds anyway (and could overflow).
            while index < buffer.count, (48...57).contains(buffer[index]), index - start < 17 {
                value = value * 10 + Int(buffer[index] - 48)
                index += 1
            }
            guard index > start, index < buffer.count, buffer[index] == UInt8(ascii: ",") || buffer[index] == UInt8(ascii: "}") else {
                return nil
            }
            return StateEpoch(rawValue: value)
        }
    }

    /// Where `marker` first starts in `buffer`: memchr for its second byte, then a compare.
    private static func firstIndex(of marker: [UInt8], in buffer: UnsafeRawBufferPointer) -> Int? {
        guard let base = buffer.baseAddress, buffer.count > marker.count else { return nil }
        var from = 1
        while from < buffer.count {
            guard let hit = memchr(base + from, Int32(marker[1]), buffer.count - from) else { return nil }
            let at = base.distance(to: UnsafeRawPointer(hit)) - 1
            guard at + marker.count <= buffer.count else { return nil }
            if memcmp(base + at, marker, marker.count) == 0 { return at }
            from = at + 2
        }
        return nil
    }
}
