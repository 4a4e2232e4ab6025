import Foundation
import NIOConcurrencyHelpers

/// Outcome of one health check.
public struct HealthCheckResult: Sendable, Equatable {
    public var healthy: Bool
    public var detail: String?

    public init(healthy: Bool, detail: String? = nil) {
        self.healthy = healthy
        self.detail = detail
    }

    public static let ok = HealthCheckResult(healthy: true)
    public static func failing(_ detail: String) -> HealthCheckResult { .init(healthy: false, detail: detail) }
}

/// A named probe, e.g. "redis" (the relay registers one that PINGs Redis).
public struct HealthCheck: Sendable {
    public var name: String
    public var run: @Sendable () async -> HealthCheckResult

    public init(name: String, run: @escaping @Sendable () async -> HealthCheckResult) {
        self.name = name
        self.run = run
    }
}

/// The checks behind `GET /healthz`: 200 with `"status":"ok"` when every check passes, 503 with
/// `"status":"unhealthy"` (or `"draining"` during shutdown) otherwise. Checks can be added while
/// the server runs; each gets `timeout` to answer.
public final class HealthChecks: Sendable {
    private let checks = NIOLockedValueBox<[HealthCheck]>([])
    public let timeout: Duration

    public init(timeout: Duration = .seconds(2)) {
        self.timeout = timeout
    }

    public func register(_ check: HealthCheck) {
        checks.withLockedValue { list in
            list.removeAll { $0.name == check.name }
            list.append(check)
        }
    }

    public func register(name: String, _ run: @escaping @Sendable () async -> HealthCheckResult) {
        register(HealthCheck(name: name, run: run))
    }

    struct Report: Sendable {
        var healthy: Bool
        var results: [(name: String, result: HealthCheckResult)]
    }

    func evaluate() async -> Report {
        let list = checks.withLockedValue { $0 }
        let timeout = self.timeout
        let byIndex = await withTaskGroup(of: (Int, HealthCheckResult).self) { group in
            for (index, check) in list.enumerated() {
                group.addTask {
                    (index, await Self.withTimeout(timeout, check.run) ?? .failing("timed out after \(timeout)"))
                }
            }
            var byIndex: [Int: HealthCheckResult] = [:]
            for await (index, result) in group { byIndex[index] = result }
            return byIndex
        }
        let results = list.enumerated().map { ($0.element.name, byIndex[$0.offset] ?? .failing("no result")) }
        return Report(healthy: results.allSatisfy { $0.1.healthy }, results: results)
    }

    /// The check's result, or nil after `timeout`. Not a task group: a group waits for all its
    /// children, so a check that ignores cancellation would hold `/healthz` for as long as it runs.
    /// The check is cancelled at the timeout and left to finish on its own.
    private static func withTimeout(
        _ timeout: Duration, _ body: @escaping @Sendable () async -> HealthCheckResult
    ) async -> HealthCheckResult? {
        let pending = NIOLockedValueBox<CheckedContinuation<HealthCheckResult?, Never>?>(nil)
        let check = NIOLockedValueBox<Task<Void, Never>?>(nil)
        @Sendable func finish(_ result: HealthCheckResult?) {
            pending.withLockedValue { continuation -> CheckedContinuation<HealthCheckResult?, Never>? in
                defer { continuation = nil }
                return continuation
            }?.resume(returning: result)
        }
        return await withCheckedContinuation { continuation in
            pending.withLockedValue { $0 = continuation }
            let timer = Task {
                try? await Task.sleep(for: timeout)
                guard !Task.isCancelled else { return }
                check.withLockedValue { $0 }?.cancel()
                finish(nil)
            }
            check.withLockedValue { $0 = Task {
                let result = await body()
                timer.cancel()
                finish(result)
            } }
        }
    }
}
