import RelayProtocol

/// The lobby list a gateway serves from its cache: at most `maximumGames` games, those waiting for
/// players first, then running ones, each group by game code. Encoded once when read, so answering
/// a `lobby` request costs neither a Redis read nor an encoding of the list.
public struct LobbyList: Sendable {
    /// A page of games is what a person can look through; the rest are reached by their code.
    public static let maximumGames = 200

    public let games: [JSONValue]
    /// `games` as JSON, spliced into every answer.
    public let gamesJSON: String

    public init(games: [JSONValue]) {
        self.games = games
        self.gamesJSON = WireJSON.encode(JSONValue.array(games))
    }

    /// From the lobby hash's values (one JSON entry per game, as the authority writes them).
    /// Unreadable entries are left out.
    public init(entries: [[UInt8]]) {
        let games = entries.compactMap { try? WireJSON.decode(JSONValue.self, from: $0) }
        self.init(games: Array(games.sorted(by: Self.listedBefore).prefix(Self.maximumGames)))
    }

    /// Lobbies (joinable) before running games (watch only), then by code: a stable order.
    public static func listedBefore(_ a: JSONValue, _ b: JSONValue) -> Bool {
        func rank(_ game: JSONValue) -> Int {
            switch game["phase"]?.stringValue { case "lobby": 0; case "playing": 1; default: 2 }
        }
        let (rankA, rankB) = (rank(a), rank(b))
        if rankA != rankB { return rankA < rankB }
        return (a["game"]?.stringValue ?? "") < (b["game"]?.stringValue ?? "")
    }

    /// The `lobby` message with this list: `ServerMessage.lobby`'s bytes, the list spliced in.
    public func message(re: JSONValue = .null, serverTime: Double = ServerMessage.serverTime()) -> String {
        let empty = ServerMessage.lobby(games: [], re: re, serverTime: serverTime)
        // Sorted keys: `games` comes first.
        let prefix = #"{"games":[]"#
        guard empty.hasPrefix(prefix) else { return ServerMessage.lobby(games: games, re: re, serverTime: serverTime) }
        return #"{"games":"# + gamesJSON + empty.dropFirst(prefix.count)
    }
}
