import RelayProtocol

/// What the relay reads of a state payload the authority wrote: its version (epoch and seq).
public enum StatePayload {
    public enum Reading: Sendable, Equatable {
        /// A state message.
        case state(StateVersion)
        /// No seq: chat.
        case other
        /// A state whose epoch is not one (not an integer within `StateEpoch`'s bounds): dropped,
        /// never taken for chat.
        case refused
    }

    /// A state payload of `game`: found by byte scans in the form the authority writes, decoded
    /// otherwise.
    public static func read(_ payload: [UInt8], game: GameID) -> Reading {
        if let seq = StateSequence(game: game.rawValue).find(in: payload), let epoch = StateVersion.epoch(in: payload) {
            return .state(StateVersion(epoch: epoch, seq: seq))
        }
        guard let json = try? WireJSON.decode(JSONValue.self, from: payload), let seq = json["seq"]?.intValue else { return .other }
        guard let epoch = StateEpoch(json: json["epoch"]) else { return .refused }
        return .state(StateVersion(epoch: epoch, seq: seq))
    }
}
