import Logging
import Redis
import RelayProtocol

/// Only the holder of `monopoly:authority:lease` consumes commands. The lease is a key set with
/// NX and a TTL and renewed well before it expires; a standby keeps trying to take it, so when the
/// active authority dies its lease runs out and the standby takes over within one TTL.
/// Gateways read the same key: no holder means `authority_unavailable` at once.
public actor AuthorityLease {
    public let holder: String
    public let ttlMilliseconds: Int
    private let redis: RedisClient
    private(set) public var isHeld = false
    /// Whether the last refresh could not reach Redis.
    private(set) public var lastRefreshFailed = false

    /// The fencing token the lease was taken with (see `LeaseFence`): the store's writes check it.
    public nonisolated let fence: LeaseFence

    /// Takes the lease if free and draws the next fencing token (KEYS: lease, fence).
    static let takeScript = RedisScript("""
    if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
      return redis.call('INCR', KEYS[2])
    end
    return 0
    """)

    /// Renews only our own lease, taken with our token (a stale holder, or another process under
    /// the same id, must never extend someone else's).
    static let renewScript = RedisScript("""
    if redis.call('GET', KEYS[1]) == ARGV[1] and redis.call('GET', KEYS[2]) == ARGV[3] then
      return redis.call('PEXPIRE', KEYS[1], ARGV[2])
    end
    return 0
    """)

    static let releaseScript = RedisScript("""
    if redis.call('GET', KEYS[1]) == ARGV[1] then
      return redis.call('DEL', KEYS[1])
    end
    return 0
    """)

    public init(holder: String, redis: RedisClient, ttlMilliseconds: Int = 3000, fence: LeaseFence = LeaseFence()) {
        self.fence = fence
        self.holder = holder
        self.redis = redis
        self.ttlMilliseconds = ttlMilliseconds
    }

    /// Takes the lease if free, renews it if ours. Returns whether we hold it now.
    @discardableResult
    public func refresh() async -> Bool {
        lastRefreshFailed = false
        do {
            let keys = [RedisChannels.authorityLeaseKey, LeaseFence.key]
            if isHeld, let token = fence.token?.token {
                let renewed = try await redis.eval(Self.renewScript, keys: keys,
                                                   arguments: [RedisArgument(holder), RedisArgument(ttlMilliseconds), RedisArgument(token)])
                isHeld = renewed.int == 1
            } else {
                isHeld = false
            }
            if !isHeld {
                fence.lost()
                let token = try await redis.eval(Self.takeScript, keys: keys, arguments: [RedisArgument(holder), RedisArgument(ttlMilliseconds)]).int ?? 0
                if token > 0 {
                    fence.held(by: holder, token: token)
                    isHeld = true
                }
            }
        } catch {
            // Without Redis we cannot prove we hold it: behave as if we don't.
            isHeld = false
            fence.lost()
            lastRefreshFailed = true
        }
        return isHeld
    }

    public func release() async {
        guard isHeld else { return }
        fence.lost()
        _ = try? await redis.eval(Self.releaseScript, keys: [RedisChannels.authorityLeaseKey], arguments: [RedisArgument(holder)])
        isHeld = false
    }

    /// Who holds it now, as Redis says (operators and tests).
    public static func currentHolder(redis: RedisClient) async throws -> String? {
        try await redis.getString(RedisChannels.authorityLeaseKey)
    }
}
