import Foundation
import LocalProcesses
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// `monopoly bench connections`: opens N idle WebSocket connections to a gateway and reports how many
/// held, the connect rate, and the gateway's resident memory per connection (VmRSS from /proc before
/// the first connection and once all are open). Without a gateway pid it starts redis-server and
/// `monopoly gateway` itself (they inherit the raised file limit).
public enum ConnectionsBenchmark {
    public struct Options: Sendable {
        public var url: String?
        public var count = 10_000
        public var gatewayPID: Int32?
        /// Handshakes in flight at once (the gateway admits 1,024 un-upgraded sockets).
        public var concurrency = 256
        /// Loopback source addresses 127.0.0.x to spread client sockets over (0: one per 25,000).
        public var sourceAddresses = 0
        /// Seconds the connections stay open idle before they are counted and the memory is read.
        public var hold = 3.0
        public var threads = 1
        public init() {}
    }

    public struct Report: Sendable, Codable {
        public var url: String
        public var requested: Int
        public var opened: Int
        public var failed: Int
        public var held: Int
        public var connectSeconds: Double
        public var connectsPerSecond: Double
        public var gatewayPID: Int32?
        public var rssBeforeBytes: Int?
        public var rssAfterBytes: Int?
        public var bytesPerConnection: Double?
        public var firstError: String?
        public var fileLimit: Int

        public var description: String {
            var lines = [
                "idle WebSocket connections to \(url) (file limit \(fileLimit))",
                "requested \(requested), opened \(opened), failed \(failed), held after the idle period \(held)",
                "connect time \(String(format: "%.2f", connectSeconds)) s: \(Int(connectsPerSecond)) connections/s",
            ]
            if let before = rssBeforeBytes, let after = rssAfterBytes, let per = bytesPerConnection {
                lines.append("gateway pid \(gatewayPID.map(String.init) ?? "?") VmRSS \(before / 1024) KiB before, \(after / 1024) KiB with \(held) open: "
                    + "\(String(format: "%.2f", per / 1024)) KiB per connection (goal <= 8 KiB)")
            }
            if let firstError { lines.append("first error: \(firstError)") }
            return lines.joined(separator: "\n")
        }
    }

    public static func run(_ options: Options, progress: @escaping @Sendable (String) -> Void) async throws -> Report {
        let fileLimit = LoadSupport.raiseFileLimit()
        if fileLimit < options.count + 64 {
            progress("warning: open-file limit \(fileLimit) is below \(options.count) connections")
        }
        var stack: [BenchProcess] = []
        defer { for process in stack.reversed() { process.stop() } }
        var redis: RedisServerProcess?
        defer { redis?.stop() }
        let url: WebSocketURL
        var pid = options.gatewayPID
        if let given = options.url {
            url = try WebSocketURL(given)
        } else {
            let server = try RedisServerProcess()
            redis = server
            let port = RedisServerProcess.freePort()
            let gateway = try BenchProcess(name: "gateway", executable: LoadSupport.siblingExecutable("monopoly"), arguments: [
                "gateway", "--port", "\(port)", "--redis", server.url, "--id", "bench-gw",
                "--max-connections", "\(options.count + 16)", "--max-connections-per-client", "\(options.count + 16)", "--log-level", "error",
            ])
            stack.append(gateway)
            guard LoadSupport.waitForPort(port) else { throw LoadClientError.handshake("the gateway did not start") }
            url = WebSocketURL(host: "127.0.0.1", port: port, path: "/ws")
            pid = gateway.pid
            try await Task.sleep(for: .seconds(1))
        }
        let before = pid.flatMap(LoadSupport.residentBytes)

        return try await LoadSupport.withEventLoopGroup(threads: options.threads) { group in
            let sources = options.sourceAddresses > 0 ? options.sourceAddresses : max(1, (options.count + 24_999) / 25_000)
            let tally = NIOLockedValueBox(Tally())

            let start = monotonicNanoseconds()
            var clients: [WebSocketLoadClient] = []
            clients.reserveCapacity(options.count)
            var lastProgress = start
            var next = 0
            var inFlight: [EventLoopFuture<WebSocketLoadClient>] = []
            while next < options.count || !inFlight.isEmpty {
                while next < options.count && inFlight.count < options.concurrency {
                    let source = sources > 1 ? try SocketAddress(ipAddress: "127.0.0.\(2 + next % sources)", port: 0) : nil
                    let future = WebSocketLoadClient.connect(to: url, on: group.next(), sourceAddress: source, maxMessageSize: 1 << 20)
                    future.whenSuccess { client in
                        client.onClose = { reason in
                            if let reason { tally.withLockedValue { $0.dropped += 1; $0.firstError = $0.firstError ?? reason } }
                        }
                    }
                    inFlight.append(future)
                    next += 1
                }
                // Wait for the oldest; the rest keep going meanwhile.
                let oldest = inFlight.removeFirst()
                do {
                    clients.append(try await oldest.get())
                } catch {
                    tally.withLockedValue { $0.failed += 1; $0.firstError = $0.firstError ?? "\(error)" }
                }
                if monotonicNanoseconds() - lastProgress > 1_000_000_000 {
                    lastProgress = monotonicNanoseconds()
                    progress("  opened \(clients.count) / \(options.count), failed \(tally.withLockedValue { $0.failed })")
                }
            }
            let connectSeconds = LoadSupport.seconds(since: start)
            progress("  all attempted in \(String(format: "%.2f", connectSeconds)) s; idle for \(options.hold) s")
            try await Task.sleep(for: .milliseconds(Int(options.hold * 1000)))
            let after = pid.flatMap(LoadSupport.residentBytes)
            let counts = tally.withLockedValue { $0 }
            let held = clients.count - counts.dropped

            for client in clients { client.eventLoop.execute { client.close() } }
            try await Task.sleep(for: .seconds(1))

            var perConnection: Double?
            if let before, let after, held > 0 { perConnection = Double(after - before) / Double(held) }
            return Report(
                url: "\(url)", requested: options.count, opened: clients.count, failed: counts.failed, held: held,
                connectSeconds: connectSeconds, connectsPerSecond: Double(clients.count) / connectSeconds,
                gatewayPID: pid, rssBeforeBytes: before, rssAfterBytes: after, bytesPerConnection: perConnection,
                firstError: counts.firstError, fileLimit: fileLimit)
        }
    }

    struct Tally: Sendable {
        var failed = 0
        var dropped = 0
        var firstError: String?
    }
}
