import Monopoly
import RelayProtocol

/// Everything the authority persists for one game, in `monopoly:{GAME}:snapshot`: the rules
/// engine's state plus who may sit where. Seat tokens are stored only as hashes.
public struct GameRecord: Codable, Sendable, Equatable {
    public struct Seat: Codable, Sendable, Equatable {
        /// `SeatProof.stored` of the seat token's proof (`v2:` and hex; a bare hex SHA-256 of the
        /// token in records from before); nil for a bot.
        public var tokenHash: String?
        /// Where the seat's connection lives now; nil while disconnected.
        public var gateway: String?
        public var connection: String?
        /// Consecutive turns the clock ran out on (two in a row mark the player away).
        public var timeouts: Int = 0
        /// When the seat's connection was lost (seconds since 1970), for the grace period.
        public var disconnectedAt: Double?
        /// The player's last applied requests (at most `RecentCommand.limit`): retries are answered, not applied.
        public var recent: [RecentCommand]?

        enum CodingKeys: String, CodingKey {
            case tokenHash = "token_hash", gateway, connection = "conn", timeouts, disconnectedAt = "disconnected_at", recent
        }

        public var isBot: Bool { tokenHash == nil }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(tokenHash, forKey: .tokenHash)
            try container.encode(gateway, forKey: .gateway)
            try container.encode(connection, forKey: .connection)
            try container.encode(timeouts, forKey: .timeouts)
            try container.encode(disconnectedAt, forKey: .disconnectedAt)
            try container.encodeIfPresent(recent, forKey: .recent)
        }
    }

    public var game: GameID
    /// Sequence number of the last published state; the first published state has seq 1.
    public var seq: Int
    /// The epoch of the game's states (see `StateEpoch`): set when the game is created and each
    /// time it is loaded from Redis. Nil in records from before epochs (epoch `zero`).
    public var epoch: StateEpoch?
    public var state: GameState
    public var seats: [PlayerID: Seat]
    /// The turn whose clock ran out, or whose vote to skip the absent player carried: the bot plays
    /// the rest of it. Persisted so that a restarted authority neither restarts that turn's clock
    /// nor counts the timeout twice.
    public var expiredTurn: Int?
    /// Since when no player has been there (seconds since 1970): no seat of a person still in the
    /// game has a connection (bots do not count). Nil while someone is connected. Persisted, so a
    /// restarted authority closes the game when this one would have (see `closing(after:)`).
    public var vacantSince: Double?
    /// The address the game was created from (the envelope's `client`): while the game is open it
    /// counts against that address's `MAX_GAMES_PER_CLIENT`. Never in the public state.
    public var creator: String?

    enum CodingKeys: String, CodingKey {
        case game, seq, epoch, state, seats, expiredTurn = "expired_turn", vacantSince = "vacant_since", creator
    }

    public init(game: GameID, seq: Int = 0, state: GameState, seats: [PlayerID: Seat] = [:]) {
        self.game = game
        self.seq = seq
        self.state = state
        self.seats = seats
    }

    /// Why this record, read from Redis, cannot be played: the state's values out of the bounds
    /// the engine relies on (`GameState.storedValueViolations`), and the counters the authority
    /// adds to. Empty for every record an authority writes.
    public func storedValueViolations() -> [String] {
        let count = 0...GameState.maximumStoredMagnitude
        var violations = state.storedValueViolations()
        if !count.contains(seq) { violations.append("seq \(seq) out of bounds") }
        for (player, seat) in seats where !count.contains(seat.timeouts) {
            violations.append("\(player)'s timeouts \(seat.timeouts) out of bounds")
        }
        for (player, seat) in seats {
            guard let recent = seat.recent else { continue }
            if recent.count > RecentCommand.limit { violations.append("\(player) remembers \(recent.count) requests") }
            if recent.contains(where: { !count.contains($0.seq) }) { violations.append("\(player)'s recent requests name a seq out of bounds") }
        }
        return violations
    }

    /// A record whose values are out of bounds (see `storedValueViolations`).
    public struct OutOfBounds: Error, CustomStringConvertible {
        public var violations: [String]
        public var description: String { violations.joined(separator: "; ") }
    }

    /// The seat whose stored token hash is `tokenHash` (`SeatProof.stored`).
    public func player(holding tokenHash: String) -> PlayerID? {
        seats.first { $0.value.tokenHash == tokenHash }?.key
    }

    /// The address this game counts against while it is open (listed); nil once it is not.
    public var openCreator: String? { isListed ? creator : nil }

    /// Whether a person still in the game (not a bot, not bankrupt or resigned) holds a connection.
    public var isAttended: Bool {
        seats.contains { player, seat in
            !seat.isBot && seat.connection != nil && state.player(player).map { !$0.bankrupt } ?? false
        }
    }

    /// Starts the vacancy clock when the last player's connection goes, stops it when one is back.
    public mutating func noteAttendance(now: Double) {
        if isAttended {
            vacantSince = nil
        } else if vacantSince == nil {
            vacantSince = now
        }
    }

    /// When and why the authority closes this game if nobody comes back: a lobby after `lobbyIdle`
    /// seconds without a connected player, a running game after `abandoned`. Nil while attended.
    public func closing(lobbyIdle: Double, abandoned: Double) -> (deadline: Double, reason: String)? {
        guard let vacantSince else { return nil }
        switch state.phase {
        case .lobby: return (vacantSince + lobbyIdle, "lobby_idle")
        case .playing: return (vacantSince + abandoned, "abandoned")
        case .finished: return nil
        }
    }

    /// What browsers see in the lobby list. It changes only with the phase and the seats, so the
    /// authority rewrites the list only then, not on every command.
    public var lobbyEntry: JSONValue {
        .object([
            "game": .string(game.rawValue),
            "host": state.players.first.map { .string($0.name) } ?? .null,
            "players": .number(Double(state.players.count)),
            "names": .array(state.players.map { .string($0.name) }),
            "max_players": .number(Double(state.options.maxPlayers)),
            "phase": .string(state.phase.rawValue),
        ])
    }

    /// Whether committing this record after `previous` (nil: unknown or new) changes the lobby list.
    public func lobbyEntryChanged(since previous: GameRecord?) -> Bool {
        previous?.lobbyEntry != lobbyEntry
    }

    /// Listed in the lobby: games waiting for players or running. Finished games leave it, and so
    /// does a lobby everyone left (nobody could start it).
    public var isListed: Bool {
        switch state.phase {
        case .lobby: !state.players.isEmpty
        case .playing: true
        case .finished: false
        }
    }
}

/// Hand-written JSON (see `JSONWritable`): the record is stored with every command.
extension GameRecord: JSONWritable {
    public func writeJSON(to out: inout JSONOutput) {
        out.object { o in
            // Synthesized Encodable leaves a nil optional out rather than writing null.
            if let creator { o.field("creator", creator) }
            if let epoch { o.field("epoch", epoch) }
            if let expiredTurn { o.field("expired_turn", expiredTurn) }
            o.field("game", game.rawValue)
            o.object("seats") { seatsObject in
                for (player, seat) in seats.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }) {
                    seatsObject.field(player, seat)
                }
            }
            o.field("seq", seq)
            o.field("state", state)
            if let vacantSince { o.field("vacant_since", vacantSince) }
        }
    }
}

extension GameRecord.Seat: JSONWritable {
    public func writeJSON(to out: inout JSONOutput) {
        out.object { o in
            o.field("conn", connection)
            o.field("disconnected_at", disconnectedAt)
            o.field("gateway", gateway)
            if let recent { o.field("recent", recent) }
            o.field("timeouts", timeouts)
            o.field("token_hash", tokenHash)
        }
    }
}
