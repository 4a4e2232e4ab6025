import Foundation
import Monopoly
import RelayProtocol

/// What handling one command produced. The shell publishes it atomically: snapshot, state, replies.
public struct Outcome: Sendable {
    public struct Reply: Sendable, Equatable {
        public var gateway: String
        public var reply: AuthorityReply
    }

    /// The record to persist, with `seq` already advanced; nil when nothing changed.
    public var record: GameRecord?
    /// The state message for `record` (same seq).
    public var stateMessage: String?
    /// Published on the game's state channel without changing state (chat).
    public var broadcast: String?
    public var replies: [Reply] = []
    /// What the state message names as its cause (`cmd`), for the command log.
    public var cause: StateMessage.Cause?
    /// A new game's generator seed (`create`), for the command log.
    public var seed: UInt64?
    /// Die values taken from the dice script (`--dice-script`), for the command log.
    public var scriptedDice: [Int] = []

    static func error(_ envelope: CommandEnvelope, code: ErrorCode, message: String) -> Outcome {
        var outcome = Outcome()
        outcome.replies = [Reply(gateway: envelope.gateway, reply: AuthorityReply(
            kind: .error, command: envelope.id, connection: envelope.connection, game: envelope.game,
            code: code, message: message))]
        return outcome
    }
}

/// The authority's pure core: one command envelope and the game's record in, an `Outcome` out.
/// No I/O, so every relay rule (seats, tokens, identity, spectators) is a unit test.
public struct CommandProcessor: Sendable {
    public var dice: SharedDiceScript
    /// Seed of new games; nil draws one from the system generator.
    public var seed: UInt64?
    /// `--cards unshuffled`: new games keep the printed card order.
    public var unshuffledCards: Bool
    /// Seconds a lobby seat outlives its connection (`LOBBY_GRACE_SECONDS`, see `absentSeats`).
    public var lobbyGrace: Double = 15
    /// The epoch a game created now starts in (the runner's, `StateEpoch.next`; a replay's from the log).
    public var newGameEpoch: StateEpoch?

    public init(dice: SharedDiceScript = SharedDiceScript(), seed: UInt64? = nil, unshuffledCards: Bool = false) {
        self.dice = dice
        self.seed = seed
        self.unshuffledCards = unshuffledCards
    }

    public mutating func handle(_ envelope: CommandEnvelope, record: GameRecord?, now: Double) -> Outcome {
        switch envelope.message {
        case .create(let name, let options): return create(envelope, name: name, options: options, existing: record, now: now)
        case .join(let name): return join(envelope, name: name, record: record, now: now)
        case .rejoin: return rejoin(envelope, record: record, now: now)
        case .disconnect: return disconnect(envelope, record: record, now: now)
        case .chat, .addBot, .leave, .command: break
        }
        guard var record else {
            return .error(envelope, code: ErrorCode.unknownGame, message: "there is no game \(envelope.game)")
        }
        // Identity is the gateway's word (from its connection table), checked against our seats.
        guard let player = envelope.player,
              let seat = record.seats[player],
              seat.gateway == envelope.gateway, seat.connection == envelope.connection
        else {
            return .error(envelope, code: ErrorCode.notSeated, message: "this connection holds no seat in game \(envelope.game)")
        }
        if let earlier = repeated(envelope, seat: seat) { return earlier }
        var outcome = seated(envelope, record: &record, player: player, now: now)
        remember(envelope, player: player, in: &outcome)
        return outcome
    }

    /// A seated player's request (its identity checked).
    private mutating func seated(_ envelope: CommandEnvelope, record: inout GameRecord, player: PlayerID, now: Double) -> Outcome {
        let command: Command
        switch envelope.message {
        case .chat(let text):
            return chat(envelope, text: text, record: record, player: player)
        case .addBot:
            return addBot(envelope, record: &record, by: player, now: now)
        case .leave where record.state.phase == .lobby:
            return leaveLobby(envelope, record: &record, player: player, now: now)
        case .leave where record.state.phase == .finished:
            // Nothing to give up in a finished game: the connection is simply free again.
            var outcome = Outcome()
            outcome.replies = [ack(envelope, seq: nil)]
            return outcome
        case .leave:
            command = .resign
        case .command(let requested):
            command = requested
        case .create, .join, .rejoin, .disconnect:
            return Outcome()  // handled above
        }
        guard !command.isSystem else {
            return .error(envelope, code: ErrorCode.badRequest, message: "\(command.type) is issued by the authority only")
        }
        return apply(command, by: player, to: record, cause: envelope, now: now)
    }

    private func chat(_ envelope: CommandEnvelope, text: String, record: GameRecord, player: PlayerID) -> Outcome {
        // The gateway refuses bad text already; a hostile publisher on Redis is refused here too.
        let line: String
        switch PlayerText.chat(text) {
        case .success(let checked): line = checked
        case .failure(let violation):
            return .error(envelope, code: ErrorCode.badRequest, message: violation.message)
        }
        let name = record.state.player(player)?.name ?? player
        var outcome = Outcome()
        outcome.broadcast = WireJSON.encode(ChatMessage(game: record.game, player: player, name: name, text: line))
        outcome.replies = [ack(envelope, seq: nil)]
        return outcome
    }

    /// Applies a command on behalf of `player` (a client, a bot or the turn clock) and publishes the result.
    public mutating func apply(_ command: Command, by player: PlayerID, to record: GameRecord, cause envelope: CommandEnvelope?,
                               now: Double) -> Outcome {
        var record = record
        let previousAuction = record.state.auction
        let previousTurn = record.state.phase == .playing ? record.state.turnNumber : nil
        var events: [Event]
        // The log must say which dice came from the script: the replay has no script.
        var recorder = ScriptedDiceRecorder(source: dice)
        do {
            events = try record.state.apply(command, by: player, dice: &recorder)
            dice = recorder.source
        } catch {
            guard let envelope else { return Outcome() }
            return .error(envelope, code: error.code, message: error.message)
        }
        // A vote counted already changes nothing: acknowledged, with no new state.
        if case .voteSkip = command, events.isEmpty {
            var outcome = Outcome()
            if let envelope { outcome.replies = [ack(envelope, seq: nil)] }
            return outcome
        }
        // The auction clock restarts on every bid or pass; its deadline (wall clock) is part of
        // the state, so browsers can show it and a restarted authority keeps it.
        if let auction = record.state.auction, let seconds = record.state.options.auctionSeconds {
            let restarted = previousAuction.map { $0.seq != auction.seq || $0.square != auction.square || $0.kind != auction.kind } ?? true
            if restarted || auction.deadline == nil {
                record.state.setAuctionDeadline(now + Self.clock(seconds, within: GameOptions.auctionSecondsRange))
            }
        }
        Self.updateTurnClock(&record, previousTurn: previousTurn, now: now)
        events += Self.carrySkipVote(&record)
        // A player who acts in person is no longer timing out.
        if envelope != nil, record.seats[player]?.timeouts != 0 {
            record.seats[player]?.timeouts = 0
        }
        var outcome = publish(&record, events: events, cause: .init(id: envelope?.id, type: command.type, player: player), now: now)
        outcome.scriptedDice = recorder.scripted
        if let envelope { outcome.replies = [ack(envelope, seq: record.seq, epoch: record.epoch ?? .zero)] }
        return outcome
    }

    /// Ends a game nobody attends (see `GameRecord.closing`): no winner, out of the lobby list and
    /// the active games, its keys expiring like any finished game's. Nothing when it is over already.
    public func close(_ record: GameRecord, reason: String, now: Double) -> Outcome {
        var record = record
        let events = record.state.close(reason: reason)
        guard !events.isEmpty else { return Outcome() }
        Self.updateTurnClock(&record, previousTurn: nil, now: now)
        return publish(&record, events: events, cause: .init(id: nil, type: "close", player: nil), now: now)
    }

    // MARK: - Turn clock

    /// The turn clock (`options.turn_seconds`) runs per turn, doubles included: a new turn gets a
    /// fresh deadline, kept within the turn. Like the auction's, the deadline (wall clock) is part of
    /// the state, so clients count down to it and a restarted authority keeps it. A turn whose clock
    /// ran out has none; neither has a game without a clock or not in play. `previousTurn`: the turn
    /// number before the change (nil when the game was not in play).
    static func updateTurnClock(_ record: inout GameRecord, previousTurn: Int?, now: Double) {
        let state = record.state
        guard state.phase == .playing, state.current != nil, let seconds = state.options.turnSeconds else {
            record.state.setTurnDeadline(nil)
            return
        }
        // A record saved before turn deadlines existed gets one too (the clock starts now).
        let unset = state.turnDeadline == nil && record.expiredTurn != state.turnNumber
        if state.turnNumber != previousTurn || unset {
            record.state.setTurnDeadline(now + Self.clock(seconds, within: GameOptions.turnSecondsRange))
        }
    }

    /// A clock's length in seconds. New games' options are checked at `create`; a game stored
    /// before the ranges existed may hold any integer, and its clock keeps to the range too.
    static func clock(_ seconds: Int, within range: ClosedRange<Int>) -> Double {
        Double(min(max(seconds, range.lowerBound), range.upperBound))
    }

    /// What loading a record from Redis changes in it (a restart, a takeover): a turn clock for a
    /// record from before turn deadlines, the vacancy clock for one from before it. The runner
    /// commits it with the next command; the command log says when (`resumed_at`).
    public static func resumed(_ record: GameRecord, now: Double) -> GameRecord {
        var record = record
        updateTurnClock(&record, previousTurn: record.state.turnNumber, now: now)
        record.noteAttendance(now: now)
        return record
    }

    /// The turn clock ran out at `now`: the rest of the turn is the bot's (see `expiredTurn`), and
    /// two timed-out turns in a row mark the player away. Nil when the clock has not run out.
    public static func expireTurnClock(_ record: GameRecord, now: Double) -> GameRecord? {
        guard record.state.phase == .playing, let deadline = record.state.turnDeadline, now >= deadline,
              let player = record.state.current, record.state.player(player) != nil else { return nil }
        var record = record
        record.state.setTurnDeadline(nil)
        record.expiredTurn = record.state.turnNumber
        let timeouts = (record.seats[player]?.timeouts ?? 0) + 1
        record.seats[player]?.timeouts = timeouts
        if timeouts >= 2 { record.state.setAway(player, true) }
        return record
    }

    /// The votes to skip the absent player's turn carried (`GameState.skipVoteCarried`, by a vote
    /// or by a voter who left): the rest of the turn is the bot's at once, pending decisions
    /// included, as when the turn clock runs out (`expiredTurn`, no clock left); it counts as no
    /// timeout of the player's. Once a turn; nothing when the bot plays that turn already.
    static func carrySkipVote(_ record: inout GameRecord) -> [Event] {
        let turn = record.state.turnNumber
        guard record.state.skipVoteCarried, record.expiredTurn != turn, let absent = record.state.absentCurrentPlayer else { return [] }
        record.expiredTurn = turn
        record.state.setTurnDeadline(nil)
        let name = record.state.player(absent)?.name ?? absent
        return [Event(.turnSkipped, player: absent, amount: record.state.skipVotes.count,
                      text: "The vote passed: the bot plays \(name)'s turn now.")]
    }

    // MARK: - Seats

    private mutating func create(_ envelope: CommandEnvelope, name: String, options: GameOptions, existing: GameRecord?, now: Double) -> Outcome {
        guard existing == nil else {
            return .error(envelope, code: .gameExists, message: "game \(envelope.game) already exists")
        }
        guard let tokenHash = envelope.seat else {
            return .error(envelope, code: ErrorCode.invalidToken, message: "create needs a seat token")
        }
        var options = options
        if unshuffledCards { options.shuffleCards = false }
        do {
            options = try options.validated()
        } catch {
            return .error(envelope, code: error.code, message: error.message)
        }
        var generator = SystemRandomNumberGenerator()
        let seed = self.seed ?? generator.next()
        var record = GameRecord(game: envelope.game, state: GameState(options: options, seed: seed))
        record.creator = envelope.client
        record.epoch = newGameEpoch
        var outcome = seat(envelope, name: name, in: record, tokenHash: tokenHash, verb: "created the game", now: now)
        if outcome.record != nil { outcome.seed = seed }
        return outcome
    }

    private mutating func join(_ envelope: CommandEnvelope, name: String, record: GameRecord?, now: Double) -> Outcome {
        guard let record else {
            return .error(envelope, code: ErrorCode.unknownGame, message: "there is no game \(envelope.game)")
        }
        guard let tokenHash = envelope.seat else {
            return .error(envelope, code: ErrorCode.invalidToken, message: "join needs a seat token")
        }
        if record.seats.values.contains(where: { $0.gateway == envelope.gateway && $0.connection == envelope.connection }) {
            return .error(envelope, code: ErrorCode.alreadySeated, message: "this connection already holds a seat in game \(envelope.game)")
        }
        // The joiner is there: seats whose connection is gone past the grace are given up first,
        // so a lobby full of them takes the joiner in place of one.
        var lobby = record
        let released = releaseAbsentSeats(&lobby, now: now)
        return seat(envelope, name: name, in: lobby, tokenHash: tokenHash, verb: "joined", after: released, now: now)
    }

    /// Seats the envelope's connection under the name it asked for and welcomes it; `earlier`:
    /// events of the same commit that come first.
    private func seat(_ envelope: CommandEnvelope, name requested: String, in record: GameRecord, tokenHash: String, verb: String,
                      after earlier: [Event] = [], now: Double) -> Outcome {
        var record = record
        let host = record.state.host
        let name: String
        switch PlayerText.name(requested) {
        case .success(let text): name = text
        case .failure(let violation):
            return .error(envelope, code: ErrorCode.badRequest, message: violation.message)
        }
        let player: PlayerID
        do {
            player = try record.state.join(name: name)
        } catch {
            return .error(envelope, code: error.code, message: error.message)
        }
        record.seats[player] = .init(tokenHash: SeatProof.stored(tokenHash), gateway: envelope.gateway, connection: envelope.connection)
        passHost(&record, from: host)
        var outcome = publish(&record, events: earlier + [Event(.joined, player: player, text: "\(name) \(verb).")],
                              cause: .init(id: envelope.id, type: envelope.type, player: player), now: now)
        outcome.replies = [welcome(envelope, player: player, seq: record.seq, epoch: record.epoch ?? .zero)]
        return outcome
    }

    /// Takes a seat back with its token, through any gateway. The seat's previous connection (if
    /// any, wherever it is) loses it: a seat is held by one connection at a time.
    private mutating func rejoin(_ envelope: CommandEnvelope, record: GameRecord?, now: Double) -> Outcome {
        guard var record else {
            return .error(envelope, code: ErrorCode.unknownGame, message: "there is no game \(envelope.game)")
        }
        guard let proof = envelope.seat, let player = record.player(holding: SeatProof.stored(proof)) else {
            let legacy = record.seats.values.contains { $0.tokenHash.map(SeatProof.isLegacy) ?? false }
            return .error(envelope, code: ErrorCode.invalidToken, message: "that token holds no seat in game \(envelope.game)"
                          + (legacy ? " (seats taken before seat tokens were keyed cannot be taken back: join again)" : ""))
        }
        let previous = record.seats[player]!
        record.seats[player]?.gateway = envelope.gateway
        record.seats[player]?.connection = envelope.connection
        record.seats[player]?.disconnectedAt = nil
        record.seats[player]?.timeouts = 0
        record.state.setConnected(player, true)
        record.state.setAway(player, false)
        let name = record.state.player(player)?.name ?? player
        var outcome = publish(&record, events: [Event(.joined, player: player, text: "\(name) is back.")],
                              cause: .init(id: envelope.id, type: envelope.type, player: player), now: now)
        outcome.replies = [welcome(envelope, player: player, seq: record.seq, epoch: record.epoch ?? .zero)]
        if let gateway = previous.gateway, let connection = previous.connection,
           gateway != envelope.gateway || connection != envelope.connection {
            outcome.replies.append(.init(gateway: gateway, reply: AuthorityReply(
                kind: .revoke, command: nil, connection: connection, game: record.game, player: player,
                code: ErrorCode.seatTaken, message: "your seat was taken over by another connection")))
        }
        return outcome
    }

    private mutating func disconnect(_ envelope: CommandEnvelope, record: GameRecord?, now: Double) -> Outcome {
        guard var record,
              let player = record.seats.first(where: { $0.value.gateway == envelope.gateway && $0.value.connection == envelope.connection })?.key
        else { return Outcome() }
        record.seats[player]?.gateway = nil
        record.seats[player]?.connection = nil
        record.seats[player]?.disconnectedAt = now
        guard let name = record.state.player(player)?.name else { return Outcome() }
        record.state.setConnected(player, false)
        // A voter gone: the others' votes may be a majority of those left.
        let events = [Event(.left, player: player, text: "\(name) lost the connection.")] + Self.carrySkipVote(&record)
        return publish(&record, events: events,
                       cause: .init(id: envelope.id, type: envelope.type, player: player), now: now)
    }

    private mutating func addBot(_ envelope: CommandEnvelope, record: inout GameRecord, by player: PlayerID, now: Double) -> Outcome {
        guard record.state.host == player else {
            return .error(envelope, code: ErrorCode.notHost, message: "only the host adds bots")
        }
        // The next bot's number, past any a player took as a name ("Bot 2"): names are unique.
        let taken = Set(record.state.players.map { PlayerText.nameKey($0.name) })
        var number = record.seats.values.filter(\.isBot).count + 1
        while taken.contains(PlayerText.nameKey("Bot \(number)")) { number += 1 }
        let bot: PlayerID
        do {
            bot = try record.state.join(name: "Bot \(number)", bot: true)
        } catch {
            return .error(envelope, code: error.code, message: error.message)
        }
        let events = [Event(.joined, player: bot, text: "Bot \(number) joined.")]
        record.seats[bot] = .init(tokenHash: nil)
        var outcome = publish(&record, events: events, cause: .init(id: envelope.id, type: envelope.type, player: player), now: now)
        outcome.replies = [ack(envelope, seq: record.seq, epoch: record.epoch ?? .zero)]
        return outcome
    }

    private mutating func leaveLobby(_ envelope: CommandEnvelope, record: inout GameRecord, player: PlayerID, now: Double) -> Outcome {
        let host = record.state.host
        var events: [Event]
        do {
            events = try record.state.leave(player)
        } catch {
            return .error(envelope, code: error.code, message: error.message)
        }
        record.seats[player] = nil
        passHost(&record, from: host)
        // Without a person in it (bots at most) nobody can ever start it: it is closed at once, so
        // a client creating and leaving games leaves no lobby, runner or key behind.
        if !record.seats.values.contains(where: { !$0.isBot }) {
            events += record.state.close(reason: "lobby_empty")
        }
        var outcome = publish(&record, events: events, cause: .init(id: envelope.id, type: envelope.type, player: player), now: now)
        outcome.replies = [ack(envelope, seq: record.seq, epoch: record.epoch ?? .zero)]
        return outcome
    }

    // MARK: - Output

    func publish(_ record: inout GameRecord, events: [Event], cause: StateMessage.Cause, now: Double) -> Outcome {
        record.noteAttendance(now: now)
        record.seq += 1
        var outcome = Outcome()
        outcome.stateMessage = WireJSON.encode(StateMessage(game: record.game, seq: record.seq, epoch: record.epoch ?? .zero, state: record.state,
                                                            events: events, cause: cause))
        outcome.record = record
        outcome.cause = cause
        return outcome
    }

    /// `epoch`: the epoch of the state `seq` (the gateway holds the ack until its client has that
    /// state, ordered by epoch then seq: an older epoch's higher seq does not count).
    private func ack(_ envelope: CommandEnvelope, seq: Int?, epoch: StateEpoch? = nil) -> Outcome.Reply {
        .init(gateway: envelope.gateway, reply: AuthorityReply(
            kind: .ack, command: envelope.id, connection: envelope.connection, game: envelope.game, seq: seq, epoch: epoch))
    }

    /// `seq`, `epoch`: the state that seated the player, which the gateway sends its client right
    /// after the welcome (on a Redis Cluster the welcome can arrive first: it waits for that state).
    private func welcome(_ envelope: CommandEnvelope, player: PlayerID, seq: Int, epoch: StateEpoch) -> Outcome.Reply {
        .init(gateway: envelope.gateway, reply: AuthorityReply(
            kind: .welcome, command: envelope.id, connection: envelope.connection, game: envelope.game, seq: seq, epoch: epoch,
            player: player))
    }
}

/// Passes dice through from `source`, noting the values that did not come from the game's own
/// generator (those came from the dice script).
struct ScriptedDiceRecorder<Source: DiceSource>: DiceSource {
    var source: Source
    var scripted: [Int] = []

    mutating func nextDie(fallback rng: inout SplitMix64) -> Int {
        let before = rng.state
        let value = source.nextDie(fallback: &rng)
        if rng.state == before { scripted.append(value) }
        return value
    }
}
