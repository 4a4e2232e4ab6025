// Which Redis a process talks to: one server (`REDIS_URL`) or a cluster (`REDIS_CLUSTER`).

/// One Redis or a Redis Cluster, chosen by configuration: `REDIS_URL` (flag `--redis`) names one
/// server, `REDIS_CLUSTER` (flag `--redis-cluster`) a cluster's seeds. Both set is refused: which
/// one was meant cannot be guessed, and the two hold different data.
public enum RedisTarget: Sendable, Equatable {
    case single(RedisConfiguration)
    case cluster(RedisClusterConfiguration)

    /// The default when neither is given.
    public static let defaultURL = "redis://127.0.0.1:6379"

    /// Parses the two settings (nil or blank: not set). Throws ``RedisError/invalidURL(_:reason:)``.
    public init(url: String?, cluster: String?) throws {
        let url = url.flatMap { $0.allSatisfy(\.isWhitespace) ? nil : $0 }
        let cluster = cluster.flatMap { $0.allSatisfy(\.isWhitespace) ? nil : $0 }
        switch (url, cluster) {
        case (_?, _?):
            throw RedisError.invalidURL("REDIS_URL and REDIS_CLUSTER",
                                        reason: "both are set: give REDIS_URL (--redis) for one Redis or REDIS_CLUSTER (--redis-cluster) for a cluster's seeds, not both")
        case (nil, let seeds?):
            self = .cluster(try RedisClusterConfiguration(seeds))
        case (let url, nil):
            self = .single(try RedisConfiguration(url: url ?? Self.defaultURL))
        }
    }

    public var isCluster: Bool { if case .cluster = self { true } else { false } }

    /// Changes the settings every connection shares (timeouts, backoff, client name).
    public mutating func updateConnections(_ change: (inout RedisConfiguration) -> Void) {
        switch self {
        case .single(var configuration): change(&configuration); self = .single(configuration)
        case .cluster(var configuration): change(&configuration.node); self = .cluster(configuration)
        }
    }

    /// Any connection's settings (the cluster's are each node's).
    public var connections: RedisConfiguration {
        switch self {
        case .single(let configuration): configuration
        case .cluster(let configuration): configuration.node
        }
    }

    /// For logs: the URL or the seeds, password masked.
    public var redacted: String {
        switch self {
        case .single(let configuration): configuration.redactedURL
        case .cluster(let configuration): "cluster " + configuration.redactedDescription
        }
    }
}
