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

        @OptionGroup var redis: RedisOptions

        @Argument(help: "The game id, as listed in monopoly:games:quarantined.")
        var game: String

        func validate() throws {
            guard GameID(rawValue: game) != nil else { throw ValidationError("\(game) is not a game id") }
        }

        func run() async throws {
            let lifted = try await redis.withCommands { try await GameStore(commands: $0).unquarantine(GameID(rawValue: game)!) }
            print(lifted ? "game \(game): quarantine lifted" : "game \(game) was not quarantined (its in-flight mark, if any, is cleared)")
        }
    }
}
