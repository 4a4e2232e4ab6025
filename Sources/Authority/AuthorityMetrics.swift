import Metrics
import NIOConcurrencyHelpers
import RelayProtocol

/// The authority's figures, through swift-metrics (the process bootstraps the Prometheus backend).
public struct AuthorityMetrics: Sendable {
    private let commitFailures = Counter(label: "monopoly_authority_commit_failures_total")
    private let timeouts = Counter(label: "monopoly_authority_turn_timeouts_total")
    private let lease = Gauge(label: "monopoly_authority_lease_held")
    private let shards = Gauge(label: "monopoly_authority_shards_held")
    private let games = Gauge(label: "monopoly_authority_games_loaded")
    private let refusedFull = Counter(label: "monopoly_authority_creates_refused_full_total")
    private let quarantinedCount = Gauge(label: "monopoly_authority_games_quarantined")
    /// Quarantined games this process knows of, and the command each died on (the gauge's label).
    private let quarantinedGames = NIOLockedValueBox<[GameID: String]>([:])

    public init() {}

    func commandProcessed(type: String, duration: Duration, accepted: Bool) {
        Timer(label: "monopoly_authority_command_seconds", dimensions: [("type", type)])
            .recordNanoseconds(duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
        Counter(label: "monopoly_authority_commands_total", dimensions: [("result", accepted ? "accepted" : "rejected")]).increment()
    }

    func commitFailed() { commitFailures.increment() }
    func turnTimedOut() { timeouts.increment() }
    /// Shards served now; `monopoly_authority_lease_held` is 1 while any is.
    func shardsHeld(_ count: Int) {
        shards.record(count)
        lease.record(count > 0 ? 1 : 0)
    }
    func gamesLoaded(_ count: Int) { games.record(count) }
    func createRefusedFull() { refusedFull.increment() }

    /// `monopoly_authority_game_quarantined{game, command} 1` while the game is quarantined.
    func quarantined(_ game: GameID, command: String?) {
        let command = command ?? "none"
        let count = quarantinedGames.withLockedValue { games -> Int in
            if let previous = games[game], previous != command { Self.quarantineGauge(game, previous).record(0) }
            games[game] = command
            return games.count
        }
        Self.quarantineGauge(game, command).record(1)
        quarantinedCount.record(count)
    }

    /// The game loaded and plays again (an operator lifted its quarantine).
    func playable(_ game: GameID) {
        guard let (command, count) = quarantinedGames.withLockedValue({ games in
            games.removeValue(forKey: game).map { ($0, games.count) }
        }) else { return }
        Self.quarantineGauge(game, command).record(0)
        quarantinedCount.record(count)
    }

    private static func quarantineGauge(_ game: GameID, _ command: String) -> Gauge {
        Gauge(label: "monopoly_authority_game_quarantined", dimensions: [("game", game.rawValue), ("command", command)])
    }
}
