import Testing
@testable import RelayProtocol

/// The per-address rate of `create` (`CREATE_RATE_PER_MINUTE`).
@Suite struct AddressRateLimitTests {
    @Test func anAddressGetsItsBurstThenOnePerIntervalAndOthersTheirOwn() {
        let start = ContinuousClock.now
        var limit = AddressRateLimit(perMinute: 3)
        let burst = (0..<4).map { _ in limit.allow("192.0.2.1", now: start) }
        #expect(burst == [true, true, true, false])
        let other = limit.allow("192.0.2.2", now: start)
        #expect(other)
        // One more every 20 s.
        let early = limit.allow("192.0.2.1", now: start + .seconds(19))
        let later = limit.allow("192.0.2.1", now: start + .seconds(21))
        #expect(!early && later)
    }

    @Test func addressesWhoseBucketsRefilledAreForgotten() {
        let start = ContinuousClock.now
        var limit = AddressRateLimit(perMinute: 10)
        for n in 0..<AddressRateLimit.minimumSweep { _ = limit.allow("10.0.\(n / 256).\(n % 256)", now: start) }
        #expect(limit.trackedAddresses == AddressRateLimit.minimumSweep)
        // A minute later every bucket is full again: the next action sweeps them out.
        _ = limit.allow("192.0.2.1", now: start + .seconds(61))
        #expect(limit.trackedAddresses == 1)
    }
}
