/// A rate per client address (a token bucket each), for actions that cost more than a message:
/// `create` (`CREATE_RATE_PER_MINUTE`). Addresses whose bucket has refilled are forgotten now and
/// then, so the table holds only addresses that acted recently, however many come and go.
public struct AddressRateLimit: Sendable {
    public let perMinute: Double
    private var buckets: [String: TokenBucket] = [:]
    /// The table's size at which full buckets are swept out next (doubles with what stays).
    private var sweepAt = Self.minimumSweep
    public static let minimumSweep = 1024

    /// `perMinute` actions per minute per address, `perMinute` of them at once.
    public init(perMinute: Double) {
        self.perMinute = perMinute
    }

    public var trackedAddresses: Int { buckets.count }

    /// Takes one action for `address` if its rate allows it.
    public mutating func allow(_ address: String, now: ContinuousClock.Instant = .now) -> Bool {
        if buckets.count >= sweepAt {
            buckets = buckets.filter { !$0.value.isFull(now: now) }
            sweepAt = max(Self.minimumSweep, buckets.count * 2)
        }
        var bucket = buckets[address] ?? TokenBucket(perSecond: perMinute / 60, burst: perMinute, now: now)
        let allowed = bucket.take(now: now)
        buckets[address] = bucket
        return allowed
    }
}
