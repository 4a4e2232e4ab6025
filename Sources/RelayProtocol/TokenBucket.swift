/// A token bucket: `burst` actions at once, refilled at `perSecond` (a connection's messages at the gateway; an address's creates, `AddressRateLimit`).
public struct TokenBucket: Sendable {
    public let perSecond: Double
    public let burst: Double
    private var tokens: Double
    private var updated: ContinuousClock.Instant

    public init(perSecond: Double, burst: Double, now: ContinuousClock.Instant = .now) {
        self.perSecond = perSecond
        self.burst = burst
        self.tokens = burst
        self.updated = now
    }

    /// Takes one token if there is one.
    public mutating func take(now: ContinuousClock.Instant = .now) -> Bool {
        tokens = available(at: now)
        updated = now
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }

    /// Whether the bucket has refilled to its burst: forgetting it changes nothing.
    public func isFull(now: ContinuousClock.Instant = .now) -> Bool {
        available(at: now) >= burst
    }

    private func available(at now: ContinuousClock.Instant) -> Double {
        let elapsed = now - updated
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return min(burst, tokens + max(0, seconds) * perSecond)
    }
}
