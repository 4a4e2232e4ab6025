import ArgumentParser
import Benchmarks

/// `monopoly bench codec`: our WebSocket decoder against NIOWebSocket's on the same byte streams.
struct BenchCodec: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "codec",
        abstract: "Decode masked WebSocket frames with our codec and with NIOWebSocket; print MB/s and the ratio. Build with -c release."
    )

    @Option(help: "Bytes per generated stream (per payload size).")
    var streamBytes: Int = 16 << 20

    @Option(help: "Minimum milliseconds each codec decodes per run.")
    var milliseconds: Int = 250

    @Option(help: "Runs per case; the best is reported.")
    var runs: Int = 3

    func run() throws {
        let report = CodecBenchmark.run(
            streamBytes: streamBytes, minimumDuration: .milliseconds(milliseconds), runs: runs,
            log: { print($0) }
        )
        print("")
        print(report)
    }
}
