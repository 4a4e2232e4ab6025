import ArgumentParser
import NIOCore
import Benchmarks
import Foundation

/// Progress lines of the load benchmarks go to stderr, so `--json` output stays parseable.
let progressToStderr: @Sendable (String) -> Void = { line in
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

/// `monopoly bench connections`: idle connections held and the gateway's memory per connection.
struct BenchConnections: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "connections",
        abstract: "Open N idle WebSocket connections to a gateway: how many held, connect rate, gateway VmRSS per connection. Without --url, starts redis-server and a gateway. Build with -c release."
    )

    @Option(help: "Gateway WebSocket URL, e.g. ws://127.0.0.1:8080/ws (default: start one).")
    var url: String?

    @Option(help: "Connections to open.")
    var count = 10_000

    @Option(help: "Pid of the gateway behind --url, for its VmRSS.")
    var gatewayPid: Int32?

    @Option(help: "Handshakes in flight at once.")
    var concurrency = 256

    @Option(help: "Loopback source addresses 127.0.0.2... to spread client sockets over (0: one per 25,000 connections).")
    var sourceAddresses = 0

    @Option(help: "Seconds the connections stay idle before they are counted.")
    var hold = 3.0

    @Flag(help: "Print JSON instead of text.")
    var json = false

    func run() async throws {
        var options = ConnectionsBenchmark.Options()
        options.url = url
        options.count = count
        options.gatewayPID = gatewayPid
        options.concurrency = concurrency
        options.sourceAddresses = sourceAddresses
        options.hold = hold
        let report = try await ConnectionsBenchmark.run(options, progress: progressToStderr)
        print(json ? BenchOutput.json(report) : report.description)
        if report.held < count { throw ExitCode.failure }
    }
}

/// Options shared by `bench fanout` and `bench games`.
struct RelayLoadArguments: ParsableArguments {
    @Option(help: "Gateway /ws URL (repeatable; default: start redis-server, an authority and --gateways gateways).")
    var url: [String] = []

    @Option(help: "Gateways to start.")
    var gateways = 2

    @Option(help: "Seconds measured (after the warm-up).")
    var duration = 10.0

    @Option(help: "Seconds of warm-up.")
    var warmup = 2.0

    @Option(help: "Threads of the load generator (default: one per core).")
    var threads = System.coreCount

    @Option(help: "Event-loop threads of each gateway started (default: the cores shared out among the gateways).")
    var gatewayThreads: Int?

    @Flag(help: "Print JSON instead of text.")
    var json = false

    var options: RelayLoadOptions {
        var options = RelayLoadOptions()
        options.urls = url
        options.gateways = gateways
        options.duration = duration
        options.warmup = warmup
        options.threads = threads
        options.gatewayThreads = gatewayThreads
        return options
    }
}

/// `monopoly bench fanout`: one game's states fanned out to K spectators over M gateways.
struct BenchFanout: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fanout",
        abstract: "One game, K spectators over M gateways, two players acting at R commands/s: command-to-spectator delay p50/p99/max and delivered/expected. Without --url, starts the stack. Build with -c release."
    )

    @OptionGroup var load: RelayLoadArguments

    @Option(help: "Spectators.")
    var spectators = 2000

    @Option(help: "Player commands (= states) per second.")
    var rate = 20.0

    @Option(help: "Comma-separated modes, one sitting each, then a table with a row per mode: plain (frames as they are), deflate (spectators negotiate permessage-deflate), patch (spectators ask for state patches), patch+deflate (both).")
    var modes = "plain,deflate,patch,patch+deflate"

    func validate() throws {
        guard !parsedModes.isEmpty, parsedModes.count == modes.split(separator: ",").count else {
            throw ValidationError("--modes takes \(FanoutBenchmark.Mode.allCases.map(\.rawValue).joined(separator: ", ")), comma-separated")
        }
    }

    private var parsedModes: [FanoutBenchmark.Mode] {
        modes.split(separator: ",").compactMap { FanoutBenchmark.Mode(rawValue: $0.trimmingCharacters(in: .whitespaces)) }
    }

    func run() async throws {
        var reports: [FanoutBenchmark.Report] = []
        for mode in parsedModes {
            var options = FanoutBenchmark.Options()
            options.load = load.options
            options.spectators = spectators
            options.rate = rate
            options.mode = mode
            let report = try await FanoutBenchmark.run(options, progress: progressToStderr)
            if !load.json { print(report.description + "\n") }
            reports.append(report)
            if report.states == 0 { throw ExitCode.failure }
        }
        if load.json {
            print(BenchOutput.json(reports))
        } else {
            print(([FanoutBenchmark.Report.tableHeader] + reports.map(\.row)).joined(separator: "\n"))
        }
    }
}

/// `monopoly bench games`: G concurrent games through the gateways.
struct BenchGames: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "games",
        abstract: "G concurrent games of two bench players each: commands/s, command-to-state latency p50/p99, errors. Without --url, starts the stack. Build with -c release."
    )

    @OptionGroup var load: RelayLoadArguments

    @Option(help: "Concurrent games.")
    var games = 200

    @Option(help: "Commands per second per game (0: as fast as the states come back).")
    var rate = 2.0

    @Option(help: "Authorities to start (without --url): they share the game shards; the report shows their CPU per command.")
    var authorities = 1

    func validate() throws {
        guard (1...64).contains(authorities) else { throw ValidationError("--authorities takes 1 to 64 (one shard each at least)") }
    }

    func run() async throws {
        var options = GamesBenchmark.Options()
        options.load = load.options
        options.load.authorities = authorities
        options.games = games
        options.rate = rate
        let report = try await GamesBenchmark.run(options, progress: progressToStderr)
        print(load.json ? BenchOutput.json(report) : report.description)
        if report.commands == 0 { throw ExitCode.failure }
    }
}
