import NIOConcurrencyHelpers
import Testing
@testable import Gateway

/// `/healthz` must answer within its check timeout even when a check never returns in time.
@Suite struct HealthChecksTests {
    /// Kept, never resumed: the stuck check's continuation.
    static let neverResumed = NIOLockedValueBox<[CheckedContinuation<HealthCheckResult, Never>]>([])

    @Test(.timeLimit(.minutes(1))) func aCheckThatIgnoresCancellationStillTimesOut() async throws {
        let checks = HealthChecks(timeout: .milliseconds(200))
        checks.register(name: "fast") { .ok }
        // Never returns and cannot be cancelled (e.g. a probe stuck in a blocking call): a timeout
        // that waits for its check would hang here for good (the suite's time limit would fail it).
        checks.register(name: "stuck") {
            await withCheckedContinuation { continuation in Self.neverResumed.withLockedValue { $0.append(continuation) } }
        }
        let report = await checks.evaluate()
        #expect(!report.healthy)
        #expect(report.results.map(\.name) == ["fast", "stuck"])
        #expect(report.results[0].result == .ok)
        #expect(report.results[1].result.detail?.contains("timed out") == true)
    }
}
