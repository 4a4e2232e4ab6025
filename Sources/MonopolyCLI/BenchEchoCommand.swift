import ArgumentParser
import Benchmarks
import Foundation

/// `monopoly bench echo`: WebSocket echo throughput and latency, ours beside NIOWebSocket with --compare.
struct BenchEcho: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "echo",
        abstract: "Load a WebSocket echo endpoint with our client codec: messages/s, MB/s, latency p50/p99/max. --compare starts `monopoly gateway --echo` and nio-websocket-echo and loads both. Build with -c release."
    )

    @Option(help: "Echo endpoint, e.g. ws://127.0.0.1:8080/echo (not with --compare).")
    var url: String?

    @Flag(help: "Start our gateway (--echo) and the NIOWebSocket echo server, load each alike, print both and the ratio.")
    var compare = false

    @Option(help: "Connections.")
    var connections = 64

    @Option(help: "Message size in bytes (--compare: 128 and 65536 unless given).")
    var size: Int?

    @Option(help: "Messages in flight per connection.")
    var pipeline = 4

    @Option(help: "Seconds measured (after the warm-up).")
    var duration = 5.0

    @Option(help: "Seconds of warm-up, not measured.")
    var warmup = 1.0

    @Option(help: "Event-loop threads of the load generator.")
    var threads = 1

    @Option(help: "--compare: alternating runs per server and size; the best of each is reported.")
    var runs = 2

    @Flag(help: "Print JSON instead of the table.")
    var json = false

    func validate() throws {
        guard compare != (url != nil) else { throw ValidationError("give either --url or --compare") }
        guard connections > 0, pipeline > 0, duration > 0, warmup >= 0, threads > 0, runs > 0 else {
            throw ValidationError("counts and durations must be positive")
        }
        if let size, size < 0 { throw ValidationError("--size must not be negative") }
    }

    func run() async throws {
        var options = EchoBenchmark.Options()
        options.connections = connections
        options.pipeline = pipeline
        options.duration = duration
        options.warmup = warmup
        options.threads = threads
        let progress = progressToStderr
        if compare {
            let result = try await EchoBenchmark.compare(options, sizes: size.map { [$0] } ?? [128, 65536], runs: runs, progress: progress)
            print(json ? BenchOutput.json(result) : EchoBenchmark.comparisonTable(result))
            if result.rows.contains(where: { $0.ours.errors + $0.nio.errors > 0 }) { throw ExitCode.failure }
        } else {
            options.size = size ?? 128
            let figures = try await EchoBenchmark.run(options, url: WebSocketURL(url!), progress: progress)
            print(json ? BenchOutput.json(figures) : EchoBenchmark.table([figures]))
            if figures.errors > 0 || figures.messages == 0 { throw ExitCode.failure }
        }
    }
}
