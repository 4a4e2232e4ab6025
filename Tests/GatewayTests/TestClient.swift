#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import WebSocket

/// A deliberately plain blocking TCP client (BSD sockets) for talking to the real server: tests
/// control every byte on the wire. Blocking calls run on a Dispatch thread (`offload`), never on
/// the Swift concurrency pool the server's health checks use.
final class TestClient: @unchecked Sendable {
    enum Failure: Error, CustomStringConvertible {
        case connect(Int32), timeout(String), closed(String), protocolError(String)
        var description: String {
            switch self {
            case .connect(let e): "connect failed: errno \(e)"
            case .timeout(let s): "timed out: \(s)"
            case .closed(let s): "connection closed: \(s)"
            case .protocolError(let s): "unexpected bytes: \(s)"
            }
        }
    }

    struct Frame: Equatable {
        var fin: Bool
        /// RSV1: a permessage-deflate compressed message.
        var compressed = false
        var opcode: UInt8
        var payload: [UInt8]
        var text: String { String(decoding: payload, as: UTF8.self) }
        var closeCode: UInt16? { opcode == 8 && payload.count >= 2 ? UInt16(payload[0]) << 8 | UInt16(payload[1]) : nil }
    }

    struct HTTPResponse {
        var status: Int
        var headers: [(String, String)]
        var body: [UInt8]
        func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    let fd: Int32
    private var buffer: [UInt8] = []

    /// `timeout` bounds every blocking read; generous because the whole suite runs in parallel on
    /// small machines, and it only matters when a test is failing anyway.
    init(port: Int, receiveBufferSize: Int32? = nil, timeout: Double = 30) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        if let receiveBufferSize {
            var size = receiveBufferSize
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        // No close(fd) here: the instance is fully initialised, so deinit runs and closes it. Closing
        // twice would close whatever descriptor reused the number (it once was glibc's netlink socket
        // inside getaddrinfo, which aborts the process).
        guard rc == 0 else { throw Failure.connect(errno) }
        setTimeout(timeout)
    }

    deinit { if fd >= 0 { close(fd) } }

    func setTimeout(_ seconds: Double) {
        var tv = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - Double(Int(seconds))) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    func shutdownWrite() { shutdown(fd, Int32(SHUT_WR)) }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { throw Failure.closed("send errno \(errno)") }
            offset += n
        }
    }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    /// Reads more bytes into the buffer; returns false on EOF (or reset).
    @discardableResult
    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n > 0 {
            buffer.append(contentsOf: chunk[..<n])
            return true
        }
        if n == 0 { return false }
        if errno == EAGAIN || errno == EWOULDBLOCK { throw Failure.timeout("recv") }
        return false  // ECONNRESET and friends: the server dropped us
    }

    private func take(_ count: Int) throws -> [UInt8] {
        while buffer.count < count {
            guard try fill() else { throw Failure.closed("wanted \(count) bytes, have \(buffer.count)") }
        }
        let out = Array(buffer[..<count])
        buffer.removeFirst(count)
        return out
    }

    /// True when the server closed the connection (EOF or reset) before `timeout`, with no further
    /// bytes beyond any already buffered.
    func waitForEOF() throws -> Bool {
        while true {
            if try !fill() { return true }
        }
    }

    // MARK: HTTP

    func readHTTPResponse(expectBody: Bool = true) throws -> HTTPResponse {
        let terminator: [UInt8] = [13, 10, 13, 10]
        var end: Int?
        while end == nil {
            if let range = firstRange(of: terminator) { end = range } else {
                guard try fill() else { throw Failure.closed("in HTTP head: \(String(decoding: buffer, as: UTF8.self))") }
            }
        }
        let headBytes = try take(end! + 4)
        let lines = String(decoding: headBytes, as: UTF8.self).components(separatedBy: "\r\n").filter { !$0.isEmpty }
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw Failure.protocolError(lines[0]) }
        let headers = lines.dropFirst().map { line -> (String, String) in
            let parts = line.split(separator: ":", maxSplits: 1)
            return (String(parts[0]), parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : "")
        }
        var response = HTTPResponse(status: status, headers: headers, body: [])
        if expectBody, status != 101, status != 304, let length = response.header("content-length").flatMap(Int.init) {
            response.body = try take(length)
        }
        return response
    }

    private func firstRange(of needle: [UInt8]) -> Int? {
        guard buffer.count >= needle.count else { return nil }
        for i in 0...(buffer.count - needle.count) where buffer[i] == needle[0] {
            if Array(buffer[i..<(i + needle.count)]) == needle { return i }
        }
        return nil
    }

    func get(_ target: String, headers: [String: String] = [:], method: String = "GET") throws -> HTTPResponse {
        var request = "\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        for (k, v) in headers { request += "\(k): \(v)\r\n" }
        request += "\r\n"
        try send(request)
        return try readHTTPResponse(expectBody: method != "HEAD")
    }

    static let sampleKey = "dGhlIHNhbXBsZSBub25jZQ=="

    static func upgradeRequest(path: String, extraHeaders: [String: String] = [:], key: String = sampleKey) -> String {
        var request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: \(key)\r\nSec-WebSocket-Version: 13\r\n"
        for (k, v) in extraHeaders { request += "\(k): \(v)\r\n" }
        return request + "\r\n"
    }

    /// Performs the opening handshake and returns the 101 response (throws on anything else).
    @discardableResult
    func upgrade(path: String = "/echo", extraHeaders: [String: String] = [:]) throws -> HTTPResponse {
        try send(Self.upgradeRequest(path: path, extraHeaders: extraHeaders))
        let response = try readHTTPResponse()
        guard response.status == 101 else { throw Failure.protocolError("status \(response.status): \(response.text)") }
        return response
    }

    // MARK: WebSocket

    static func frame(_ opcode: WebSocketOpcode, _ payload: [UInt8], fin: Bool = true) -> [UInt8] {
        WebSocketFrameEncoder.maskedFrame(opcode: opcode, payload: payload, fin: fin, maskingKey: (0x37, 0xFA, 0x21, 0x3D))
    }

    func sendFrame(_ opcode: WebSocketOpcode, _ payload: [UInt8], fin: Bool = true) throws {
        try send(Self.frame(opcode, payload, fin: fin))
    }

    func sendText(_ text: String) throws { try sendFrame(.text, Array(text.utf8)) }

    func sendClose(code: UInt16, reason: String = "") throws {
        try sendFrame(.close, [UInt8(code >> 8), UInt8(code & 0xFF)] + Array(reason.utf8))
    }

    /// Reads one server frame (server frames are never masked).
    func readFrame() throws -> Frame {
        let head = try take(2)
        guard head[1] & 0x80 == 0 else { throw Failure.protocolError("masked server frame") }
        var length = Int(head[1] & 0x7F)
        if length == 126 {
            let ext = try take(2)
            length = Int(ext[0]) << 8 | Int(ext[1])
        } else if length == 127 {
            length = try take(8).reduce(0) { $0 << 8 | Int($1) }
        }
        return Frame(fin: head[0] & 0x80 != 0, compressed: head[0] & 0x40 != 0, opcode: head[0] & 0x0F, payload: try take(length))
    }

    /// Waits for the server's close frame, answers it like a well-behaved client and waits for the
    /// server to drop TCP. Returns the server's close code.
    func answerServerClose() throws -> UInt16? {
        let close = try readDataOrClose()
        guard close.opcode == 8 else { throw Failure.protocolError("expected close, got opcode \(close.opcode)") }
        try sendClose(code: close.closeCode ?? 1000)
        guard try waitForEOF() else { throw Failure.protocolError("server kept the connection open") }
        return close.closeCode
    }

    /// The next frame that is not a server ping; pings are answered like a browser would.
    func readDataOrClose() throws -> Frame {
        while true {
            let frame = try readFrame()
            if frame.opcode != 9 { return frame }
            try? sendFrame(.pong, frame.payload)
        }
    }
}

/// Runs blocking socket work off the Swift concurrency pool.
func offload<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread {
            continuation.resume(with: Result { try body() })
        }
    }
}
