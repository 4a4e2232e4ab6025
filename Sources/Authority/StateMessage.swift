import Monopoly
import RelayProtocol

/// The payload of `monopoly:{GAME}:state`, already in the form browsers receive: gateways encode
/// it into one WebSocket frame and write the same bytes to every local client of the game.
public struct StateMessage: Encodable, Sendable {
    public struct Cause: Encodable, Sendable {
        /// The command envelope's id (nil for the authority's own clock and bots).
        public var id: String?
        public var type: String
        public var player: PlayerID?

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(type, forKey: .type)
            try container.encode(player, forKey: .player)
        }

        enum CodingKeys: String, CodingKey { case id, type, player }
    }

    public var game: GameID
    public var seq: Int
    /// Written when not `zero` (a game from before epochs, replayed from its log, keeps its bytes).
    public var epoch: StateEpoch = .zero
    public var state: GameState
    public var events: [Event]
    public var cause: Cause

    enum CodingKeys: String, CodingKey { case type, game, seq, epoch, state, events, cause = "cmd" }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode("state", forKey: .type)
        try container.encode(game, forKey: .game)
        try container.encode(seq, forKey: .seq)
        if epoch != .zero { try container.encode(epoch, forKey: .epoch) }
        // Clients never see the generator or the deck order: they would predict dice and cards.
        try container.encode(state.redactedForClients(), forKey: .state)
        try container.encode(events, forKey: .events)
        try container.encode(cause, forKey: .cause)
    }
}

/// A chat line, published on the game's state channel (no seq: chat changes no state).
struct ChatMessage: Encodable {
    var game: GameID
    var player: PlayerID
    var name: String
    var text: String

    enum CodingKeys: String, CodingKey { case type, game, player, name, text }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode("chat", forKey: .type)
        try container.encode(game, forKey: .game)
        try container.encode(player, forKey: .player)
        try container.encode(name, forKey: .name)
        try container.encode(text, forKey: .text)
    }
}

/// Hand-written JSON (see `JSONWritable`): one per command, fanned out to every client of the game.
extension StateMessage: JSONWritable {
    public func writeJSON(to out: inout JSONOutput) {
        out.object { o in
            o.field("cmd", cause)
            if epoch != .zero { o.field("epoch", epoch) }
            o.field("events", events)
            o.field("game", game.rawValue)
            o.field("seq", seq)
            o.field("state", state.redactedForClients())
            o.field("type", "state")
        }
    }
}

extension StateMessage.Cause: JSONWritable {
    public func writeJSON(to out: inout JSONOutput) {
        out.object { o in
            o.field("id", id)
            o.field("player", player)
            o.field("type", type)
        }
    }
}
