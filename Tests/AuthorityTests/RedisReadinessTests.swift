import Testing
@testable import Authority

/// When the liveness monitor may judge gateways (`RedisReadiness`): only after its connection has
/// been up for the settle time without a break, a break being a sample that is not ready or a
/// reconnect counted between two ready samples (a Redis restarted faster than the poll interval).
@Suite struct RedisReadinessTests {
    /// Samples (second, ready, reconnects so far) -> whether each one may judge, with a 3 s settle.
    func judged(_ samples: [(second: Int, ready: Bool, reconnects: Int)]) -> [Bool] {
        let start = ContinuousClock.now
        var readiness = RedisReadiness()
        return samples.map { readiness.settled(ready: $0.ready, reconnects: $0.reconnects, now: start + .seconds($0.second), settle: .seconds(3)) }
    }

    @Test func judgesOnlyAfterTheSettleTimeWithoutABreak() {
        #expect(judged([(0, true, 0), (2, true, 0), (3, true, 0), (4, false, 0), (5, true, 1), (7, true, 1), (8, true, 1)])
                == [false, false, true, false, false, false, true])
    }

    /// Before, a Redis restarted between two samples went unnoticed: the monitor read the keys the
    /// restart lost at once and disconnected every seat of the live gateways.
    @Test func aReconnectBetweenTwoReadySamplesStartsTheSettleTimeAgain() {
        #expect(judged([(0, true, 0), (10, true, 0), (11, true, 1), (13, true, 1), (14, true, 1)])
                == [false, true, false, false, true])
    }
}
