import RelayCore

/// What the relay needs besides the transport's own configuration.
public struct RelayConfiguration: Sendable {
    public var redisURL: String
    /// `REDIS_CLUSTER`: a cluster's seeds instead of `redisURL` (see `RedisTarget`).
    public var redisCluster: String?
    /// This boot's instance id (`NAME.BOOT`, see `GatewayIdentity`): names the reply channel,
    /// prefixes command ids; its name part names the heartbeat key.
    public var gatewayID: String
    /// The heartbeat's TTL (`GATEWAY_TIMEOUT`): this long after the gateway's last renewal, the
    /// authority frees the seats bound to it.
    public var gatewayTimeout: Duration = .seconds(10)
    /// How long a command may wait for the authority's acknowledgement before the client gets
    /// `authority_unavailable`.
    public var acknowledgementTimeout: Duration = .seconds(2)
    /// How long, and how many in all, commands are held and published again while their game's
    /// shard has no holder (`--handover-timeout`, `--max-held-commands`; `HandoverHolds`).
    public var handoverTimeout: Duration = HandoverHolds.Limits().timeout
    /// `HANDOVER_TIMEOUT`'s default for the authorities' `LEASE_MS` (`HandoverHolds.Limits.timeout`).
    public static func handoverTimeout(leaseMilliseconds: Int) -> Duration {
        HandoverHolds.Limits.timeout(leaseMilliseconds: leaseMilliseconds)
    }
    public var maxHeldCommands = HandoverHolds.Limits().total
    /// How often the authority lease is read (a missing lease answers `authority_unavailable` at once).
    public var leaseCheckInterval: Duration = .milliseconds(250)
    /// Per-connection rate limit (token bucket).
    public var messagesPerSecond: Double = 20
    public var messageBurst: Double = 40
    /// Rate-limited messages in a row after which the connection is closed with 1008.
    public var rateLimitStrikes = 50
    /// Games one client address may create per minute through this gateway (as many at once):
    /// creates beyond are answered `rate_limited` before they reach the authority.
    public var createsPerMinute: Double = 10
    /// `SEAT_TOKEN_SECRET`: the key of the seat tokens' HMAC (`SeatToken.proof`), the same on
    /// every gateway of a deployment (a player rejoins through any). Nil: plain SHA-256.
    public var seatTokenSecret: [UInt8]?
    /// The shortest secret taken: 128 bits as hex digits.
    public static let minimumSeatTokenSecretBytes = 32

    /// The part the relay's core reads.
    var core: RelayCoreConfiguration {
        RelayCoreConfiguration(gatewayID: gatewayID, acknowledgementTimeout: acknowledgementTimeout, messagesPerSecond: messagesPerSecond,
                               messageBurst: messageBurst, rateLimitStrikes: rateLimitStrikes, createsPerMinute: createsPerMinute,
                               handover: HandoverHolds.Limits(timeout: handoverTimeout, total: maxHeldCommands))
    }

    public init(redisURL: String, gatewayID: String) {
        self.redisURL = redisURL
        self.gatewayID = gatewayID
    }
}
