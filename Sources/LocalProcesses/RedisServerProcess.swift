// A redis-server of its own, for `monopoly bench` and the integration tests.
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A real `redis-server` for one test or benchmark run, on a free ephemeral port, with no persistence.
///
///     let redis = try RedisServerProcess()            // started and answering PING
///     defer { redis.stop() }                          // also done by deinit
///     let url = redis.url                             // "redis://127.0.0.1:PORT"
///     redis.stop(); try redis.restart()               // kill -9, then start again on the same port
///
/// - Runs `redis-server --port P --bind 127.0.0.1 --save "" --appendonly no` in a private temp
///   directory (removed on cleanup), plus `--requirepass` if a password is given and any
///   `extraArguments` (e.g. `["--user", "alice", "on", ">pw", "~*", "&*", "+@all"]`).
/// - `init`/`restart` return only once the server answers on its port (any RESP reply to PING,
///   so password-protected servers count too), or throw after `startupTimeout`.
/// - `stop()` sends SIGKILL and waits; it is idempotent and also runs from `deinit`, so a test that
///   throws early still leaves no redis-server behind. Finding `redis-server`: `$REDIS_SERVER`,
///   else the `PATH`. (Tests/TestSupport adds what only tests need: pause, resume, redis-cli.)
public final class RedisServerProcess: @unchecked Sendable {
    public private(set) var port: Int = 0
    public let password: String?
    public let host = "127.0.0.1"
    public let extraArguments: [String]
    public let startupTimeout: TimeInterval
    private let directory: URL
    private let lock = NSLock()
    private var process: Process?

    public enum Failure: Error, CustomStringConvertible {
        case executableNotFound
        case didNotStart(port: Int, log: String)
        public var description: String {
            switch self {
            case .executableNotFound: return "redis-server not found (install redis-server or set REDIS_SERVER)"
            case .didNotStart(let port, let log): return "redis-server did not answer on port \(port); log:\n\(log)"
            }
        }
    }

    /// Starts a server. `port: nil` picks a free ephemeral port.
    public init(port: Int? = nil, password: String? = nil, extraArguments: [String] = [],
                startupTimeout: TimeInterval = 10) throws {
        self.password = password
        self.extraArguments = extraArguments
        self.startupTimeout = startupTimeout
        self.directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("redis-test-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var lastError: Error = Failure.executableNotFound
        // An ephemeral port can be grabbed by someone else between probe and bind: retry a few times.
        for _ in 0..<(port == nil ? 5 : 1) {
            let candidate = port ?? Self.freePort()
            do {
                self.port = candidate
                try launch()
                return
            } catch {
                lastError = error
            }
        }
        try? FileManager.default.removeItem(at: directory)
        throw lastError
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: directory)
    }

    /// `redis://[:password@]127.0.0.1:PORT` (append `/db` for another database).
    public var url: String {
        if let password { return "redis://:\(password)@\(host):\(port)" }
        return "redis://\(host):\(port)"
    }

    public var isRunning: Bool {
        lock.lock(); defer { lock.unlock() }
        return process?.isRunning ?? false
    }

    /// The server's pid while running (for SIGSTOP/SIGCONT tests).
    public var pid: Int32? {
        lock.lock(); defer { lock.unlock() }
        return process?.isRunning == true ? process?.processIdentifier : nil
    }

    /// SIGKILL the server and wait for it to exit. Idempotent.
    public func stop() {
        lock.lock()
        let running = process
        process = nil
        lock.unlock()
        guard let running else { return }
        if running.isRunning {
            kill(running.processIdentifier, SIGCONT)  // in case a test paused it
            kill(running.processIdentifier, SIGKILL)
        }
        running.waitUntilExit()
    }

    /// Stops (if running) and starts a fresh, empty server on the same port.
    public func restart() throws {
        stop()
        let deadline = Date().addingTimeInterval(startupTimeout)
        while true {  // the old socket may linger for a moment
            do { try launch(); return } catch {
                if Date() > deadline { throw error }
                Thread.sleep(forTimeInterval: 0.05)
            }
        }
    }

    private func launch() throws {
        guard let executable = Self.findExecutable() else { throw Failure.executableNotFound }
        let logFile = directory.appendingPathComponent("redis-\(port).log")
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        var arguments = ["--port", String(port), "--bind", host, "--save", "", "--appendonly", "no",
                         "--dir", directory.path, "--logfile", logFile.path, "--daemonize", "no"]
        if let password { arguments += ["--requirepass", password] }
        arguments += extraArguments
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        lock.lock()
        self.process = process
        lock.unlock()
        let deadline = Date().addingTimeInterval(startupTimeout)
        while Date() < deadline {
            if !process.isRunning { break }
            if Self.answers(host: host, port: port) { return }
            Thread.sleep(forTimeInterval: 0.02)
        }
        let log = (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
        stop()
        throw Failure.didNotStart(port: port, log: log)
    }

    private static func findExecutable() -> String? {
        ProcessInfo.processInfo.environment["REDIS_SERVER"] ?? findOnPath("redis-server")
    }

    /// A port the kernel considers free right now (bind to port 0, read it back, close).
    public static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        precondition(fd >= 0, "socket() failed")
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { ptr -> Bool in
                bind(fd, ptr, len) == 0 && getsockname(fd, ptr, &len) == 0
            }
        }
        precondition(bound, "bind/getsockname failed")
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    /// True if something on host:port answers "PING" with a RESP reply ('+' or '-').
    static func answers(host: String, port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr(host)
        let connected = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        guard connected else { return false }
        let ping = Array("PING\r\n".utf8)
        guard send(fd, ping, ping.count, 0) == ping.count else { return false }
        var reply = [UInt8](repeating: 0, count: 64)
        let n = recv(fd, &reply, reply.count, 0)
        return n > 0 && (reply[0] == UInt8(ascii: "+") || reply[0] == UInt8(ascii: "-"))
    }
}
