import Dispatch
import Testing
@testable import Gateway

/// `/healthz` must answer within its check timeout even when a check never returns in time.
@Suite struct HealthChecksTests {
    @Test func aCheckThatIgnoresCancellationStillTimesOut() async throws {
        let checks = HealthChecks(timeout: .milliseconds(200))
        checks.register(name: "fast") { .ok }
        // Blocks for 20 s and cannot be cancelled (e.g. a probe stuck in a blocking call).
        checks.register(name: "stuck") {
            await withCheckedContinuation { continuation in
                DispatchQueue.global().asyncAfter(deadline: .now() + 20) { continuation.resume(returning: .ok) }
            }
        }
        let started = ContinuousClock.now
        let report = await checks.evaluate()
        // Far from both the 0.2 s timeout and the 20 s the check takes: the answer came at the timeout.
        #expect(ContinuousClock.now - started < .seconds(10))
        #expect(!report.healthy)
        #expect(report.results.map(\.name) == ["fast", "stuck"])
        #expect(report.results[0].result == .ok)
        #expect(report.results[1].result.detail?.contains("timed out") == true)
    }
}
