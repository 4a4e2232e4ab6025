import NIOConcurrencyHelpers
import NIOCore
import Redis
import RelayProtocol

/// `GET /games/GAME/log.json`: a finished game's command log (`GameLogFile`), for
/// `monopoly replay --file` (the results screen links it). Only finished games: a running game's
/// log would tell its players the bots' and their rivals' moves as they come, nothing they do
/// not see, but it is a replay's input, not a live feed. At most `maximumDownloads` at once per
/// gateway (a log is up to `GameLogFile.maximumEntries` lines, read whole into memory). Read with
/// the gateway's Redis user: GET of the last state, LRANGE of the log (`RedisACL`).
enum GameLogRoute {
    static let prefix = "/games/"
    static let maximumDownloads = 4

    /// The game a path names: `/games/K7QZ2M/log.json`.
    static func game(inPath path: String) -> GameID? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0].isEmpty, parts[1] == "games", parts[3] == "log.json" else { return nil }
        return GameID(rawValue: String(parts[2]))
    }

    /// Whether a stored last state message is a finished game's.
    static func isFinished(_ last: String) -> Bool {
        guard let message = try? WireJSON.decode(JSONValue.self, from: last) else { return false }
        return message["state"]?["phase"] == .string("finished")
    }

    /// The answer for `game`, from its last state and the log's lines read with it.
    static func response(game: GameID, last: String, lines: [String]) -> AsyncRoute.Response {
        guard !lines.isEmpty else {
            return .text(.notFound, "game \(game) has no command log (it is older than the log)")
        }
        return AsyncRoute.Response(status: .ok, headers: [
            ("content-type", "application/json; charset=utf-8"),
            ("content-disposition", "attachment; filename=\"monopoly-\(game.rawValue)-log.json\""),
            ("cache-control", "no-store"),
        ], body: ByteBuffer(string: GameLogFile.render(game: game, lines: lines, last: last)))
    }
}

extension Relay {
    /// The route `GatewayServer` serves for `GameLogRoute`.
    public var gameLogRoute: AsyncRoute {
        let downloads = NIOLockedValueBox(0)
        return AsyncRoute(prefix: GameLogRoute.prefix) { [hub] path in
            guard let game = GameLogRoute.game(inPath: path) else { return .text(.notFound, "not found") }
            let admitted = downloads.withLockedValue { running in
                guard running < GameLogRoute.maximumDownloads else { return false }
                running += 1
                return true
            }
            guard admitted else {
                return .text(.serviceUnavailable, "too many command logs being downloaded: try again", headers: [("retry-after", "2")])
            }
            // A download counts until its response is written (or its connection closed), not
            // only while it is read from Redis: a client that does not read holds the whole log.
            var response = await Self.download(game, hub: hub)
            response.written = { downloads.withLockedValue { $0 -= 1 } }
            return response
        }
    }

    private static func download(_ game: GameID, hub: RelayHub) async -> AsyncRoute.Response {
        guard let client = await hub.currentLink()?.client else {
            return .text(.serviceUnavailable, "the gateway cannot reach Redis", headers: [("retry-after", "2")])
        }
        do {
            guard let last = try await client.getString(RedisChannels.lastStateKey(game)) else {
                return .text(.notFound, "no game \(game) here (or it ended long enough ago that it is forgotten)")
            }
            guard GameLogRoute.isFinished(last) else {
                return .text(.conflict, "game \(game) is not finished: its command log is served once it is")
            }
            let count = GameLogFile.linesToRead(last: last, game: game)
            let reply = try await client.send(["LRANGE", RedisArgument(RedisChannels.logKey(game)), "0", RedisArgument(count - 1)])
            return GameLogRoute.response(game: game, last: last, lines: (reply.array ?? []).compactMap(\.string))
        } catch {
            return .text(.serviceUnavailable, "Redis did not answer", headers: [("retry-after", "2")])
        }
    }
}
