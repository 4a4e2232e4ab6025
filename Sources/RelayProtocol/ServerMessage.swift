/// Messages the gateway sends to browsers (besides `state`, which the authority encodes once and
/// every gateway forwards byte for byte). Fields without a value are sent as null, never left out.
public enum ServerMessage {
    public static func welcome(game: GameID, player: String?, token: String?, re: JSONValue) -> String {
        WireJSON.encode(JSONValue.object([
            "type": .string("welcome"), "game": .string(game.rawValue),
            "player": player.map(JSONValue.string) ?? .null,
            "token": token.map(JSONValue.string) ?? .null,
            "re": re,
        ]))
    }

    public static func error(code: String, message: String, re: JSONValue) -> String {
        WireJSON.encode(JSONValue.object([
            "type": .string("error"), "code": .string(code), "message": .string(message), "re": re,
        ]))
    }

    public static func ack(game: GameID, seq: Int?, re: JSONValue) -> String {
        WireJSON.encode(JSONValue.object([
            "type": .string("ack"), "game": .string(game.rawValue),
            "seq": seq.map { .number(Double($0)) } ?? .null, "re": re,
        ]))
    }

    /// The open games; `re` is set when it answers a `lobby` request, null on live updates.
    public static func lobby(games: [JSONValue], re: JSONValue = .null) -> String {
        WireJSON.encode(JSONValue.object(["type": .string("lobby"), "games": .array(games), "re": re]))
    }
}

/// Error codes a client can receive besides the rules engine's own.
public enum RelayErrorCode {
    public static let authorityUnavailable = "authority_unavailable"
    public static let notSeated = "not_seated"
    public static let alreadySeated = "already_seated"
    public static let unknownGame = "unknown_game"
    public static let invalidToken = "invalid_token"
    public static let seatTaken = "seat_taken"
    public static let rateLimited = "rate_limited"
    public static let redisUnavailable = "redis_unavailable"
}
