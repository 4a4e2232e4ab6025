import NIOCore

/// Where and how to connect. Build it from a URL:
/// `redis://[user:password@]host[:port][/db]` (port defaults to 6379, db to 0).
/// `redis://:secret@host:6379` sends `AUTH secret`; `redis://alice:secret@host:6379` sends
/// `AUTH alice secret` (ACL user). Userinfo is percent-decoded. `rediss://` (TLS) is rejected.
public struct RedisConfiguration: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var username: String?
    public var password: String?
    public var database: Int

    /// TCP connect timeout.
    public var connectTimeout: TimeAmount = .seconds(5)
    /// A command (or handshake step) without a reply after this long fails with
    /// ``RedisError/timeout(milliseconds:)`` and the connection is dropped and reconnected.
    public var commandTimeout: TimeAmount = .seconds(5)
    /// When nothing was received for this long, send a PING (in subscribed mode RESP2
    /// answers it with a `pong` message). nil disables the probe.
    public var healthCheckInterval: TimeAmount? = .seconds(1)
    /// A probe without an answer after this long marks the connection half-dead: it is closed
    /// and reconnected.
    public var healthCheckTimeout: TimeAmount = .seconds(2)
    /// Reconnect backoff: attempt n waits a random delay in [d/2, d], d = min(max, base * 2^n).
    public var reconnectBaseDelay: TimeAmount = .milliseconds(50)
    public var reconnectMaxDelay: TimeAmount = .seconds(2)
    /// Largest reply (bytes buffered for one incomplete reply) accepted; above it the reply is
    /// treated as a protocol error and the connection is reset.
    public var maximumReplyBytes: Int = 64 * 1024 * 1024
    /// Commands are written without a flush and flushed once per event-loop tick; a batch
    /// bigger than this is flushed at once.
    public var flushThresholdBytes: Int = 64 * 1024
    /// Optional CLIENT SETNAME sent after connecting (visible in CLIENT LIST).
    public var clientName: String?

    public init(host: String = "127.0.0.1", port: Int = 6379, username: String? = nil,
                password: String? = nil, database: Int = 0) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
    }

    /// Parses `redis://[user:password@]host[:port][/db]`. Throws ``RedisError/invalidURL(_:reason:)``.
    public init(url: String) throws {
        func bad(_ reason: String) -> RedisError { .invalidURL(url, reason: reason) }
        let scheme = "redis://"
        guard url.lowercased().hasPrefix(scheme) else {
            if url.lowercased().hasPrefix("rediss://") { throw bad("TLS (rediss://) is not supported") }
            throw bad("expected redis://[user:password@]host:port[/db]")
        }
        var rest = Substring(url.dropFirst(scheme.count))
        if rest.contains("?") || rest.contains("#") { throw bad("query strings and fragments are not supported") }

        // Split authority and path.
        var path: Substring = ""
        if let slash = rest.firstIndex(of: "/") {
            path = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
        }
        var username: String?
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            let userinfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
            guard let colon = userinfo.firstIndex(of: ":") else {
                throw bad("credentials must be user:password or :password")
            }
            let user = userinfo[..<colon]
            let pass = userinfo[userinfo.index(after: colon)...]
            guard let decodedUser = Self.percentDecode(user), let decodedPass = Self.percentDecode(pass) else {
                throw bad("bad percent-encoding in credentials")
            }
            if !decodedUser.isEmpty { username = decodedUser }
            password = decodedPass
            if password!.isEmpty && username == nil { password = nil }
        }

        var host: Substring
        var portText: Substring?
        if rest.hasPrefix("[") {  // IPv6 literal
            guard let close = rest.firstIndex(of: "]") else { throw bad("unterminated IPv6 address") }
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.first == ":" else { throw bad("unexpected text after IPv6 address") }
                portText = after.dropFirst()
            }
        } else if let colon = rest.lastIndex(of: ":") {
            host = rest[..<colon]
            portText = rest[rest.index(after: colon)...]
        } else {
            host = rest
        }
        if host.isEmpty { throw bad("missing host") }
        var port = 6379
        if let portText {
            guard let p = Int(portText), (1...65535).contains(p) else { throw bad("port must be 1...65535, got \"\(portText)\"") }
            port = p
        }
        var database = 0
        let dbText = path.hasSuffix("/") ? path.dropLast() : path
        if !dbText.isEmpty {
            guard let db = Int(dbText), db >= 0 else { throw bad("database must be a non-negative integer, got \"\(dbText)\"") }
            database = db
        }
        self.init(host: String(host), port: port, username: username, password: password, database: database)
    }

    /// The URL with the password masked, for logs.
    public var redactedURL: String {
        var s = "redis://"
        if let username { s += username + ":***@" } else if password != nil { s += ":***@" }
        s += host.contains(":") ? "[\(host)]" : host
        s += ":\(port)"
        if database != 0 { s += "/\(database)" }
        return s
    }

    private static func percentDecode(_ s: Substring) -> String? {
        var out: [UInt8] = []
        var bytes = Array(s.utf8)[...]
        while let b = bytes.popFirst() {
            if b == UInt8(ascii: "%") {
                guard bytes.count >= 2,
                      let hi = hex(bytes.removeFirst()), let lo = hex(bytes.removeFirst()) else { return nil }
                out.append(hi << 4 | lo)
            } else {
                out.append(b)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func hex(_ b: UInt8) -> UInt8? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return b - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return b - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return b - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
