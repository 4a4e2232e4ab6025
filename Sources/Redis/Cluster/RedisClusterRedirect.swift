// The two redirections a cluster node answers with, decoded from the error reply.

/// `-MOVED 3999 127.0.0.1:6381` (the slot lives elsewhere for good: update the map, retry there) or
/// `-ASK 3999 127.0.0.1:6381` (the slot is being migrated and this key is already on the target:
/// send `ASKING` and the command to the target, once, without touching the map).
public struct RedisClusterRedirect: Sendable, Equatable {
    public enum Kind: Sendable, Equatable { case moved, ask }

    public var kind: Kind
    public var slot: Int
    public var node: RedisClusterNode

    public init(kind: Kind, slot: Int, node: RedisClusterNode) {
        self.kind = kind
        self.slot = slot
        self.node = node
    }

    /// Decodes an error reply's message; nil when it is not a well-formed redirection (another
    /// error, a slot out of range, a bad address: then it is an error for the caller, not a hop).
    /// A node whose endpoint is unknown sends `:port` alone: the host is then `replyingHost`,
    /// the one that answered.
    public init?(errorMessage: String, replyingHost: String) {
        let parts = errorMessage.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return nil }
        switch parts[0] {
        case "MOVED": kind = .moved
        case "ASK": kind = .ask
        default: return nil
        }
        guard parts[1].utf8.count <= 5, parts[1].utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }), let slot = Int(parts[1]),
              (0..<RedisClusterSlot.count).contains(slot) else { return nil }
        // Redis writes `ip:port` with the IP as it is, so an IPv6 one comes unbracketed
        // (`MOVED 3999 ::1:7001`): the port is after the last colon.
        guard let colon = parts[2].lastIndex(of: ":") else { return nil }
        let named = parts[2][..<colon], port = parts[2][colon...]
        let host = named.isEmpty ? Substring(replyingHost) : named
        let address: String = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]\(port)" : "\(host)\(port)"
        guard let node = RedisClusterNode(address) else { return nil }
        self.slot = slot
        self.node = node
    }
}
