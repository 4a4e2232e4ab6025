import Metrics

/// The authority's figures, through swift-metrics (the process bootstraps the Prometheus backend).
public struct AuthorityMetrics: Sendable {
    private let commitFailures = Counter(label: "monopoly_authority_commit_failures_total")
    private let timeouts = Counter(label: "monopoly_authority_turn_timeouts_total")
    private let lease = Gauge(label: "monopoly_authority_lease_held")
    private let games = Gauge(label: "monopoly_authority_games_loaded")

    public init() {}

    func commandProcessed(type: String, duration: Duration, accepted: Bool) {
        Timer(label: "monopoly_authority_command_seconds", dimensions: [("type", type)])
            .recordNanoseconds(duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
        Counter(label: "monopoly_authority_commands_total", dimensions: [("result", accepted ? "accepted" : "rejected")]).increment()
    }

    func commitFailed() { commitFailures.increment() }
    func turnTimedOut() { timeouts.increment() }
    func leaseHeld(_ held: Bool) { lease.record(held ? 1 : 0) }
    func gamesLoaded(_ count: Int) { games.record(count) }
}
