import Foundation
import Monopoly

/// A `patch` message: `{"type":"patch","game":"G","seq":N,"base":B,"epoch":E,"ops":[...]}`, the RFC
/// 6902 ops that turn the state message `base` into the state message `seq` (the whole message:
/// `seq`, `state`, `events`, `cmd`), both of epoch `E` (a patch never crosses epochs). The authority
/// makes it once per state and publishes it on the state channel just before that state; a gateway
/// sends it, instead of the state, to a member that asked for patches and whose last state was `base`.
///
/// The keys are written in this fixed order (not sorted, unlike a state) so that a gateway reads
/// `seq`, `base` and `epoch` from the first bytes (`Header`) without parsing the ops. (`epoch` follows
/// `base`: a gateway from before epochs reads the header it knows and ignores the rest.)
public struct StatePatch: Sendable, Equatable {
    public var game: GameID
    public var seq: Int
    public var base: Int
    public var epoch: StateEpoch
    public var ops: [JSONPatch.Operation]

    public init(game: GameID, seq: Int, base: Int, epoch: StateEpoch = .zero, ops: [JSONPatch.Operation]) {
        self.game = game
        self.seq = seq
        self.base = base
        self.epoch = epoch
        self.ops = ops
    }

    public var text: String {
        Self.text(game: game, seq: seq, base: base, epoch: epoch, ops: Array(ops.map { JSONOutput.encode($0) }.joined(separator: ",").utf8))
    }

    /// The message with `ops` already written (comma-separated: `JSONPatch.diff(fromText:toText:)`).
    public static func text(game: GameID, seq: Int, base: Int, epoch: StateEpoch, ops: [UInt8]) -> String {
        // Written by hand: `JSONOutput`'s objects insist on sorted keys.
        let epochField = epoch == .zero ? "" : #""epoch":\#(epoch.rawValue),"#
        let head = #"{"type":"patch","game":"# + JSONOutput.encode(JSONValue.string(game.rawValue)) + #","seq":\#(seq),"base":\#(base),"#
            + epochField + #""ops":["#
        var bytes: [UInt8] = []
        bytes.reserveCapacity(head.utf8.count + ops.count + 2)
        bytes.append(contentsOf: head.utf8)
        bytes.append(contentsOf: ops)
        bytes.append(contentsOf: "]}".utf8)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// What a gateway needs of a patch: which state it makes, from which.
    public struct Header: Sendable, Equatable {
        public var seq: Int
        public var base: Int
        public var epoch: StateEpoch
        public init(seq: Int, base: Int, epoch: StateEpoch = .zero) {
            self.seq = seq
            self.base = base
            self.epoch = epoch
        }

        /// The state this patch makes.
        public var version: StateVersion { StateVersion(epoch: epoch, seq: seq) }
        /// The state it applies to.
        public var baseVersion: StateVersion { StateVersion(epoch: epoch, seq: base) }
    }

    /// Whether `payload` starts as a patch message does (of any game): one whose header cannot be
    /// read is refused, not taken for something else.
    public static func looksLikePatch(_ payload: [UInt8]) -> Bool {
        payload.starts(with: #"{"type":"patch","#.utf8)
    }

    /// The header of a patch of `game` in the form the authority writes, or nil (not a patch, or
    /// another game's, or a seq, base or epoch that is not a plain non-negative integer below 10^15,
    /// 10^15 and `StateEpoch.maximum`). No `epoch` after `base` is epoch `zero`.
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
        let epochKey = Array(#","epoch":"#.utf8)
        guard payload.count > index + epochKey.count, payload[index..<(index + epochKey.count)].elementsEqual(epochKey) else {
            return Header(seq: seq, base: base)
        }
        index += epochKey.count
        let start = index
        var epoch = 0
        while index < payload.count, (48...57).contains(payload[index]), index - start < 17 {
            epoch = epoch * 10 + Int(payload[index] - 48)
            index += 1
        }
        guard index > start, index < payload.count, payload[index] == UInt8(ascii: ","), let valid = StateEpoch(rawValue: epoch) else { return nil }
        return Header(seq: seq, base: base, epoch: valid)
    }

    /// Reads a whole patch message (a client's side; tests and the load generator).
    public init(json: JSONValue) throws(JSONPatch.Failure) {
        guard json["type"]?.stringValue == "patch", let raw = json["game"]?.stringValue, let game = GameID(rawValue: raw),
              let seq = json["seq"]?.intValue, let base = json["base"]?.intValue, let epoch = StateEpoch(json: json["epoch"]),
              case .array(let ops)? = json["ops"] else {
            throw JSONPatch.Failure(message: "a patch is {type: \"patch\", game, seq, base, epoch, ops: [...]}")
        }
        var operations: [JSONPatch.Operation] = []
        for op in ops { operations.append(try JSONPatch.Operation(json: op)) }
        self.init(game: game, seq: seq, base: base, epoch: epoch, ops: operations)
    }
}
