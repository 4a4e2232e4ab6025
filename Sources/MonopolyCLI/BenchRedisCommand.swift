import ArgumentParser
import Benchmarks

/// `monopoly bench redis`: pipelined PUBLISH throughput and latency, ours beside redis-benchmark's.
struct BenchRedis: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "redis",
        abstract: "Pipelined PUBLISH throughput and round-trip latency of our Redis client beside redis-benchmark's, same server, same run. Build with -c release."
    )

    @Option(help: "Redis URL (redis://[user:password@]host:port[/db]); default: start a private redis-server on an ephemeral port.")
    var redis: String?

    @Option(help: "PUBLISH requests per throughput run.")
    var requests: Int = 1_000_000

    @Option(help: "Parallel connections (redis-benchmark -c).")
    var connections: Int = 50

    @Option(help: "Pipeline depth (redis-benchmark -P).")
    var pipeline: Int = 16

    @Option(help: "Payload bytes per PUBLISH.")
    var payload: Int = 64

    @Option(help: "Alternating runs; the best of each side is reported.")
    var runs: Int = 3

    @Option(help: "Sequential requests for the single round-trip latency.")
    var latencyRequests: Int = 20_000

    @Option(help: "Event-loop threads for our client (redis-benchmark uses 1).")
    var threads: Int = 1

    func run() async throws {
        var options = RedisBenchmark.Options()
        options.redisURL = redis
        options.requests = requests
        options.connections = connections
        options.pipeline = pipeline
        options.payloadBytes = payload
        options.runs = runs
        options.latencyRequests = latencyRequests
        options.eventLoopThreads = threads
        let report = try await RedisBenchmark.run(options, log: { print($0) })
        print("")
        print(report)
    }
}
