import Foundation
import Gateway
import Logging
import NIOCore
import NIOPosix

/// `monopoly bench gateway`: round trips against `/echo` of an in-process `GatewayServer` and, in the
/// same run with the same load generator, against a plain NIOWebSocket echo server.
public enum GatewayBenchmark {
    public struct Options: Sendable {
        public var connections = 64
        public var depth = 1
        public var payloadSizes = [16, 1024, 16 << 10]
        public var duration: TimeAmount = .seconds(3)
        public var serverThreads = 1
        public var clientThreads = 1
        public init() {}
    }

    public struct Measurement: Sendable, CustomStringConvertible {
        public var server: String
        public var payloadSize: Int
        public var messagesPerSecond: Double
        public var megabytesPerSecond: Double
        public var p50Micros: UInt32
        public var p99Micros: UInt32

        public var description: String {
            func pad(_ s: String, _ n: Int) -> String { String(repeating: " ", count: max(0, n - s.count)) + s }
            return server.padding(toLength: 22, withPad: " ", startingAt: 0)
                + pad(String(payloadSize), 8)
                + pad(String(Int(messagesPerSecond.rounded())), 12)
                + pad(String(format: "%.1f", megabytesPerSecond), 10)
                + pad(String(p50Micros), 10) + pad(String(p99Micros), 10)
        }
    }

    public static func run(options: Options, log: (String) -> Void) async throws -> [Measurement] {
        let serverGroup = MultiThreadedEventLoopGroup(numberOfThreads: options.serverThreads)
        let clientGroup = MultiThreadedEventLoopGroup(numberOfThreads: options.clientThreads)
        var logger = Logger(label: "bench.gateway")
        logger.logLevel = .error
        let maxMessage = max(1 << 20, (options.payloadSizes.max() ?? 0) * 2)
        var config = GatewayConfiguration(host: "127.0.0.1", port: 0)
        config.pingInterval = nil
        config.maxConnections = options.connections * 2
        config.maxHTTPConnections = options.connections * 2
        config.maxConnectionsPerClient = options.connections * 2
        let gateway = GatewayServer(
            configuration: config, routes: [.echo(maxMessageSize: maxMessage)],
            eventLoopGroup: serverGroup, logger: logger
        )
        try await gateway.start()
        let nio = try await NIOWebSocketEchoServer.start(group: serverGroup, maxFrameSize: maxMessage)

        var measurements: [Measurement] = []
        for size in options.payloadSizes {
            var pair: [Measurement] = []
            for (name, port) in [("monopoly gateway", gateway.localPort!), ("NIOWebSocket echo", nio.localAddress!.port!)] {
                let m = try await measure(name: name, port: port, payloadSize: size, options: options, group: clientGroup)
                log(m.description)
                pair.append(m)
            }
            if pair[1].messagesPerSecond > 0 {
                log("  ratio (ours / NIOWebSocket): " + String(format: "%.2fx", pair[0].messagesPerSecond / pair[1].messagesPerSecond))
            }
            measurements += pair
        }
        await gateway.shutdown()
        try? await nio.close()
        try? await clientGroup.shutdownGracefully()
        try? await serverGroup.shutdownGracefully()
        return measurements
    }

    private static func measure(
        name: String, port: Int, payloadSize: Int, options: Options, group: any EventLoopGroup
    ) async throws -> Measurement {
        var clients: [(any Channel, NIOLoopBound<EchoLoadClient>, EventLoopFuture<EchoLoadClient.Result>)] = []
        for _ in 0..<options.connections {
            let loop = group.next()
            let handlerBox = try await loop.submit {
                NIOLoopBound(EchoLoadClient(path: "/echo", host: "127.0.0.1", payloadSize: payloadSize,
                                            depth: options.depth, eventLoop: loop), eventLoop: loop)
            }.get()
            let channel = try await ClientBootstrap(group: loop)
                .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(handlerBox.value) }
                }
                .connect(host: "127.0.0.1", port: port).get()
            let (upgraded, finished) = try await loop.submit {
                (handlerBox.value.upgradedFuture, handlerBox.value.finished.futureResult)
            }.get()
            try await upgraded.get()
            clients.append((channel, handlerBox, finished))
        }
        let started = NIODeadline.now()
        let deadline = started + options.duration
        for (channel, box, _) in clients {
            channel.eventLoop.execute {
                guard let context = try? channel.pipeline.syncOperations.context(handlerType: EchoLoadClient.self) else { return }
                box.value.start(context: context, until: deadline)
            }
        }
        var total = EchoLoadClient.Result()
        for (_, _, finished) in clients {
            let result = try await finished.get()
            total.messages += result.messages
            total.bytes += result.bytes
            total.latenciesMicros += result.latenciesMicros
        }
        let elapsed = Double((NIODeadline.now() - started).nanoseconds) / 1e9
        let sorted = total.latenciesMicros.sorted()
        func percentile(_ p: Double) -> UInt32 { sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] }
        return Measurement(
            server: name, payloadSize: payloadSize,
            messagesPerSecond: Double(total.messages) / elapsed,
            megabytesPerSecond: Double(total.bytes) / elapsed / 1e6,
            p50Micros: percentile(0.5), p99Micros: percentile(0.99)
        )
    }

    public static let header = "server                 payload      msgs/s      MB/s   p50 µs    p99 µs"
}
