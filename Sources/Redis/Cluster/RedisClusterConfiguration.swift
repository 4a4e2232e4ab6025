// Where a cluster client starts: seed nodes, and the settings every node connection shares.

/// `REDIS_CLUSTER`: `[redis://[user:password@]]host:port[,host:port...]`. The seeds are where the
/// slot map is first asked for (any node of the cluster will do; more than one survives one being
/// down); the credentials follow `REDIS_URL`'s rules (`:password@` for AUTH password,
/// `user:password@` for an ACL user, percent-decoded) and are used on every node.
public struct RedisClusterConfiguration: Sendable, Equatable {
    public var seeds: [RedisClusterNode]
    /// Credentials, timeouts, backoff and limits of every node connection (its host and port are
    /// replaced per node; a cluster has only database 0).
    public var node: RedisConfiguration
    /// Sends of one command at most, redirections and retries included (``RedisClusterRetry``).
    public var maximumAttempts: Int = 8

    public init(seeds: [RedisClusterNode], node: RedisConfiguration = RedisConfiguration()) {
        self.seeds = seeds
        self.node = node
    }

    /// Parses `REDIS_CLUSTER`. Throws ``RedisError/invalidURL(_:reason:)`` naming the problem.
    public init(_ text: String) throws {
        func bad(_ reason: String) -> RedisError { .invalidURL(text, reason: reason) }
        var rest = Substring(text.trimmingWhitespace())
        var node = RedisConfiguration()
        if rest.lowercased().hasPrefix("redis://") || rest.lowercased().hasPrefix("rediss://") {
            // The URL parser checks the scheme and the credentials; the hosts are ours to read.
            let firstSeedEnd = rest.firstIndex(of: ",") ?? rest.endIndex
            node = try RedisConfiguration(url: String(rest[..<firstSeedEnd]))
            if node.database != 0 { throw bad("a Redis Cluster has only database 0") }
            let schemeEnd = rest.range(of: "://")!.upperBound
            let authority = rest[schemeEnd...]
            rest = authority.lastIndex(of: "@").map { authority[authority.index(after: $0)...] } ?? authority
            if rest.contains("/") { throw bad("a Redis Cluster has only database 0") }
        }
        var seeds: [RedisClusterNode] = []
        for part in rest.split(separator: ",", omittingEmptySubsequences: false) {
            let trimmed = Substring(String(part).trimmingWhitespace())
            guard let seed = RedisClusterNode(trimmed) else { throw bad("\"\(trimmed)\" is not host:port") }
            if !seeds.contains(seed) { seeds.append(seed) }
        }
        guard !seeds.isEmpty, seeds.count <= 64 else { throw bad("expected 1 to 64 seed nodes host:port,host:port") }
        self.init(seeds: seeds, node: node)
    }

    /// The node configuration for one node.
    func configuration(for target: RedisClusterNode) -> RedisConfiguration {
        var configuration = node
        configuration.host = target.host
        configuration.port = target.port
        configuration.database = 0
        return configuration
    }

    /// The seeds with the password masked, for logs.
    public var redactedDescription: String {
        var credentials = ""
        if let username = node.username { credentials = username + ":***@" } else if node.password != nil { credentials = ":***@" }
        return "redis://" + credentials + seeds.map(\.description).joined(separator: ",")
    }
}

extension String {
    fileprivate func trimmingWhitespace() -> String {
        String(drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }
}
