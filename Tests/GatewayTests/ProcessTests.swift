#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing

/// The `monopoly` executable built next to the test bundle.
let monopolyBinary: URL? = {
    let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    var dir = exe.deletingLastPathComponent()
    // The test binary lives in (or under) the build products directory.
    for _ in 0..<4 {
        let candidate = dir.appendingPathComponent("monopoly")
        if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        dir = dir.deletingLastPathComponent()
    }
    return nil
}()

private func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) }
    }
    _ = withUnsafeMutablePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
    }
    return Int(UInt16(bigEndian: addr.sin_port))
}

@Suite("monopoly gateway process", .enabled(if: monopolyBinary != nil, "monopoly executable not built"))
struct ProcessTests {
    @Test func sigtermClosesClientsWith1001AndExits() async throws {
        let port = try freePort()
        let process = Process()
        process.executableURL = monopolyBinary
        // Redis on a port where nothing listens: the gateway must still start and serve.
        process.arguments = [
            "gateway", "--host", "127.0.0.1", "--port", String(port), "--echo", "--log-level", "warning",
            "--drain-timeout", "30",
            "--redis", "redis://127.0.0.1:\(try freePort())",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }

        // Start to finish on one thread: a hop back to the (2-thread, shared) cooperative pool
        // between the upgrades and the answers once took 17 s in the full suite, and past the
        // 25 s ping and 10 s pong timeout the gateway rightly drops clients that do not answer.
        let pid = process.processIdentifier
        let codes = try await offload { () throws -> [UInt16?] in
            var ready = false
            for _ in 0..<200 where !ready {
                // Up means answering; /healthz is 503 here when no Redis is reachable.
                if let client = try? TestClient(port: port), (try? client.get("/healthz")) != nil {
                    ready = true
                } else {
                    Thread.sleep(forTimeInterval: 0.05)
                }
            }
            #expect(ready, "gateway did not come up")
            let index = try TestClient(port: port).get("/")
            #expect(index.status == 200)
            let echo = try TestClient(port: port)
            try echo.upgrade(path: "/echo")
            try echo.sendText("without redis")
            #expect(try echo.readDataOrClose().text == "without redis")
            let game = try TestClient(port: port)
            try game.upgrade(path: "/ws")

            kill(pid, SIGTERM)
            return try [echo, game].map { try $0.answerServerClose() }
        }
        #expect(codes == [1001, 1001])
        let exited = await eventually(timeout: .seconds(60)) { !process.isRunning }
        #expect(exited)
        if exited {
            #expect(process.terminationReason == .exit)
            #expect(process.terminationStatus == 0)
        }
    }
}
