import Foundation
import NIOCore
import NIOPosix

/// `monopoly bench games`: G concurrent games, each with two bench-controlled players (the bot's
/// kind of moves: roll, buy, end turn) on different gateways; commands/s and command-to-state
/// latency (send of a command to the arrival of the state it produced, named by its ack).
public enum GamesBenchmark {
    public struct Options: Sendable {
        public var load = RelayLoadOptions()
        public var games = 200
        /// Commands per second per game; 0: each command as soon as the previous state arrives.
        public var rate = 2.0
        public init() {}
    }

    public struct Report: Sendable, Codable {
        public var games: Int
        public var gateways: Int
        public var ratePerGame: Double
        public var seconds: Double
        public var commands: Int
        public var commandsPerSecond: Double
        public var latencyMilliseconds: Percentiles
        public var errors: [String: Int]
        public var stuckGames: Int
        public var finishedGames: Int
        /// CPU cores each process used in the measured window (the stack's only when the benchmark started it).
        public var coresUsed: [String: Double]

        /// Authority CPU per command: the authorities' CPU time in the window over the commands
        /// measured, in all and per authority (its share: about 1/N of the games, so its own CPU per
        /// command it applied is N times its figure here). Flat as authorities are added when no
        /// authority receives the others' commands.
        public var authorityCPU: String {
            let authorities = coresUsed.filter { $0.key.hasPrefix("authority") }.sorted { $0.key < $1.key }
            guard !authorities.isEmpty, commands > 0 else { return "authority CPU per command: unknown (no stack started, or no command)" }
            func perCommand(_ cores: Double) -> String { String(format: "%.3f ms", cores * seconds * 1000 / Double(commands)) }
            let total = authorities.reduce(0) { $0 + $1.value }
            return "authority CPU per command: \(perCommand(total)) over \(authorities.count) authorities ("
                + authorities.map { "\($0.key) \(perCommand($0.value))" }.joined(separator: ", ") + ")"
        }

        public var description: String {
            [
                "games: \(games) concurrent games over \(gateways) gateways, \(ratePerGame > 0 ? "\(ratePerGame) commands/s per game" : "unpaced"), \(seconds) s measured",
                "commands \(commands): \(String(format: "%.1f", commandsPerSecond))/s",
                "command -> state: p50 \(EchoBenchmark.fmt(latencyMilliseconds.p50)) ms, p99 \(EchoBenchmark.fmt(latencyMilliseconds.p99)) ms, max \(EchoBenchmark.fmt(latencyMilliseconds.max)) ms (goal p99 < 20 ms)",
                "CPU cores used: " + coresUsed.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "),
                authorityCPU,
                "errors: \(errors.isEmpty ? "none" : errors.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")); stuck games \(stuckGames); finished games \(finishedGames)",
            ].joined(separator: "\n")
        }
    }

    public static func run(_ options: Options, progress: @escaping @Sendable (String) -> Void) async throws -> Report {
        let (stack, urls, processes) = try options.load.targets(maxConnections: 2 * options.games + 100, progress: progress)
        defer { stack?.stop() }
        try await stack?.waitForShardSpread(authorities: options.load.authorities, progress: progress)
        return try await LoadSupport.withEventLoopGroup(threads: options.load.threads) { group in
            let interval: TimeAmount? = options.rate > 0 ? .nanoseconds(Int64(1e9 / options.rate)) : nil

            var drivers: [GameDriver] = []
            var next = 0
            while next < options.games {
                let batch = next..<min(options.games, next + 25)
                let made = try await withThrowingTaskGroup(of: GameDriver.self) { tasks in
                    for index in batch {
                        tasks.addTask {
                            let loop = group.next()
                            let host = try await GameClient.connect(to: urls[index % urls.count], on: loop).get()
                            let guest = try await GameClient.connect(to: urls[(index + 1) % urls.count], on: loop).get()
                            return try await GameDriver.setUp(host: host, guest: guest, interval: interval)
                        }
                    }
                    var made: [GameDriver] = []
                    for try await driver in tasks { made.append(driver) }
                    return made
                }
                drivers += made
                next = batch.upperBound
                progress("  games set up \(drivers.count) / \(options.games)")
            }
            for driver in drivers { try await driver.startPlaying() }

            let (window, cores) = try await LoadSupport.measuredWindow(
                warmup: options.load.warmup, duration: options.load.duration, every: 2, processes: processes, progress: progress
            ) {
                var commands = 0
                for driver in drivers { commands += try await driver.eventLoop.submit { driver.commands }.get() }
                return "\(commands) commands"
            }
            var samples = LatencySamples()
            var commands = 0
            var errors: [String: Int] = [:]
            var stuck = 0, finished = 0
            for driver in drivers {
                let result = try await driver.eventLoop.submit { () -> ([Int: UInt64], [Int: UInt64], [String: Int], Bool, Bool) in
                    driver.stop()
                    return (driver.sentAtSeq, driver.arrivedAtSeq, driver.errors, driver.stuck, driver.finished)
                }.get()
                for (seq, sent) in result.0 where window.contains(sent) {
                    commands += 1
                    if let arrived = result.1[seq], arrived >= sent { samples.add(nanoseconds: arrived - sent) }
                }
                errors.merge(result.2, uniquingKeysWith: +)
                if result.3 { stuck += 1 }
                if result.4 { finished += 1 }
            }
            for driver in drivers {
                for player in driver.players { player.client.eventLoop.execute { player.client.client.close() } }
            }
            try await Task.sleep(for: .milliseconds(500))
            return Report(
                games: drivers.count, gateways: urls.count, ratePerGame: options.rate, seconds: options.load.duration,
                commands: commands, commandsPerSecond: Double(commands) / options.load.duration,
                latencyMilliseconds: samples.percentiles(), errors: errors, stuckGames: stuck, finishedGames: finished,
                coresUsed: cores)
        }
    }
}
