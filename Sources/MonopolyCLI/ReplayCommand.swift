import ArgumentParser
import Authority
import Foundation
import NIOPosix
import Redis
import RelayProtocol

/// `monopoly replay GAME` (from Redis) or `monopoly replay --file log.json` (a downloaded log):
/// re-runs a game's command log through the rules engine and checks every state against what was
/// published (see `GameReplay`). Exit status: 0 every state matches, 1 a divergence, 2 the log
/// could not be checked completely (none, truncated, not starting with the game's creation).
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replay a game's command log and check that every state matches what was published.",
        discussion: "Exit status: 0 every state matches, 1 a divergence (its seq and a diff are printed), 2 the log could not be checked completely."
    )

    @OptionGroup var redis: RedisOptions

    @Option(help: "A log file (`GET /games/GAME/log.json` on a gateway) instead of Redis.")
    var file: String?

    @Argument(help: "The game id (its log is read from Redis).")
    var game: String?

    /// A log file past this is refused before it is read (a log at `MAX_LOG_ENTRIES`' maximum is far less).
    static let maximumFileBytes = 512 << 20

    func validate() throws {
        switch (game, file) {
        case (nil, nil): throw ValidationError("name a GAME (read from Redis) or a --file")
        case (.some, .some): throw ValidationError("name a GAME or a --file, not both")
        case (let game?, nil): guard GameID(rawValue: game) != nil else { throw ValidationError("\(game) is not a game id") }
        case (nil, .some): break
        }
    }

    func run() async throws {
        let text: [UInt8]
        if let file {
            let url = URL(fileURLWithPath: file)
            let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? nil
            guard let size else { throw ValidationError("cannot read \(file)") }
            guard size <= Self.maximumFileBytes else { throw ValidationError("\(file) is larger than \(Self.maximumFileBytes >> 20) MiB") }
            text = Array(try Data(contentsOf: url))
        } else {
            let id = GameID(rawValue: game!)!
            let stored = try await redis.withCommands { try await GameStore(commands: $0).readLog(id) }
            guard let stored else {
                print("game \(id): no command log in Redis (no such game, its keys expired, or older than the log)")
                throw ExitCode(2)
            }
            text = Array(stored.utf8)
        }
        let log: GameLogFile
        do {
            log = try GameLogFile(parsing: text)
        } catch {
            print("not a command log: \(error)")
            throw ExitCode(2)
        }
        let report = GameReplay.run(log)
        print(report.summary)
        if report.exitCode != 0 { throw ExitCode(report.exitCode) }
    }
}
