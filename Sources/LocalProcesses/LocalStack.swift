import Foundation

/// Supervises the processes of `monopoly up`: redis-server, one authority, N gateways.
/// Children get SIGTERM on Ctrl-C or SIGTERM (or when one of them dies) so nothing is left running.
public final class LocalStack: @unchecked Sendable {
    struct Child {
        let name: String
        let pid: pid_t
        var exited = false
    }

    /// A child was asked to start after the stack began stopping (a signal during startup).
    public struct Stopped: Error {}

    private let lock = NSLock()
    private var children: [Child] = []
    private var stopping = false
    private var stopStarted = false
    /// Set when a child exits before the stack was asked to stop: `up` then fails.
    public private(set) var failure: String?

    /// Whether a stop was requested (a signal, or a child that died).
    public var isStopping: Bool { lock.withLock { stopping } }

    public init() {}

    /// Starts a child with an empty signal mask and SIGINT/SIGTERM at their defaults, in its own
    /// process group (a terminal's Ctrl-C reaches `up` only, which stops the children in order).
    /// `up` runs on a thread that blocks signals and ignores SIGINT/SIGTERM itself: a child
    /// inheriting that (as through Foundation's Process) never sees SIGTERM and is killed when the
    /// grace period runs out.
    public func start(name: String, executable: String, arguments: [String]) throws {
        let pid = try lock.withLock { () throws -> pid_t in
            guard !stopping else { throw Stopped() }
            let pid = try Self.spawn(executable, arguments)
            children.append(Child(name: name, pid: pid))
            return pid
        }
        let thread = Thread { [weak self] in
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            self?.childExited(pid: pid, name: name, status: status)
        }
        thread.start()
    }

    private static func spawn(_ executable: String, _ arguments: [String]) throws -> pid_t {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGINT)
        sigaddset(&defaults, SIGTERM)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for arg in argv { free(arg) } }
        var pid: pid_t = 0
        let error = posix_spawn(&pid, executable, nil, &attributes, argv, environ)
        guard error == 0 else {
            throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "cannot start \(executable): \(String(cString: strerror(error)))"])
        }
        return pid
    }

    private func childExited(pid: pid_t, name: String, status: Int32) {
        let alreadyStopping = lock.withLock { () -> Bool in
            if let k = children.firstIndex(where: { $0.pid == pid }) { children[k].exited = true }
            defer { stopping = true }
            return stopping
        }
        if !alreadyStopping {
            // A raw wait status: the exit code in bits 8-15, or the terminating signal in bits 0-6.
            let how = status & 0x7f == 0 ? "with status \((status >> 8) & 0xff)" : "on signal \(status & 0x7f)"
            lock.withLock { failure = "\(name) exited \(how)" }
            FileHandle.standardError.write(Data("up: \(name) exited \(how); stopping the stack\n".utf8))
            stopAll()
        }
    }

    private func isRunning(_ pid: pid_t) -> Bool {
        lock.withLock { children.contains { $0.pid == pid && !$0.exited } }
    }

    /// SIGTERM to every child in reverse start order (gateways drain first, Redis last), then SIGKILL
    /// whatever is still running after the grace period.
    /// The first call does the work (a second SIGTERM would make some servers skip their shutdown).
    public func stopAll(grace: TimeInterval = 8) {
        let running = lock.withLock { () -> [Child] in
            stopping = true
            defer { stopStarted = true }
            return stopStarted ? [] : children.reversed()
        }
        for child in running where isRunning(child.pid) {
            kill(child.pid, SIGTERM)
            let deadline = Date().addingTimeInterval(grace)
            while isRunning(child.pid) && Date() < deadline { usleep(20_000) }
            if isRunning(child.pid) { kill(child.pid, SIGKILL) }
        }
    }

    public func waitUntilAllExited() {
        while lock.withLock({ children.contains { !$0.exited } }) { usleep(50_000) }
    }

    /// Polls until something accepts TCP connections on the port; false at once when stopping.
    public func waitForPort(_ port: Int, timeout: TimeInterval = 15) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline && !isStopping {
            if Self.canConnect(port: port) { return true }
            usleep(50_000)
        }
        return false
    }

    public static func canConnect(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}
