import ArgumentParser
import Authority
import Foundation
import NIOPosix
import Redis
import RelayProtocol

/// `monopoly admin ...`: an operator's changes to what the authority keeps in Redis.
struct AdminCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "admin",
        abstract: "Operator commands against Redis (authority credentials).",
        subcommands: [Unquarantine.self, RedisACLCommand.self]
    )

    /// `monopoly admin unquarantine GAME`: the game is played again (see `GameStore.unquarantine`).
    struct Unquarantine: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Lift a game's quarantine: the authority loads and plays it again (fix what poisoned it first)."
        )

        @Option(help: "Redis URL: redis://[user:password@]host:port[/db] (default: $REDIS_URL or redis://127.0.0.1:6379).")
        var redis: String?

        @Argument(help: "The game id, as listed in monopoly:games:quarantined.")
        var game: String

        func validate() throws {
            guard GameID(rawValue: game) != nil else { throw ValidationError("\(game) is not a game id") }
        }

        func run() async throws {
            let url = redis ?? ProcessInfo.processInfo.environment["REDIS_URL"] ?? "redis://127.0.0.1:6379"
            let client = try await RedisClient.connect(url: url, eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
            let lifted: Bool
            do {
                lifted = try await GameStore(redis: client).unquarantine(GameID(rawValue: game)!)
            } catch {
                await client.close()
                throw error
            }
            await client.close()
            print(lifted ? "game \(game): quarantine lifted" : "game \(game) was not quarantined (its in-flight mark, if any, is cleared)")
        }
    }
}
