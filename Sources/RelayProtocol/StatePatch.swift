import Foundation
import Monopoly

/// A `patch` message: `{"type":"patch","game":"G","seq":N,"base":B,"ops":[...]}`, the RFC 6902 ops
/// that turn the state message `base` into the state message `seq` (the whole message: `seq`,
/// `state`, `events`, `cmd`). The authority makes it once per state and publishes it on the state
/// channel just before that state; a gateway sends it, instead of the state, to a member that asked
/// for patches and whose last state was `base`.
///
/// The keys are written in this fixed order (not sorted, unlike a state) so that a gateway reads
/// `seq` and `base` from the first bytes (`Header`) without parsing the ops.
public struct StatePatch: Sendable, Equatable {
    public var game: GameID
    public var seq: Int
    public var base: Int
    public var ops: [JSONPatch.Operation]

    public init(game: GameID, seq: Int, base: Int, ops: [JSONPatch.Operation]) {
        self.game = game
        self.seq = seq
        self.base = base
        self.ops = ops
    }

    public var text: String {
        // Written by hand: `JSONOutput`'s objects insist on sorted keys.
        #"{"type":"patch","game":"# + JSONOutput.encode(JSONValue.string(game.rawValue)) + #","seq":\#(seq),"base":\#(base),"ops":["#
            + ops.map { JSONOutput.encode($0) }.joined(separator: ",") + "]}"
    }

    /// What a gateway needs of a patch: which state it makes, from which.
    public struct Header: Sendable, Equatable {
        public var seq: Int
        public var base: Int
        public init(seq: Int, base: Int) {
            self.seq = seq
            self.base = base
        }
    }

    /// The header of a patch of `game` in the form the authority writes, or nil (not a patch, or
    /// another game's, or a seq or base that is not a plain non-negative integer below 10^15).
    public static func header(in payload: [UInt8], game: GameID) -> Header? {
        let prefix = Array(#"{"type":"patch","game":""#.utf8) + Array(game.rawValue.utf8) + Array(#"","seq":"#.utf8)
        guard payload.count > prefix.count, payload[..<prefix.count].elementsEqual(prefix) else { return nil }
        var index = prefix.count
        func integer() -> Int? {
            let start = index
            var value = 0
            while index < payload.count, (48...57).contains(payload[index]), index - start < 15 {
                value = value * 10 + Int(payload[index] - 48)
                index += 1
            }
            return index > start && (index == payload.count || !(48...57).contains(payload[index])) ? value : nil
        }
        guard let seq = integer() else { return nil }
        let middle = Array(#","base":"#.utf8)
        guard payload.count > index + middle.count, payload[index..<(index + middle.count)].elementsEqual(middle) else { return nil }
        index += middle.count
        guard let base = integer() else { return nil }
        return Header(seq: seq, base: base)
    }

    /// Reads a whole patch message (a client's side; tests and the load generator).
    public init(json: JSONValue) throws(JSONPatch.Failure) {
        guard json["type"]?.stringValue == "patch", let raw = json["game"]?.stringValue, let game = GameID(rawValue: raw),
              let seq = json["seq"]?.intValue, let base = json["base"]?.intValue, case .array(let ops)? = json["ops"] else {
            throw JSONPatch.Failure(message: "a patch is {type: \"patch\", game, seq, base, ops: [...]}")
        }
        var operations: [JSONPatch.Operation] = []
        for op in ops { operations.append(try JSONPatch.Operation(json: op)) }
        self.init(game: game, seq: seq, base: base, ops: operations)
    }
}
