import Benchmarks
import NIOCore
import NIOPosix

/// Benchmark-only: the plain NIOWebSocket echo server (`NIOWebSocketEchoServer`) as a process of its
/// own, one event loop per core like `monopoly gateway`, so `monopoly bench echo --compare` loads
/// both servers the same way from outside.
///
///     nio-websocket-echo [--port P] [--host H]
@main
struct NIOWebSocketEcho {
    static func main() async throws {
        var port = 8090
        var host = "127.0.0.1"
        var arguments = CommandLine.arguments.dropFirst().makeIterator()
        while let argument = arguments.next() {
            switch argument {
            case "--port": port = Int(arguments.next() ?? "") ?? port
            case "--host": host = arguments.next() ?? host
            default: fatalError("usage: nio-websocket-echo [--port P] [--host H]")
            }
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
        let channel = try await NIOWebSocketEchoServer.start(group: group, maxFrameSize: 16 << 20, host: host, port: port)
        print("nio-websocket-echo listening on \(channel.localAddress.map { "\($0)" } ?? "?")")
        try await channel.closeFuture.get()
    }
}
