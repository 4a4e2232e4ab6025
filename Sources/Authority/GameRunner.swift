import Foundation
import Logging
import Monopoly
import RelayProtocol

/// Timings of the authority's own moves (bots, clocks, grace periods).
public struct AuthorityTiming: Sendable {
    /// Pause before a bot (or the bot standing in for a player) acts, so people can follow.
    public var botDelay: Duration
    /// How long a disconnected player keeps the seat before the bot plays their turns.
    public var disconnectGrace: Duration
    /// How long a lobby stays open with no player connected (`LOBBY_IDLE_SECONDS`).
    public var lobbyIdle: Duration
    /// How long a running game goes on with no player connected, bots only (`ABANDONED_SECONDS`).
    public var abandoned: Duration
    /// How long a lobby seat outlives its connection while others are there (`LOBBY_GRACE_SECONDS`):
    /// long enough for a refresh to take it back, short enough that ghosts cannot fill a lobby.
    public var lobbyGrace: Duration

    public init(botDelay: Duration = .milliseconds(700), disconnectGrace: Duration = .seconds(30),
                lobbyIdle: Duration = .seconds(300), abandoned: Duration = .seconds(900), lobbyGrace: Duration = .seconds(15)) {
        self.botDelay = botDelay
        self.disconnectGrace = disconnectGrace
        self.lobbyIdle = lobbyIdle
        self.abandoned = abandoned
        self.lobbyGrace = lobbyGrace
    }

    /// When and why an unattended game is closed (see `GameRecord.closing`).
    func closing(_ record: GameRecord) -> (deadline: Double, reason: String)? {
        record.closing(lobbyIdle: Self.seconds(lobbyIdle), abandoned: Self.seconds(abandoned))
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

/// One game's serial executor: commands, bot moves and clock expiries of a game are applied one at
/// a time, in arrival order; different games run in parallel on their own runners.
final class GameRunner: Sendable {
    enum Input: Sendable {
        case envelope(CommandEnvelope)
        /// From the registry (`wake`): counted like an envelope.
        case tick
        /// From the runner's own timer (bots, clocks): not counted.
        case timer
    }

    let game: GameID
    private let inputs: AsyncStream<Input>.Continuation
    private let task: Task<Void, Never>

    /// `idle`: called after the loop handled `n` inputs submitted through `submit`/`wake` and the
    /// game needs no runner any more (it is over, or does not exist): the registry retires the
    /// runner if nothing else was submitted meanwhile.
    init(game: GameID, processor: CommandProcessor, store: GameStore, timing: AuthorityTiming, metrics: AuthorityMetrics, logger: Logger,
         openGames: OpenGamesLedger = OpenGamesLedger(limit: .max), bindings: GatewayBindingsLedger = GatewayBindingsLedger(),
         gate: ApplyGate = ApplyGate(),
         idle: @escaping @Sendable (_ handled: Int) async -> Void = { _ in }) {
        self.game = game
        let (stream, continuation) = AsyncStream<Input>.makeStream()
        self.inputs = continuation
        var logger = logger
        logger[metadataKey: "game"] = "\(game)"
        let loop = GameLoop(game: game, processor: processor, store: store, timing: timing, metrics: metrics,
                            logger: logger, openGames: openGames, bindings: bindings, gate: gate, inputs: continuation, idle: idle)
        self.task = Task { await loop.run(stream) }
    }

    func submit(_ envelope: CommandEnvelope) { inputs.yield(.envelope(envelope)) }

    /// Loads the game (if needed) and lets bots and clocks pick up where they were.
    func wake() { inputs.yield(.tick) }

    /// No more inputs: the loop ends once it has handled those already submitted.
    func finishInputs() { inputs.finish() }

    /// Finishes the command in hand, then stops.
    func stop() async {
        inputs.finish()
        await task.value
    }
}

/// The state a runner's loop owns. Only its own task touches it.
struct GameLoop: Sendable {
    let game: GameID
    var processor: CommandProcessor
    let store: GameStore
    let timing: AuthorityTiming
    let metrics: AuthorityMetrics
    let logger: Logger
    let openGames: OpenGamesLedger
    let bindings: GatewayBindingsLedger
    /// Shared by every game of the process: a suspect game's commands run alone (see `ApplyGate`).
    let gate: ApplyGate
    let inputs: AsyncStream<GameRunner.Input>.Continuation
    let idle: @Sendable (Int) async -> Void

    init(game: GameID, processor: CommandProcessor, store: GameStore, timing: AuthorityTiming, metrics: AuthorityMetrics,
         logger: Logger, openGames: OpenGamesLedger, bindings: GatewayBindingsLedger = GatewayBindingsLedger(),
         gate: ApplyGate = ApplyGate(), inputs: AsyncStream<GameRunner.Input>.Continuation,
         idle: @escaping @Sendable (Int) async -> Void) {
        self.game = game
        self.processor = processor
        // The processor gives up lobby seats (when someone joins) with the runner's grace.
        self.processor.lobbyGrace = AuthorityTiming.seconds(timing.lobbyGrace)
        self.store = store
        self.timing = timing
        self.metrics = metrics
        self.logger = logger
        self.openGames = openGames
        self.bindings = bindings
        self.gate = gate
        self.inputs = inputs
        self.idle = idle
    }

    func run(_ stream: AsyncStream<GameRunner.Input>) async {
        var state = LoopState()
        var timer: Task<Void, Never>?
        var processor = self.processor
        var handled = 0
        for await input in stream {
            if case .timer = input {} else { handled += 1 }
            if state.loaded, let loadedAt = state.loadedAtReconnects, store.redis.reconnects != loadedAt {
                // Redis may have come back older than what was published (an AOF that lost its
                // last second, a restored backup), and nothing else would tell until a commit
                // fails: the game is loaded again, in a new epoch.
                logger.notice("Redis reconnected since the game was loaded: loading it again")
                state.loaded = false
                state.patches.reset()
            }
            if !state.loaded {
                do {
                    try await load(into: &state)
                } catch {
                    logger.error("cannot load game: \(error)")
                    if case .envelope(let envelope) = input {
                        await publishUnavailable(envelope, reason: "the game could not be loaded")
                    }
                }
            }
            if state.loaded {
                switch input {
                case .envelope(let envelope):
                    let started = ContinuousClock.now
                    let accepted: Bool
                    var refused = refusedQuarantined(envelope, state)
                    if refused == nil { refused = await refusedCreate(envelope, state) }
                    if let refused {
                        await commit(refused, into: &state, logging: nil)
                        accepted = false
                    } else {
                        accepted = await applyingMarked("\(envelope.type) by \(envelope.player ?? "a new seat") (command \(envelope.id))",
                                                        type: envelope.type, &state) { state in
                            let now = Date().timeIntervalSince1970
                            // A game created now starts an epoch above any this runner published.
                            processor.newGameEpoch = StateEpoch.next(after: state.epoch, now: now)
                            let outcome = processor.handle(envelope, record: state.record, now: now)
                            await commit(outcome, into: &state, inFlight: true, logging: (.envelope(id: envelope.id, message: envelope.message), now))
                            return outcome.record != nil || outcome.broadcast != nil
                        }
                    }
                    metrics.commandProcessed(type: envelope.type, duration: ContinuousClock.now - started, accepted: accepted)
                case .tick, .timer:
                    await retryLobbyOfFinishedGame(&state)
                    if let record = state.record, let due = processor.nextSeatRelease(record), due <= Date().timeIntervalSince1970 {
                        await applyingMarked("the release of absent lobby seats", type: "release", &state) { state in
                            let now = Date().timeIntervalSince1970
                            await commit(processor.releasingAbsentSeats(record, now: now), into: &state, inFlight: true, logging: (.release, now))
                        }
                    }
                    if await !closeIfUnattended(&state, processor: processor) {
                        await automaticMove(&state, processor: &processor)
                    }
                }
                // Whatever happened (created, refused, finished, closed, reloaded), the ledger
                // counts the game for its creator exactly while it is open.
                await countOpen(state.record)
                // The liveness monitor frees the seats of dead gateways from this.
                bindings.set(game, record: state.record)
            }
            timer?.cancel()
            timer = nil
            // Not loaded (Redis failed us): try again soon. A game woken for its bots and clocks
            // gets no other input, so waiting for one would leave it stuck.
            if let delay = state.loaded ? nextWake(state) : Self.reloadDelay {
                let inputs = self.inputs
                timer = Task {
                    try? await Task.sleep(for: delay)
                    if !Task.isCancelled { inputs.yield(.timer) }
                }
            } else if state.loaded, state.record.map({ $0.state.phase == .finished }) ?? true {
                // Over, or no such game (any client can name one): nothing will happen here
                // without a command, and a command loads the record again.
                await idle(handled)
            }
        }
        timer?.cancel()
    }

    static let reloadDelay = Duration.seconds(1)

    struct LoopState {
        var loaded = false
        var record: GameRecord?
        /// Consecutive automatic moves that were rejected (a guard against a stuck loop).
        var failedMoves = 0
        /// A committed change the lobby list did not get: the next commit writes the entry.
        var lobbyPending = false
        /// Why the game is quarantined (its stored record was refused: unreadable, or out of
        /// bounds, see `GameRecord.storedValueViolations`; or processes died applying its commands):
        /// the game is unplayable, and left alone.
        var quarantined: String?
        /// Processes that died in a row applying a command to this game (see `InFlight`).
        var crashes = 0
        /// The last published state, to patch the next one against.
        var patches = PatchChain()
        /// The newest epoch this runner has given the game: a reload (a rollback found by a commit)
        /// starts a later one even if Redis lost the record of this one.
        var epoch = StateEpoch.zero
        /// The Redis client's reconnect count when the game was loaded: a reconnect since means a
        /// Redis that may have gone back, and the game is loaded again.
        var loadedAtReconnects: Int?
        /// When the record in hand was loaded from Redis and when its turn clock ran out, if that
        /// is not committed yet: the next command log entry says so (see `GameLogEntry`).
        var resumedAt: Double?
        var expiredAt: Double?
    }

    /// What a commit applied, for the command log: the processor's input and its `now`.
    typealias Logged = (input: GameLogEntry.Input, at: Double)

    /// Reads the game's record from its snapshot, unless the game is quarantined or becomes so
    /// now: a record the engine cannot take, or one whose commands killed two processes in a row.
    /// `outrun`: another authority just advanced the game (a STALE commit), so it is alive and a
    /// mark it holds is the command it is applying now, no death.
    private func load(into state: inout LoopState, outrun: Bool = false) async throws {
        let health = try await store.health(game)
        if let quarantine = health.quarantine {
            state.record = nil
            state.quarantined = quarantine.reason
            state.loaded = true
            metrics.quarantined(game, command: quarantine.command)
            return
        }
        state.crashes = 0
        if let mark = health.inFlight {
            // Our own mark is a commit that failed (Redis), not a death.
            guard mark.process == GameStore.processInstance || outrun else {
                let crashes = mark.crashes + 1
                if crashes >= InFlight.quarantineAfter {
                    await quarantine(&state, Quarantine(reason: "\(crashes) authority processes in a row died applying \(mark.command)",
                                                         command: mark.command, at: Date().timeIntervalSince1970))
                    return
                }
                logger.warning("an authority process died applying \(mark.command) to this game; one more and it is quarantined")
                state.crashes = crashes
                return try await loadRecord(into: &state)
            }
            state.crashes = mark.crashes
        }
        try await loadRecord(into: &state)
    }

    private func loadRecord(into state: inout LoopState) async throws {
        state.loadedAtReconnects = store.redis.reconnects
        do {
            state.record = try await store.load(game)
            state.quarantined = nil
            metrics.playable(game)
        } catch GameStore.Failure.corruptSnapshot(_, let problem) {
            // Not played (an increment or a lookup would trap on it), nor written over, nor resumed,
            // nor reloaded every second: quarantined until an operator looks.
            await quarantine(&state, Quarantine(reason: "the stored record is damaged (\(problem))", command: nil, at: Date().timeIntervalSince1970))
            return
        }
        state.loaded = true
        state.resumedAt = nil
        state.expiredAt = nil
        if let stored = state.record {
            let now = Date().timeIntervalSince1970
            // A record from before turn deadlines or the vacancy clock: they start now.
            var record = CommandProcessor.resumed(stored, now: now)
            // Redis may be older than what was published (a rollback, a restored backup): the
            // game's states go on in a new epoch, which clients take whatever its seq.
            record.epoch = StateEpoch.next(after: max(stored.epoch ?? .zero, state.epoch), now: now)
            state.epoch = record.epoch ?? state.epoch
            state.record = record
            state.resumedAt = now
            // Lists a game the lobby may have missed (a lost update, or a running game
            // from before they were listed); quietly: the next change announces it.
            try? await store.updateLobby(record, announce: false, checkingFence: false)
        }
    }

    /// Not played, nor written over, nor resumed: logged, listed in `monopoly:games:quarantined`
    /// and `/metrics`, out of the lobby and the active games, until an operator lifts it.
    private func quarantine(_ state: inout LoopState, _ entry: Quarantine) async {
        logger.error("quarantined: \(entry.reason); its keys are left for inspection; `monopoly admin unquarantine \(game)` lifts it")
        state.record = nil
        state.quarantined = entry.reason
        state.loaded = true
        metrics.quarantined(game, command: entry.command)
        do {
            try await store.quarantine(game, entry)
        } catch {
            logger.warning("cannot record the quarantine: \(error)")
        }
    }

    /// Applies `body` (the engine's work and its commit) with the command marked in flight, through
    /// the process's gate: alone when this game is a suspect, so that a death now strikes only it.
    /// The body commits, or clears the mark when nothing is committed.
    private func applyingMarked<Result>(_ command: String, type: String, _ state: inout LoopState,
                                        _ body: (inout LoopState) async -> Result) async -> Result {
        let alone = state.crashes > 0
        await gate.enter(alone: alone)
        defer { gate.leave(alone: alone) }
        await markInFlight(command, state)
        DebugTrap.check(type)
        await DebugTrap.stall(type)
        return await body(&state)
    }

    /// Says in Redis what is about to be applied to the game (see `InFlight`) before the engine
    /// runs: if this process dies on it, the next one knows. Without Redis the command goes on
    /// unmarked (its commit fails anyway).
    private func markInFlight(_ command: String, _ state: LoopState) async {
        do {
            try await store.markInFlight(game, command: command, crashes: state.crashes)
        } catch {
            logger.debug("cannot mark the command in flight: \(error)")
        }
    }

    /// `inFlight`: the outcome completes the command marked in flight (the commit deletes the mark).
    /// `logging`: what the outcome was made of, for the command log (every outcome with a state has it).
    private func commit(_ outcome: Outcome, into state: inout LoopState, inFlight: Bool = false, logging: Logged?) async {
        if inFlight {
            await commitMarked(outcome, into: &state, logging: logging)
        } else {
            await commitUnmarked(outcome, into: &state, inFlight: nil, logging: logging)
        }
    }

    private func commitMarked(_ outcome: Outcome, into state: inout LoopState, logging: Logged?) async {
        let committed = await commitUnmarked(outcome, into: &state, inFlight: game, logging: logging)
        if committed {
            state.crashes = 0
        } else {
            // Nothing happened to the game; a stale mark would count as a death if we died now.
            try? await store.clearInFlight(game)
        }
    }

    /// Returns whether the outcome was written (the mark, if any, with it).
    @discardableResult
    private func commitUnmarked(_ outcome: Outcome, into state: inout LoopState, inFlight: GameID?, logging: Logged?) async -> Bool {
        let previousSeq = state.record?.seq ?? 0
        do {
            // The lobby list is rewritten only when its entry changes (phase, seats), not per command.
            let lobbyChanged = outcome.record?.lobbyEntryChanged(since: state.record) ?? false
            let updatingLobby = lobbyChanged || (state.lobbyPending && outcome.record != nil)
            // The ledger first: the commit publishes the acknowledgement, and a client that left a
            // game may create the next one the moment it reads it. A failed commit is set right
            // again after the input (the ledger follows `state.record`).
            if let record = outcome.record { await countOpen(record) }
            let next = outcome.record.flatMap { record in
                outcome.stateMessage.map { message in
                    let version = StateVersion(epoch: record.epoch ?? .zero, seq: record.seq)
                    return (version: version, message: message, patch: state.patches.patch(to: message, version: version, game: game))
                }
            }
            // A commit that publishes a state moves the chain on once it is known to be published
            // (after a failure nothing is patched against: the next state goes whole).
            if next != nil { state.patches.reset() }
            let entry = logEntry(outcome, logging: logging, state: state)
            try await store.commit(outcome, previousSeq: previousSeq, patch: next?.patch, updatingLobby: updatingLobby, inFlight: inFlight,
                                   log: entry?.line)
            if let next {
                state.patches.published(next.version, message: next.message)
                state.epoch = max(state.epoch, next.version.epoch)
            }
            if outcome.record != nil {
                state.resumedAt = nil
                state.expiredAt = nil
            }
            if let record = outcome.record { state.record = record }
            if updatingLobby { state.lobbyPending = false }
            return true
        } catch GameStore.Failure.lobbyNotUpdated(_, let error) {
            // Written and published: the game goes on from the new record (treating it as unwritten
            // would make the next command fail the seq fence); the lobby entry is retried.
            logger.warning("lobby list not updated: \(error); retried with the next commit")
            if let record = outcome.record { state.record = record }
            state.lobbyPending = true
            return true
        } catch let failure as GameStore.Failure {
            // Another authority advanced this game: take its state and drop our command. The
            // state is read now, not on the next input: bots and clocks are scheduled from it, and
            // a game that waits only on them would otherwise never get another input.
            logger.warning("\(failure); reloading")
            state.loaded = false
            state.record = nil
            do {
                try await load(into: &state, outrun: true)
            } catch {
                logger.error("cannot reload game: \(error)")
                metrics.commitFailed()
            }
        } catch {
            // Redis is down: nothing was written or published. The gateway's acknowledgement
            // timeout tells the client; the command can be sent again once Redis is back.
            logger.error("cannot commit: \(error)")
            metrics.commitFailed()
        }
        return false
    }

    /// The command log's entry for an outcome that publishes a state.
    private func logEntry(_ outcome: Outcome, logging: Logged?, state: LoopState) -> GameLogEntry? {
        guard let logging, let record = outcome.record, let message = outcome.stateMessage else { return nil }
        var input = logging.input
        if case .envelope(let id, .create(let name, _)) = input {
            // The options the game got (`--cards unshuffled` changes them), not the ones asked for.
            input = .envelope(id: id, message: .create(name: name, options: record.state.options))
        }
        return GameLogEntry(seq: record.seq, at: logging.at, player: outcome.cause?.player, input: input, seed: outcome.seed,
                            grace: GameLogEntry.usesGrace(input) ? processor.lobbyGrace : nil, dice: outcome.scriptedDice,
                            resumedAt: state.resumedAt, expiredAt: state.expiredAt,
                            epoch: state.record == nil || state.resumedAt != nil ? record.epoch : nil, digest: GameLogEntry.digest(of: message))
    }

    private func publishUnavailable(_ envelope: CommandEnvelope, reason: String) async {
        try? await store.commit(.error(envelope, code: ErrorCode.authorityUnavailable, message: reason), previousSeq: 0)
    }

    /// Whom the authority must play for right now (bots, away or long-disconnected players, a
    /// player whose turn clock ran out), trade recipients first, then whoever play waits on.
    private func standIns(_ state: LoopState) -> [PlayerID] {
        guard let record = state.record, record.state.phase == .playing else { return [] }
        let wall = Date().timeIntervalSince1970
        let grace = Double(timing.disconnectGrace.components.seconds)
        return record.state.respondents.filter { player in
            guard let seat = record.seats[player], let info = record.state.player(player), !info.bankrupt else { return false }
            if seat.isBot || info.away { return true }
            if let since = seat.disconnectedAt, wall - since >= grace { return true }
            if record.expiredTurn == record.state.turnNumber, record.state.current == player { return true }
            return false
        }
    }

    /// A finished game whose lobby update Redis refused has no later commit to carry it: without
    /// this retry (every `reloadDelay`, before the runner may retire) it would stay listed and in
    /// `monopoly:games:active` for ever, after its keys expired.
    private func retryLobbyOfFinishedGame(_ state: inout LoopState) async {
        guard state.lobbyPending, let record = state.record, record.state.phase == .finished else { return }
        do {
            try await store.updateLobby(record)
            state.lobbyPending = false
        } catch {
            logger.warning("lobby list still not updated: \(error); retrying")
        }
    }

    /// A command for a quarantined game: refused (a create too: its keys are still there).
    private func refusedQuarantined(_ envelope: CommandEnvelope, _ state: LoopState) -> Outcome? {
        guard let reason = state.quarantined else { return nil }
        if case .disconnect = envelope.message { return Outcome() }
        return .error(envelope, code: ErrorCode.unknownGame, message: "game \(game) cannot be played (quarantined: \(reason))")
    }

    /// A `create` on an authority that holds `MAX_GAMES_PER_AUTHORITY` open games, from an address
    /// that holds `MAX_GAMES_PER_CLIENT` open games already, or past
    /// `CREATE_RATE_PER_MINUTE` over every gateway (nil: go on, the slot is reserved). Creates that
    /// name no address (a gateway from before the field) pass.
    private func refusedCreate(_ envelope: CommandEnvelope, _ state: LoopState) async -> Outcome? {
        guard case .create = envelope.message, state.record == nil, let address = envelope.client else { return nil }
        let refusal: CreateRefusal?
        if let quota = openGames.clientQuota {
            if !openGames.reserveRoom(game, for: address) {
                refusal = .full
            } else {
                do {
                    refusal = try await quota.reserve(game, for: address)
                } catch {
                    // The create's own commit needs Redis too: it fails (and is answered) there.
                    logger.warning("cannot count the client's games in Redis: \(error)")
                    refusal = nil
                }
                if refusal != nil { openGames.set(game, creator: nil) }
            }
        } else {
            refusal = openGames.reserve(game, for: address)
        }
        guard let refusal else { return nil }
        switch refusal {
        case .tooManyGames:
            return .error(envelope, code: ErrorCode.tooManyGames,
                          message: "at most \(openGames.limit) open games per client address: finish or leave one first")
        case .tooFast:
            return .error(envelope, code: ErrorCode.rateLimited,
                          message: "at most \(Int(openGames.createsPerMinute ?? 0)) new games per minute from one address")
        case .full:
            metrics.createRefusedFull()
            return .error(envelope, code: ErrorCode.serverFull,
                          message: "this server holds as many open games as it may (\(openGames.capacity)): try again later")
        }
    }

    /// Counts the game for its creator while it is open. One that is no longer (finished, closed,
    /// its lobby left empty) frees its creator's slot over every authority at once; one merely not
    /// loaded (nil record) is left to its entry's expiry.
    private func countOpen(_ record: GameRecord?) async {
        let previous = openGames.set(game, creator: record?.openCreator)
        guard let previous, let record, record.openCreator == nil, let quota = openGames.clientQuota else { return }
        do {
            try await quota.release(game, of: previous)
        } catch {
            logger.warning("cannot free the creator's slot in Redis (it expires on its own): \(error)")
        }
    }

    /// Closes the game if nobody attended it for too long (a lobby, or a running game the bots
    /// would otherwise play for ever). Returns whether it did.
    private func closeIfUnattended(_ state: inout LoopState, processor: CommandProcessor) async -> Bool {
        let now = Date().timeIntervalSince1970
        guard let record = state.record, let closing = timing.closing(record), now >= closing.deadline else { return false }
        logger.info("closing the game: \(closing.reason)")
        await applyingMarked("closing the game (\(closing.reason))", type: "close", &state) { state in
            await commit(processor.close(record, reason: closing.reason, now: now), into: &state, inFlight: true,
                         logging: (.close(reason: closing.reason), now))
        }
        return true
    }

    /// The delay until `deadline` (wall clock seconds), never negative, and capped (a day) so that
    /// no deadline, however far, can overflow the conversion; waking early just schedules again.
    /// Deadlines come from records in Redis: one that is no number at all (NaN) waits the cap too,
    /// rather than waking at once, over and over, for a moment that never comes.
    static func delay(until deadline: Double, from wall: Double) -> Duration {
        let milliseconds = (deadline - wall) * 1000
        guard !milliseconds.isNaN else { return maximumDelay }
        return .milliseconds(Int64(min(max(0, milliseconds), 86_400_000)))
    }

    static let maximumDelay = Duration.seconds(86_400)

    /// The next moment something must happen without a command: a bot's move, a clock running out,
    /// the vacancy clock of a game nobody attends.
    private func nextWake(_ state: LoopState) -> Duration? {
        guard let record = state.record else { return nil }
        if state.lobbyPending, record.state.phase == .finished { return Self.reloadDelay }
        let wall = Date().timeIntervalSince1970
        // Past the deadline (not committed: Redis failed us, or just due), in a second.
        let due = [timing.closing(record)?.deadline, processor.nextSeatRelease(record)].compactMap { $0 }.map { deadline in
            let delay = Self.delay(until: deadline, from: wall)
            return delay == .zero ? Self.reloadDelay : delay + .milliseconds(10)
        }
        guard record.state.phase == .playing, state.failedMoves < 8 else { return due.min() }
        var wakes = due
        if !standIns(state).isEmpty { wakes.append(timing.botDelay) }
        // Both clocks' deadlines are in the state (wall clock), so a restarted authority keeps them.
        for deadline in [record.state.auction?.deadline, record.state.turnDeadline].compactMap({ $0 }) {
            wakes.append(Self.delay(until: deadline, from: wall) + .milliseconds(5))
        }
        // Disconnected players' grace periods.
        let grace = Double(timing.disconnectGrace.components.seconds)
        for player in record.state.awaiting {
            if let since = record.seats[player]?.disconnectedAt, wall - since < grace {
                wakes.append(Self.delay(until: since + grace, from: wall) + .milliseconds(10))
            }
        }
        return wakes.min().map { max($0, .zero) }
    }

    /// A tick: a clock may have run out, or a bot (or the bot standing in for someone) moves.
    private func automaticMove(_ state: inout LoopState, processor: inout CommandProcessor) async {
        guard let record = state.record, record.state.phase == .playing else { return }

        if let auction = record.state.auction, let deadline = auction.deadline, Date().timeIntervalSince1970 >= deadline {
            let actor = record.state.current ?? auction.bidders.first ?? ""
            await applyingMarked("the auction clock", type: Command.auctionTimeout.type, &state) { state in
                let now = Date().timeIntervalSince1970
                let outcome = processor.apply(.auctionTimeout, by: actor, to: record, cause: nil, now: now)
                await commit(outcome, into: &state, inFlight: true, logging: (.move(.auctionTimeout), now))
            }
            return
        }

        let wall = Date().timeIntervalSince1970
        if let expired = CommandProcessor.expireTurnClock(record, now: wall) {
            // Committed with the bot's first move for the rest of the turn, just below.
            state.record = expired
            state.expiredAt = wall
            metrics.turnTimedOut()
        }

        let players = standIns(state)
        guard !players.isEmpty, let record = state.record else { return }
        for player in players {
            // The bot's choice first; if it has none (or it is refused), the simplest legal move
            // that keeps the game going: a trade offered to this player is declined.
            let declines = record.state.trades.filter { $0.to == player }.map { Command.tradeReject(trade: $0.id) }
            let candidates = [Bot.nextCommand(for: player, in: record.state)].compactMap { $0 }
                + declines + [.roll, .buy, .endTurn, .pass, .decline, .jailPay, .bankrupt]
            let moved = await applyingMarked("the bot's move for \(player)", type: "bot", &state) { state in
                for command in candidates {
                    DebugTrap.check(command.type)
                    let now = Date().timeIntervalSince1970
                    let outcome = processor.apply(command, by: player, to: record, cause: nil, now: now)
                    if outcome.record != nil {
                        await commit(outcome, into: &state, inFlight: true, logging: (.move(command), now))
                        return true
                    }
                }
                try? await store.clearInFlight(game)
                return false
            }
            if moved {
                state.failedMoves = 0
                return
            }
        }
        state.failedMoves += 1
        logger.warning("no legal automatic move for \(players)")
    }
}
