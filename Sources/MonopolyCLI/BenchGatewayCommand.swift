import ArgumentParser
import Benchmarks
import NIOCore

/// `monopoly bench gateway`: echo round trips through our gateway and through NIOWebSocket.
struct BenchGateway: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway",
        abstract: "Echo round trips over real sockets: monopoly gateway /echo beside a plain NIOWebSocket echo server. Build with -c release."
    )

    @Option(help: "Concurrent WebSocket connections.")
    var connections = 64

    @Option(help: "Messages in flight per connection.")
    var depth = 1

    @Option(help: "Comma-separated payload sizes in bytes.")
    var sizes = "16,1024,16384"

    @Option(help: "Seconds per measurement.")
    var seconds: Double = 3

    @Option(help: "Event loop threads of the servers (the load generator gets as many).")
    var threads = 1

    func run() async throws {
        var options = GatewayBenchmark.Options()
        options.connections = connections
        options.depth = depth
        options.payloadSizes = sizes.split(separator: ",").compactMap { Int($0) }
        options.duration = .nanoseconds(Int64(seconds * 1e9))
        options.serverThreads = threads
        options.clientThreads = threads
        print("\(connections) connections x \(depth) in flight, \(seconds) s per measurement, \(threads) server thread(s)")
        print(GatewayBenchmark.header)
        _ = try await GatewayBenchmark.run(options: options, log: { print($0) })
    }
}
