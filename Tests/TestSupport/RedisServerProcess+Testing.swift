// What only tests do with their redis-server: pause it like a half-dead peer, ask it with redis-cli.
// The server itself is LocalProcesses' RedisServerProcess (`monopoly bench` starts it too), re-exported
// so a test needs only `import TestSupport`.
@_exported import LocalProcesses
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension RedisServerProcess {
    /// Pauses (SIGSTOP) / resumes (SIGCONT) the server: its sockets stay open but it stops
    /// answering, like a half-dead connection.
    public func pause() { if let pid { kill(pid, SIGSTOP) } }
    public func resume() { if let pid { kill(pid, SIGCONT) } }

    /// Runs redis-cli against this server (for tests that want a second, independent client).
    @discardableResult
    public func cli(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        var args = ["redis-cli", "-h", host, "-p", String(port)]
        if let password { args += ["--no-auth-warning", "-a", password] }
        process.arguments = args + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
