import Foundation
import Logging
import OperationsHTTP
import Testing

/// The authority's /healthz and /metrics server, over a real socket.
@Suite struct OperationsServerTests {
    @Test func routesHealthAndMetricsAndRejectsTheRest() async throws {
        let healthy = LockedFlag(true)
        let server = OperationsServer(host: "127.0.0.1", port: 0, routes: [
            "/healthz": { .health(#"{"status":"x"}"#, healthy: healthy.value) },
            "/metrics": { .prometheus(Array("monopoly_test_total 1\n".utf8)) },
        ], logger: Logger(label: "test"))
        try await server.start()
        let port = try #require(server.localPort)

        var (status, headers, body) = try get(port: port, path: "/healthz")
        #expect(status == 200)
        #expect(headers.contains("content-type: application/json"))
        #expect(body == #"{"status":"x"}"# + "\n")

        healthy.value = false
        (status, _, _) = try get(port: port, path: "/healthz?probe=1")
        #expect(status == 503)

        (status, headers, body) = try get(port: port, path: "/metrics")
        #expect(status == 200)
        #expect(headers.contains("text/plain; version=0.0.4"))
        #expect(body == "monopoly_test_total 1\n")

        (status, _, _) = try get(port: port, path: "/nothing")
        #expect(status == 404)
        (status, _, _) = try get(port: port, path: "/healthz", method: "POST")
        #expect(status == 405)
        await server.stop()
    }

    /// One HTTP/1.0 request over a blocking socket: (status, lower-cased header block, body).
    private func get(port: Int, path: String, method: String = "GET") throws -> (Int, String, String) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
        let request = Array("\(method) \(path) HTTP/1.0\r\nHost: test\r\n\r\n".utf8)
        _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            response += buffer[0..<count]
        }
        let text = String(decoding: response, as: UTF8.self)
        let parts = text.components(separatedBy: "\r\n\r\n")
        let head = parts[0]
        let status = Int(head.split(separator: " ")[1]) ?? 0
        return (status, head.lowercased(), parts.dropFirst().joined(separator: "\r\n\r\n"))
    }
}

final class LockedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var flag: Bool
    init(_ flag: Bool) { self.flag = flag }
    var value: Bool {
        get { lock.withLock { flag } }
        set { lock.withLock { flag = newValue } }
    }
}
