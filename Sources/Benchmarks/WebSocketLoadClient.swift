import Foundation
import NIOCore
import NIOPosix
import WebSocket

/// The client side of `monopoly bench`: NIO sockets (many connections per event loop, no thread per
/// connection) driving our own sans-IO codec in the client role (`ClientConnection`).
///
/// A `WebSocketLoadClient` is bound to its channel's event loop: every callback runs there, and
/// `send` must be called there too.
final class WebSocketLoadClient: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let target: WebSocketURL
    private let key = ClientHandshake.makeKey()
    private var handshake: [UInt8] = []
    private(set) var isOpen = false
    private var codec: ClientConnection
    private var context: ChannelHandlerContext?
    private let opened: EventLoopPromise<WebSocketLoadClient>
    private var needsFlush = false
    private var inRead = false
    private var closedReported = false

    /// A complete message from the server.
    var onMessage: ((WebSocketMessage) -> Void)?
    /// The connection ended; the argument says why when it was not our own close.
    var onClose: ((String?) -> Void)?
    private var closing = false

    init(target: WebSocketURL, opened: EventLoopPromise<WebSocketLoadClient>, maxMessageSize: Int) {
        self.target = target
        self.opened = opened
        self.codec = ClientConnection(configuration: .init(maxFrameSize: maxMessageSize, maxMessageSize: maxMessageSize))
    }

    var eventLoop: any EventLoop { opened.futureResult.eventLoop }

    func channelActive(context: ChannelHandlerContext) {
        self.context = context
        let request = ClientHandshake.request(host: target.hostHeader, path: target.path, key: key)
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: request)), promise: nil)
        context.fireChannelActive()
    }

    /// When the bytes being decoded were read from the socket (monotonic ns): the arrival time of the
    /// messages in them, before our own decoding adds to it.
    private(set) var readAt: UInt64 = 0

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        readAt = monotonicNanoseconds()
        inRead = true
        defer {
            inRead = false
            if needsFlush { needsFlush = false; context.flush() }
        }
        if isOpen {
            buffer.withUnsafeReadableBytes { codec.receive($0) }
            performActions(context: context)
            return
        }
        handshake.append(contentsOf: buffer.readableBytesView)
        switch ClientHandshake.evaluate(response: handshake, key: key) {
        case .incomplete:
            return
        case .rejected(let reason):
            openFailed(LoadClientError.handshake(reason))
            context.close(promise: nil)
        case .accepted(let headLength):
            isOpen = true
            let rest = Array(handshake[headLength...])
            handshake = []
            opened.succeed(self)
            if !rest.isEmpty {
                rest.withUnsafeBytes { codec.receive($0) }
                performActions(context: context)
            }
        }
    }

    private func performActions(context: ChannelHandlerContext) {
        while let action = codec.nextAction() {
            switch action {
            case .message(let message):
                onMessage?(message)
            case .write(let bytes):
                context.write(wrapOutboundOut(ByteBuffer(bytes: bytes)), promise: nil)
                needsFlush = true
            case .pongReceived:
                break
            case .closeTransport:
                context.flush()
                context.close(promise: nil)
                return
            }
        }
    }

    /// Writes one encoded (masked) frame; flushed at the end of the current read, or now.
    func send(_ frame: ByteBuffer) {
        guard let context, isOpen, !closing else { return }
        context.write(wrapOutboundOut(frame), promise: nil)
        if inRead { needsFlush = true } else { context.flush() }
    }

    func sendText(_ text: String) {
        send(ByteBuffer(bytes: WebSocketFrameEncoder.maskedFrame(
            opcode: .text, payload: Array(text.utf8), maskingKey: ClientConnection.randomMaskingKey())))
    }

    /// Starts the closing handshake (the server answers and closes TCP).
    func close() {
        guard let context, !closing else { return }
        closing = true
        if isOpen, let frame = codec.close(code: .normalClosure, reason: "") {
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: frame)), promise: nil)
        } else {
            context.close(promise: nil)
        }
    }

    private var openCompleted = false

    /// Fails the open promise unless the upgrade already succeeded (a promise completes once).
    func openFailed(_ error: any Error) {
        guard !isOpen, !openCompleted else { return }
        openCompleted = true
        opened.fail(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        openFailed(LoadClientError.closedBeforeUpgrade)
        if isOpen, !closedReported {
            closedReported = true
            onClose?(closing ? nil : "closed by the server")
        }
        self.context = nil
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    /// Opens one connection and completes when the upgrade succeeded.
    static func connect(
        to target: WebSocketURL, on eventLoop: any EventLoop, sourceAddress: SocketAddress? = nil,
        maxMessageSize: Int = 16 << 20
    ) -> EventLoopFuture<WebSocketLoadClient> {
        let opened = eventLoop.makePromise(of: WebSocketLoadClient.self)
        var bootstrap = ClientBootstrap(group: eventLoop)
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(10))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        WebSocketLoadClient(target: target, opened: opened, maxMessageSize: maxMessageSize))
                }
            }
        if let sourceAddress { bootstrap = bootstrap.bind(to: sourceAddress) }
        bootstrap.connect(host: target.host, port: target.port).whenFailure { error in
            // No channel (refused, timed out): the handler never saw the promise.
            opened.fail(error)
        }
        return opened.futureResult
    }
}

enum LoadClientError: Error, CustomStringConvertible {
    case handshake(String)
    case closedBeforeUpgrade
    case badURL(String)

    var description: String {
        switch self {
        case .handshake(let reason): return "handshake refused: \(reason)"
        case .closedBeforeUpgrade: return "connection closed before the upgrade"
        case .badURL(let url): return "not a ws:// URL: \(url)"
        }
    }
}

/// `ws://host:port/path`.
public struct WebSocketURL: Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var path: String

    public init(host: String, port: Int, path: String) {
        self.host = host
        self.port = port
        self.path = path
    }

    public init(_ text: String) throws {
        guard text.hasPrefix("ws://") else { throw LoadClientError.badURL(text) }
        let rest = text.dropFirst(5)
        let authority = rest.prefix { $0 != "/" }
        path = rest.count > authority.count ? String(rest.dropFirst(authority.count)) : "/"
        if let colon = authority.lastIndex(of: ":"), let port = Int(authority[authority.index(after: colon)...]) {
            host = String(authority[..<colon])
            self.port = port
        } else {
            host = String(authority)
            port = 80
        }
        guard !host.isEmpty else { throw LoadClientError.badURL(text) }
    }

    var hostHeader: String { "\(host):\(port)" }
    public var description: String { "ws://\(host):\(port)\(path)" }

    public func with(path: String) -> WebSocketURL { WebSocketURL(host: host, port: port, path: path) }
}

/// Latency samples in microseconds and the percentiles of them.
struct LatencySamples {
    var values: [UInt32] = []

    init() {}

    init(nanoseconds: [UInt64]) {
        values = nanoseconds.map { UInt32(clamping: $0 / 1000) }
    }

    mutating func add(nanoseconds: UInt64) {
        values.append(UInt32(clamping: nanoseconds / 1000))
    }

    mutating func merge(_ other: LatencySamples) { values += other.values }

    /// p50, p99 and max in milliseconds (zeros when empty).
    func percentiles() -> Percentiles {
        guard !values.isEmpty else { return Percentiles(p50: 0, p99: 0, max: 0) }
        let sorted = values.sorted()
        func at(_ q: Double) -> Double { Double(sorted[min(sorted.count - 1, Int(Double(sorted.count) * q))]) / 1000 }
        return Percentiles(p50: at(0.50), p99: at(0.99), max: Double(sorted.last!) / 1000)
    }
}

public struct Percentiles: Sendable, Codable {
    public var p50: Double
    public var p99: Double
    public var max: Double
}

/// Monotonic nanoseconds (the same clock on every event loop).
@inline(__always) func monotonicNanoseconds() -> UInt64 {
    NIODeadline.now().uptimeNanoseconds
}

/// Shared helpers of the load benchmarks: rlimits, processes, /proc, JSON output.
enum LoadSupport {
    /// Raises the soft open-file limit to the hard limit; returns the new soft limit.
    @discardableResult
    static func raiseFileLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 0 }
        if limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max
            _ = setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
            _ = getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
        }
        return Int(limit.rlim_cur)
    }

    /// VmRSS of a process in bytes, from /proc/PID/status.
    static func residentBytes(pid: Int32) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let digits = line.split(separator: " ").compactMap { Int($0) }
            if let kb = digits.first { return kb * 1024 }
        }
        return nil
    }

    /// CPU seconds (user + system) a process has used so far, from /proc/PID/stat; this process when nil.
    static func cpuSeconds(pid: Int32? = nil) -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid.map(String.init) ?? "self")/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        // Fields after "(comm)": state is field 3, utime 14 and stime 15.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// CPU seconds used by each named process between `start` and now.
    struct CPUMeter {
        private var start: [(String, Int32?, Double)]
        init(_ processes: [(String, Int32?)]) {
            start = processes.map { ($0.0, $0.1, LoadSupport.cpuSeconds(pid: $0.1) ?? 0) }
        }
        func used() -> [String: Double] {
            var used: [String: Double] = [:]
            for (name, pid, before) in start {
                used[name] = ((LoadSupport.cpuSeconds(pid: pid) ?? before) - before).rounded(toPlaces: 2)
            }
            return used
        }
    }

    /// Lets a started load run through its warm-up and measured window, printing `status()` every
    /// `every` seconds; returns the window (monotonic ns) and the CPU cores each process used in it.
    static func measuredWindow(
        warmup: Double, duration: Double, every: Double = 1, processes: [(String, Int32?)],
        progress: @Sendable (String) -> Void, status: () async throws -> String
    ) async throws -> (window: Range<UInt64>, cores: [String: Double]) {
        let start = monotonicNanoseconds()
        let from = start + UInt64(warmup * 1e9)
        let until = from + UInt64(duration * 1e9)
        var meter: CPUMeter?
        while monotonicNanoseconds() < until {
            let now = monotonicNanoseconds()
            let wake = meter == nil ? min(from, now + UInt64(every * 1e9)) : min(until, now + UInt64(every * 1e9))
            if wake > now { try await Task.sleep(for: .nanoseconds(Int64(wake - now))) }
            if meter == nil, monotonicNanoseconds() >= from { meter = CPUMeter(processes) }
            progress("  \(String(format: "%.0f", seconds(since: start)))s: " + (try await status()))
        }
        let cores = (meter?.used() ?? [:]).mapValues { ($0 / duration).rounded(toPlaces: 2) }
        return (from..<until, cores)
    }

    /// The executable next to the running one (`monopoly`, `nio-websocket-echo`).
    static func siblingExecutable(_ name: String) -> String {
        let me = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        return me.deletingLastPathComponent().appendingPathComponent(name).path
    }

    static func waitForPort(_ port: Int, timeout: TimeInterval = 20) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { return false }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
                }
            }
            close(fd)
            if connected { return true }
            usleep(50_000)
        }
        return false
    }

    /// Runs `body` with a client event-loop group, shut down afterwards whatever happens.
    static func withEventLoopGroup<T: Sendable>(threads: Int, _ body: (MultiThreadedEventLoopGroup) async throws -> T) async throws -> T {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, threads))
        do {
            let result = try await body(group)
            try? await group.shutdownGracefully()
            return result
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
    }

    static func seconds(since start: UInt64) -> Double {
        Double(monotonicNanoseconds() - start) / 1e9
    }
}

extension Double {
    func rounded(toPlaces places: Int) -> Double {
        let scale = pow(10, Double(places))
        return (self * scale).rounded() / scale
    }
}

/// A child process started by a benchmark (server under test, redis, authority); killed on `stop`.
final class BenchProcess: @unchecked Sendable {
    let name: String
    let process = Process()

    init(name: String, executable: String, arguments: [String], quiet: Bool = true) throws {
        self.name = name
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if quiet {
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
        }
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }

    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(5)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}

/// `--json` output of the load benchmarks.
public enum BenchOutput {
    public static func json(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try! encoder.encode(value), as: UTF8.self)
    }
}
