import Foundation
import LocalProcesses
import NIOCore
import NIOPosix
import WebSocket

/// `monopoly bench echo`: N connections to an echo endpoint, each keeping `pipeline` binary messages
/// of `size` bytes in flight; messages/s, MB/s and round-trip latency p50/p99/max over the timed
/// window (after a warm-up). With `compare`, starts `monopoly gateway --echo` and the benchmark-only
/// `nio-websocket-echo` (NIOWebSocket) itself and loads each the same way, alternating, in one run.
///
/// The client masks every frame, as browsers must; to keep the load generator's CPU for the servers
/// it pre-encodes 16 frames with different masking keys per connection and cycles through them.
public enum EchoBenchmark {
    public struct Options: Sendable {
        public var url: String?
        public var connections = 64
        public var size = 128
        public var pipeline = 4
        public var duration = 5.0
        public var warmup = 1.0
        public var threads = 1
        public init() {}
    }

    public struct Figures: Sendable, Codable {
        public var server: String
        public var size: Int
        public var connections: Int
        public var pipeline: Int
        public var seconds: Double
        public var messages: Int
        public var messagesPerSecond: Double
        public var megabytesPerSecond: Double
        public var latencyMilliseconds: Percentiles
        public var errors: Int
        /// CPU the server spent per echoed message (when its pid is known): comparable even when
        /// the load generator, on the same machine, is what limits messages/s.
        public var serverCPUMicrosecondsPerMessage: Double?
        public var loadGeneratorCores: Double
    }

    /// One load run against `url`.
    /// - Parameter serverPID: the server's process, to report its CPU per message.
    public static func run(_ options: Options, url: WebSocketURL, server: String = "", serverPID: Int32? = nil,
                           progress: @escaping @Sendable (String) -> Void = { _ in }) async throws -> Figures {
        return try await LoadSupport.withEventLoopGroup(threads: options.threads) { group in
            let payload = (0..<options.size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 11) }
            let frames: [ByteBuffer] = (0..<16).map { _ in
                ByteBuffer(bytes: WebSocketFrameEncoder.maskedFrame(
                    opcode: .binary, payload: payload, maskingKey: ClientConnection.randomMaskingKey()))
            }

            // Connect, at most 128 handshakes in flight.
            var clients: [WebSocketLoadClient] = []
            var index = 0
            while index < options.connections {
                let batch = (index..<min(options.connections, index + 128)).map { _ in
                    WebSocketLoadClient.connect(to: url, on: group.next(), maxMessageSize: max(options.size, 1 << 16) + 16)
                }
                for future in batch { clients.append(try await future.get()) }
                index += batch.count
            }

            // The drivers count what arrives inside the window that `measuredWindow` waits through
            // (it starts right after them; a few microseconds apart).
            let start = monotonicNanoseconds()
            let measureFrom = start + UInt64(options.warmup * 1e9)
            let measureUntil = measureFrom + UInt64(options.duration * 1e9)
            let drivers = clients.map { client in
                EchoDriver(client: client, frames: frames, size: options.size, pipeline: options.pipeline,
                           window: measureFrom..<measureUntil)
            }
            for driver in drivers {
                try await driver.client.eventLoop.submit { driver.start() }.get()
            }
            let (_, cores) = try await LoadSupport.measuredWindow(
                warmup: max(0, options.warmup - LoadSupport.seconds(since: start)), duration: options.duration,
                processes: [("server", serverPID), ("load generator", nil)].filter { $0.0 != "server" || serverPID != nil },
                progress: progress
            ) { "\(server.isEmpty ? "" : server + " ")\(Int(options.warmup + options.duration)) s run" }
            var samples = LatencySamples()
            var messages = 0
            var errors = 0
            for driver in drivers {
                let (latencies, count, failed) = try await driver.client.eventLoop.submit { () -> (LatencySamples, Int, Int) in
                    driver.stop()
                    return (driver.latencies, driver.measured, driver.errors)
                }.get()
                samples.merge(latencies)
                messages += count
                errors += failed
            }
            for client in clients {
                client.eventLoop.execute { client.close() }
            }
            try await Task.sleep(for: .milliseconds(200))
            let rate = Double(messages) / options.duration
            return Figures(
                server: server, size: options.size, connections: options.connections, pipeline: options.pipeline,
                seconds: options.duration, messages: messages, messagesPerSecond: rate,
                megabytesPerSecond: rate * Double(options.size) / 1e6,
                latencyMilliseconds: samples.percentiles(), errors: errors,
                serverCPUMicrosecondsPerMessage: cores["server"].map { $0 * 1e6 / max(rate, 1) },
                loadGeneratorCores: cores["load generator"] ?? 0)
        }
    }

    public struct Comparison: Sendable, Codable {
        public var rows: [Row]
        public struct Row: Sendable, Codable {
            public var size: Int
            public var ours: Figures
            public var nio: Figures
            public var ratio: Double
        }
    }

    /// Starts both servers (release builds next to this executable) and loads each with the same
    /// settings, alternating runs; the best run of each is reported.
    public static func compare(_ options: Options, sizes: [Int], runs: Int,
                               progress: @escaping @Sendable (String) -> Void) async throws -> Comparison {
        LoadSupport.raiseFileLimit()
        let oursPort = RedisServerProcess.freePort(), nioPort = RedisServerProcess.freePort()
        let ours = try BenchProcess(name: "monopoly gateway --echo", executable: LoadSupport.siblingExecutable("monopoly"), arguments: [
            "gateway", "--echo", "--port", "\(oursPort)", "--redis", "redis://127.0.0.1:1", "--log-level", "critical",
        ])
        defer { ours.stop() }
        let nio = try BenchProcess(name: "nio-websocket-echo", executable: LoadSupport.siblingExecutable("nio-websocket-echo"),
                                   arguments: ["--port", "\(nioPort)"])
        defer { nio.stop() }
        guard LoadSupport.waitForPort(oursPort), LoadSupport.waitForPort(nioPort) else {
            throw LoadClientError.handshake("a server under test did not start")
        }
        var rows: [Comparison.Row] = []
        for size in sizes {
            var options = options
            options.size = size
            var bestOurs: Figures?, bestNIO: Figures?
            for run in 0..<runs {
                progress("size \(size) B, run \(run + 1)/\(runs)")
                let o = try await self.run(options, url: WebSocketURL(host: "127.0.0.1", port: oursPort, path: "/echo"), server: "ours", serverPID: ours.pid, progress: progress)
                progress("  ours: \(Int(o.messagesPerSecond)) msg/s, p99 \(o.latencyMilliseconds.p99) ms, server \(o.serverCPUMicrosecondsPerMessage.map(fmt) ?? "?") us CPU/msg")
                let n = try await self.run(options, url: WebSocketURL(host: "127.0.0.1", port: nioPort, path: "/"), server: "NIO", serverPID: nio.pid, progress: progress)
                progress("  NIO:  \(Int(n.messagesPerSecond)) msg/s, p99 \(n.latencyMilliseconds.p99) ms, server \(n.serverCPUMicrosecondsPerMessage.map(fmt) ?? "?") us CPU/msg")
                if bestOurs.map({ o.messagesPerSecond > $0.messagesPerSecond }) ?? true { bestOurs = o }
                if bestNIO.map({ n.messagesPerSecond > $0.messagesPerSecond }) ?? true { bestNIO = n }
            }
            rows.append(.init(size: size, ours: bestOurs!, nio: bestNIO!,
                              ratio: bestOurs!.messagesPerSecond / max(1, bestNIO!.messagesPerSecond)))
        }
        return Comparison(rows: rows)
    }

    public static func table(_ figures: [Figures]) -> String {
        var lines = [pad("server", 10) + pad("size", 9, right: true) + pad("conns", 7, right: true) + pad("depth", 7, right: true)
            + pad("msg/s", 12, right: true) + pad("MB/s", 10, right: true) + pad("p50 ms", 9, right: true)
            + pad("p99 ms", 9, right: true) + pad("max ms", 9, right: true) + pad("errors", 8, right: true)
            + pad("server us/msg", 15, right: true) + pad("client cores", 14, right: true)]
        for f in figures {
            lines.append(pad(f.server.isEmpty ? "-" : f.server, 10) + pad(CodecBenchmark.sizeLabel(f.size), 9, right: true)
                + pad("\(f.connections)", 7, right: true) + pad("\(f.pipeline)", 7, right: true)
                + pad("\(Int(f.messagesPerSecond.rounded()))", 12, right: true) + pad(fmt(f.megabytesPerSecond), 10, right: true)
                + pad(fmt(f.latencyMilliseconds.p50), 9, right: true) + pad(fmt(f.latencyMilliseconds.p99), 9, right: true)
                + pad(fmt(f.latencyMilliseconds.max), 9, right: true) + pad("\(f.errors)", 8, right: true)
                + pad(f.serverCPUMicrosecondsPerMessage.map(fmt) ?? "-", 15, right: true) + pad(fmt(f.loadGeneratorCores), 14, right: true))
        }
        return lines.joined(separator: "\n")
    }

    public static func comparisonTable(_ comparison: Comparison) -> String {
        var figures: [Figures] = []
        for row in comparison.rows { figures += [row.ours, row.nio] }
        var text = table(figures) + "\n\n"
        for row in comparison.rows {
            text += "\(CodecBenchmark.sizeLabel(row.size)) messages: ours/NIO = \(fmt(row.ratio))x messages/s"
                + (row.size >= 1 << 16 ? " (goal >= 1.5x)" : " (goal >= 1x)")
            if let ours = row.ours.serverCPUMicrosecondsPerMessage, let nio = row.nio.serverCPUMicrosecondsPerMessage, ours > 0 {
                text += "; server CPU per message NIO/ours = \(fmt(nio / ours))x"
            }
            text += "\n"
        }
        return text + "NIO = benchmark-only nio-websocket-echo: NIOWebSocket upgrader + WebSocketFrameDecoder/Encoder, frame.unmaskedData"
    }

    static func fmt(_ value: Double) -> String { String(format: value >= 100 ? "%.0f" : "%.2f", value) }
    static func pad(_ text: String, _ width: Int, right: Bool = false) -> String { CodecBenchmark.pad(text, width, right: right) }
}

/// One connection's load loop (event loop only).
final class EchoDriver: @unchecked Sendable {
    let client: WebSocketLoadClient
    private let frames: [ByteBuffer]
    private let size: Int
    private let pipeline: Int
    private let window: Range<UInt64>
    private var sentAt = CircularBuffer<UInt64>()
    private var next = 0
    private var stopped = false
    private(set) var latencies = LatencySamples()
    private(set) var measured = 0
    private(set) var errors = 0

    init(client: WebSocketLoadClient, frames: [ByteBuffer], size: Int, pipeline: Int, window: Range<UInt64>) {
        self.client = client
        self.frames = frames
        self.size = size
        self.pipeline = pipeline
        self.window = window
        latencies.values.reserveCapacity(1 << 14)
    }

    func start() {
        client.onMessage = { [weak self] message in self?.received(message) }
        client.onClose = { [weak self] reason in
            guard let self else { return }
            if reason != nil, !self.stopped { self.errors += 1 }
        }
        for _ in 0..<pipeline { sendOne() }
    }

    func stop() { stopped = true }

    private func sendOne() {
        sentAt.append(monotonicNanoseconds())
        client.send(frames[next])
        next = (next + 1) & 15
    }

    private func received(_ message: WebSocketMessage) {
        let now = monotonicNanoseconds()
        guard let sent = sentAt.popFirst() else { errors += 1; return }
        if case .binary(let bytes) = message, bytes.count == size {} else { errors += 1 }
        if window.contains(now) {
            measured += 1
            latencies.add(nanoseconds: now - sent)
        }
        if !stopped && now < window.upperBound { sendOne() }
    }
}
