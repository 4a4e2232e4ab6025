import RelayProtocol

/// What the relay reads of a state payload the authority wrote: its seq.
public enum StatePayload {
    /// The seq of a state payload of `game` (nil for chat): found by a byte scan in the form the
    /// authority writes, decoded otherwise.
    public static func sequenceNumber(in payload: [UInt8], game: GameID) -> Int? {
        if let seq = StateSequence(game: game.rawValue).find(in: payload) { return seq }
        return (try? WireJSON.decode(Header.self, from: payload))?.seq
    }

    struct Header: Decodable {
        var seq: Int?
    }
}
