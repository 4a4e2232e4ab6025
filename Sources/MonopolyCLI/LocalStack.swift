import Foundation

/// Supervises the processes of `monopoly up`: redis-server, one authority, N gateways.
/// Children get SIGTERM on Ctrl-C (or when one of them dies) so nothing is left running.
final class LocalStack: @unchecked Sendable {
    struct Child {
        let name: String
        let process: Process
    }

    private let lock = NSLock()
    private var children: [Child] = []
    private var stopping = false

    func start(name: String, executable: String, arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.terminationHandler = { [weak self] finished in
            self?.childExited(name: name, status: finished.terminationStatus)
        }
        try process.run()
        lock.withLock { children.append(Child(name: name, process: process)) }
    }

    private func childExited(name: String, status: Int32) {
        let alreadyStopping = lock.withLock { () -> Bool in
            defer { stopping = true }
            return stopping
        }
        if !alreadyStopping {
            FileHandle.standardError.write(Data("up: \(name) exited with status \(status); stopping the stack\n".utf8))
            stopAll()
        }
    }

    /// SIGTERM to every child in reverse start order (gateways drain first, Redis last), then SIGKILL
    /// whatever is still running after the grace period.
    func stopAll(grace: TimeInterval = 8) {
        let running = lock.withLock { () -> [Child] in
            stopping = true
            return children.reversed()
        }
        for child in running where child.process.isRunning {
            child.process.terminate()
            let deadline = Date().addingTimeInterval(grace)
            while child.process.isRunning && Date() < deadline { usleep(20_000) }
            if child.process.isRunning { kill(child.process.processIdentifier, SIGKILL) }
        }
    }

    func waitUntilAllExited() {
        while lock.withLock({ children.contains { $0.process.isRunning } }) { usleep(50_000) }
    }

    static func findOnPath(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") + ["/usr/sbin", "/usr/bin"] {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Polls until something accepts TCP connections on the port.
    static func waitForPort(_ port: Int, timeout: TimeInterval = 15) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if canConnect(port: port) { return true }
            usleep(50_000)
        }
        return false
    }

    static func canConnect(port: Int) -> Bool {
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
