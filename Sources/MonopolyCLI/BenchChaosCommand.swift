import ArgumentParser
import Foundation

/// `monopoly bench chaos`: faults injected into the local twin while games are played over real
/// WebSockets through HAProxy. The harness is scripts/chaos/run.py (the twin, deploy/local-twin,
/// is Python too, and so are the end-to-end clients it reuses); this command checks the options
/// and replaces itself with the harness, this executable being the twin's binary, so that Ctrl-C
/// and SIGTERM reach the harness, which stops everything it started.
struct BenchChaos: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chaos",
        abstract: "The local twin (Redis with AOF, two authorities sharing the shards, 3 gateways, HAProxy) with games played over WebSockets while a seeded scheduler kills, stops and restarts processes; checks that no acknowledged command is lost, no client saw a state out of order, money is conserved and no game is stuck; prints a table; exit 1 when a check fails. Build with -c release."
    )

    @Option(help: "Seconds of faults (the twin's start and the final checks come on top).")
    var duration: Double = 60

    @Option(help: "Seed of the fault schedule (default: a random one, printed): the same seed injects the same faults in the same order.")
    var seed: UInt32?

    @Option(help: "Games played at once (a finished game is followed by a new one).")
    var games = 4

    @Option(help: "Players per game, each a WebSocket client (a bot joins every other game).")
    var players = 3

    @Option(help: "Spectators per game.")
    var spectators = 2

    @Option(help: "The twin's gateways (each a fault target).")
    var gateways = 3

    @Option(help: "The twin's authorities (all active, sharing the 64 shards; each a fault target).")
    var authorities = 2

    @Option(help: "Mean seconds between faults: each is due 0.5 to 1.5 times this after the previous one (a restart that waits out a dead gateway's heartbeat delays the next).")
    var faultInterval: Double = 5

    @Option(help: "The games' turn clock in seconds (a game with no state for this + 20 s is stuck).")
    var turnSeconds = 10

    @Option(help: "Turns per game.")
    var turnLimit = 40

    @Flag(help: "Keep the twin's directory (process logs, the AOF) even when every check passes.")
    var keep = false

    @Option(help: "The harness (default: scripts/chaos/run.py in the source tree this executable was built from).")
    var script: String?

    func validate() throws {
        guard (1...86_400).contains(duration) else { throw ValidationError("--duration must be 1...86400") }
        guard (1...200).contains(games) else { throw ValidationError("--games must be 1...200") }
        guard (2...7).contains(players) else { throw ValidationError("--players must be 2...7") }
        guard (0...50).contains(spectators) else { throw ValidationError("--spectators must be 0...50") }
        guard (1...64).contains(gateways) else { throw ValidationError("--gateways must be 1...64") }
        guard (1...16).contains(authorities) else { throw ValidationError("--authorities must be 1...16") }
        guard (0.5...3600).contains(faultInterval) else { throw ValidationError("--fault-interval must be 0.5...3600") }
        guard (10...3600).contains(turnSeconds) else { throw ValidationError("--turn-seconds must be 10...3600") }
        guard (1...10_000).contains(turnLimit) else { throw ValidationError("--turn-limit must be 1...10000") }
    }

    /// scripts/chaos/run.py beside this file's Sources folder.
    static var sourceTreeScript: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("scripts/chaos/run.py").path
    }

    func run() throws {
        let script = self.script ?? Self.sourceTreeScript
        guard FileManager.default.fileExists(atPath: script) else {
            throw ValidationError("\(script) is missing: pass --script (the harness is in the source tree, scripts/chaos/run.py)")
        }
        // Found on PATH as the shell finds it (a pyenv shim picks the interpreter with `websockets`).
        let python = "python3"
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var arguments = [python, script, "--binary", me, "--duration", "\(duration)", "--games", "\(games)",
                         "--players", "\(players)", "--spectators", "\(spectators)", "--gateways", "\(gateways)", "--authorities", "\(authorities)", "--fault-interval", "\(faultInterval)",
                         "--turn-seconds", "\(turnSeconds)", "--turn-limit", "\(turnLimit)"]
        if let seed { arguments += ["--seed", "\(seed)"] }
        if keep { arguments.append("--keep") }
        let argv = arguments.map { strdup($0) } + [nil]
        execvp(python, argv)
        throw ValidationError("could not run \(python) (scripts/bootstrap installs it): \(String(cString: strerror(errno)))")
    }
}
