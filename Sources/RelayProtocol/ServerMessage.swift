import Foundation
import Monopoly

/// Messages the gateway sends to browsers (besides `state`, which the authority encodes once and
/// every gateway forwards byte for byte). Fields without a value are sent as null, never left out.
///
/// `welcome`, `ack` and `lobby` carry `server_time`, the gateway's wall clock when it sent them:
/// browsers count the state's deadlines down in server time, so a browser whose own clock is off
/// still shows the true time left.
public enum ServerMessage {
    /// The gateway's wall clock in seconds since 1970, to the millisecond (`server_time`).
    public static func serverTime() -> Double {
        (Date().timeIntervalSince1970 * 1000).rounded() / 1000
    }

    public static func welcome(game: GameID, player: String?, token: String?, re: JSONValue,
                               serverTime: Double = ServerMessage.serverTime()) -> String {
        WireJSON.encode(JSONValue.object([
            "type": .string("welcome"), "game": .string(game.rawValue),
            "player": player.map(JSONValue.string) ?? .null,
            "token": token.map(JSONValue.string) ?? .null,
            "re": re, "server_time": .number(serverTime),
        ]))
    }

    public static func error(code: ErrorCode, message: String, re: JSONValue) -> String {
        WireJSON.encode(JSONValue.object([
            "type": .string("error"), "code": .string(code.rawValue), "message": .string(message), "re": re,
        ]))
    }

    public static func ack(game: GameID, seq: Int?, re: JSONValue, serverTime: Double = ServerMessage.serverTime()) -> String {
        WireJSON.encode(JSONValue.object([
            "type": .string("ack"), "game": .string(game.rawValue),
            "seq": seq.map { .number(Double($0)) } ?? .null, "re": re, "server_time": .number(serverTime),
        ]))
    }

    /// The open games; `re` is set when it answers a `lobby` request, null on live updates.
    public static func lobby(games: [JSONValue], re: JSONValue = .null, serverTime: Double = ServerMessage.serverTime()) -> String {
        WireJSON.encode(JSONValue.object([
            "type": .string("lobby"), "games": .array(games), "re": re, "server_time": .number(serverTime),
        ]))
    }
}
