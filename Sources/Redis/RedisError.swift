// Every failure the client reports, with messages meant for logs and /healthz.

public enum RedisError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The `redis://` URL could not be parsed.
    case invalidURL(String, reason: String)
    /// Nothing listens on host:port (ECONNREFUSED).
    case connectionRefused(host: String, port: Int)
    /// Connecting failed for another reason (DNS, unreachable, connect timeout ...).
    case connectionFailed(host: String, port: Int, reason: String)
    /// AUTH was rejected (wrong password, unknown ACL user) or the server wants a password.
    case authenticationFailed(String)
    /// SELECT of the URL's database failed.
    case selectFailed(database: Int, message: String)
    /// A command was issued while the connection is not ready (fails fast, never queued).
    case notConnected(RedisConnectionState)
    /// The connection went away while the command was in flight; it may or may not have run.
    case connectionClosed(reason: String)
    /// No reply within the command timeout. The connection is dropped and reconnected
    /// (replies are matched in order, so a late reply can't be told apart from the next one).
    case timeout(milliseconds: Int64)
    /// An error reply (`-ERR ...`, `-WRONGTYPE ...`, `-NOSCRIPT ...`).
    case server(String)
    /// hiredis could not parse the server's bytes, or a reply exceeded the reader's limits.
    case protocolError(String)
    /// A reply had a shape the typed helper did not expect.
    case unexpectedReply(String)
    /// EXEC returned nil: a WATCHed key changed.
    case transactionAborted
    /// The client or subscriber was closed by `close()`.
    case clientClosed
    /// A Redis Cluster's slot map could not be learnt: no seed answered, or the reply was refused.
    case clusterSlotMap(String)
    /// A cluster command names keys in more than one hash slot (give them one `{hash tag}`).
    case crossSlot(command: String)
    /// The cluster client does not know where this command's keys are (not in its routing table).
    case unroutableCommand(String)
    /// A cluster command was still redirected (MOVED/ASK) or refused (CLUSTERDOWN, TRYAGAIN, node
    /// unreachable) after the client's bounded number of attempts.
    case clusterRetriesExhausted(command: String, attempts: Int, last: String)

    public var description: String {
        switch self {
        case .invalidURL(let url, let reason): return "invalid Redis URL \"\(url)\": \(reason)"
        case .connectionRefused(let host, let port): return "connection refused by Redis at \(host):\(port) (is redis-server running?)"
        case .connectionFailed(let host, let port, let reason): return "cannot connect to Redis at \(host):\(port): \(reason)"
        case .authenticationFailed(let message): return "Redis authentication failed: \(message)"
        case .selectFailed(let db, let message): return "Redis SELECT \(db) failed: \(message)"
        case .notConnected(let state): return "Redis is not connected (state: \(state)); command not sent"
        case .connectionClosed(let reason): return "Redis connection closed while the command was in flight: \(reason)"
        case .timeout(let ms): return "Redis command timed out after \(ms) ms; connection dropped and reconnecting"
        case .server(let message): return "Redis error reply: \(message)"
        case .protocolError(let message): return "Redis protocol error: \(message)"
        case .unexpectedReply(let message): return "unexpected Redis reply: \(message)"
        case .transactionAborted: return "Redis transaction aborted (EXEC returned nil: a WATCHed key changed)"
        case .clientClosed: return "Redis client closed"
        case .clusterSlotMap(let reason): return "Redis Cluster slot map unavailable: \(reason)"
        case .crossSlot(let command): return "Redis Cluster: the keys of \(command) are in different hash slots (CROSSSLOT); give them one {hash tag}"
        case .unroutableCommand(let command): return "Redis Cluster: no routing rule for \(command) (which arguments are keys is unknown)"
        case .clusterRetriesExhausted(let command, let attempts, let last):
            return "Redis Cluster: \(command) failed after \(attempts) attempts (redirections or unavailable nodes); last: \(last)"
        }
    }

    /// True for error replies whose message starts with `prefix` (e.g. "NOSCRIPT").
    public func isServerError(_ prefix: String) -> Bool {
        if case .server(let message) = self { return message.hasPrefix(prefix) }
        return false
    }
}

/// Where a connection is. Read it as ``RedisClient/state`` / ``RedisSubscriber/state`` or follow
/// `stateChanges`. Only `.ready` means commands (or message delivery) work right now.
public enum RedisConnectionState: String, Sendable, Equatable, CustomStringConvertible {
    /// First connect (or a reconnect attempt) in progress: TCP, AUTH, SELECT, resubscribe.
    case connecting
    /// Connected, authenticated, (re)subscribed, and the liveness probe is answering.
    case ready
    /// Lost; waiting out the backoff before the next attempt. Commands fail fast.
    case disconnected
    /// `close()` was called. Terminal.
    case closed

    public var description: String { rawValue }
}

/// Counters for metrics and /healthz. All monotonic since the client was created.
public struct RedisConnectionStatistics: Sendable, Equatable {
    /// Successful reconnects (not counting the first connect).
    public var reconnects: Int = 0
    /// Times an established connection was lost (EOF, reset, protocol error, timeout, failed probe).
    public var connectionLosses: Int = 0
    /// Failed reconnect attempts.
    public var failedConnectAttempts: Int = 0
    /// PUBLISH commands that failed (not connected, closed in flight, error reply, timeout).
    public var publishErrors: Int = 0
    /// Commands that timed out.
    public var timeouts: Int = 0
    /// Malformed replies / replies over limits.
    public var protocolErrors: Int = 0
    /// Liveness probes (PING) that did not answer in time.
    public var failedProbes: Int = 0
    /// Pub/sub messages delivered (subscriber only).
    public var messagesReceived: Int = 0
}
