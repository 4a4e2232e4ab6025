import Foundation
import Monopoly
import Redis
import RelayProtocol

/// The authority's Redis I/O: reading snapshots, and writing a new state atomically with its
/// publication. The Lua script is the only writer of a game's keys, and it is fenced by `seq`: a
/// stale authority (one that lost its lease but hasn't noticed yet) cannot overwrite a newer state.
public struct GameStore: Sendable {
    public enum Failure: Error, CustomStringConvertible {
        /// Someone else advanced the game: our copy is stale and must be reloaded.
        case stale(game: GameID, expected: Int, found: String)
        case corruptSnapshot(game: GameID, underlying: any Error)
        /// The commit was written and published; only the lobby list that follows it failed.
        case lobbyNotUpdated(game: GameID, underlying: any Error)

        public var description: String {
            switch self {
            case .stale(let game, let expected, let found): "game \(game): expected seq \(expected), Redis has \(found)"
            case .corruptSnapshot(let game, let error): "game \(game): snapshot unreadable: \(error)"
            case .lobbyNotUpdated(let game, let error): "game \(game): committed, but the lobby list was not updated: \(error)"
            }
        }
    }

    /// KEYS: seq, snapshot, last state, command log, and the in-flight mark if any (deleted: the
    /// command is done; see `InFlight`). ARGV: previous seq, snapshot, state message, state channel,
    /// the keys' time to live in milliseconds ("0": none), the patch message ("": none), the command
    /// log entry ("": none), the log's length bound, then (reply channel, reply) pairs. Writes,
    /// publishes the patch, the state, then the replies: a gateway holds the patch when the state it
    /// makes arrives, and always sees the state before the acknowledgement that names it. A finished
    /// game's keys get their TTL in the same script as the state that finishes it: no crash between
    /// the two can leave them for ever. The log's entry is appended in the same script as its state:
    /// the log never lacks a published state nor holds one that was not. A log at its bound gets one
    /// last line, `{"seq":N,"truncated":true}` (states from N on are not logged), then nothing.
    /// Fenced by the game's fence too (`LeaseFence`): a stale authority commits nothing to a game
    /// the new holder fenced, even one it has not advanced yet. The commit sets the fence (with the
    /// finished game's TTL): a game created now is fenced from its first state.
    static let commitScript = LeaseFence.Scripts("""
    local current = redis.call('GET', KEYS[1])
    if (current or '0') ~= ARGV[1] then
      return redis.error_reply('STALE ' .. (current or 'none'))
    end
    local function put(key, value)
      if ARGV[5] ~= '0' then
        redis.call('SET', key, value, 'PX', ARGV[5])
      else
        redis.call('SET', key, value)
      end
    end
    put(KEYS[1], tostring(tonumber(ARGV[1]) + 1))
    -- Set by the first commit (a new game) and by one that finishes the game (its expiry); an
    -- open game's fence that holds our token already is left as it is.
    if FENCE and not (FENCED and ARGV[5] == '0') then put(FENCE, TOKEN) end
    put(KEYS[2], ARGV[2])
    put(KEYS[3], ARGV[3])
    if ARGV[7] ~= '' then
      local length = redis.call('LLEN', KEYS[4])
      if length < tonumber(ARGV[8]) then
        redis.call('RPUSH', KEYS[4], ARGV[7])
      elseif length == tonumber(ARGV[8]) then
        redis.call('RPUSH', KEYS[4], '{"seq":' .. (tonumber(ARGV[1]) + 1) .. ',"truncated":true}')
      end
    end
    if ARGV[5] ~= '0' then redis.call('PEXPIRE', KEYS[4], ARGV[5]) end
    if ARGV[6] ~= '' then
      redis.call('PUBLISH', ARGV[4], ARGV[6])
    end
    redis.call('PUBLISH', ARGV[4], ARGV[3])
    for i = 9, #ARGV, 2 do
      redis.call('PUBLISH', ARGV[i], ARGV[i + 1])
    end
    if KEYS[5] then redis.call('DEL', KEYS[5]) end
    return tonumber(ARGV[1]) + 1
    """)

    /// The commit script's keys (all in the game's hash slot).
    static func commitKeys(_ game: GameID, clearing: Bool) -> [String] {
        [RedisChannels.sequenceKey(game), RedisChannels.snapshotKey(game), RedisChannels.lastStateKey(game), RedisChannels.logKey(game)]
            + (clearing ? [inFlightKey(game)] : [])
    }

    /// Games the authority must keep ticking (bots, clocks) after a restart or a takeover.
    public static let activeGamesKey = "monopoly:games:active"

    /// The default `finishedTTLSeconds`: a finished game can be looked at (its players' pages show
    /// the result) for a day, then Redis forgets it.
    public static let defaultFinishedTTLSeconds = 86_400
    /// The longest TTL taken (ten years): more is clamped, so the milliseconds never overflow.
    public static let maximumFinishedTTLSeconds = 315_360_000

    /// The default `maxLogEntries` (`MAX_LOG_ENTRIES`): far more commands than a game takes (a
    /// bot game of 150 turns takes about 600), a few megabytes at most (about 200 bytes an entry).
    public static let defaultMaxLogEntries = 20_000
    public static let maximumLogEntries = GameLogFile.maximumEntries

    let redis: RedisCommands
    /// Replicas that must confirm a commit (`WAIT`) before its acknowledgements go out
    /// (`REDIS_WAIT_REPLICAS`, see `ReplicaWait`); 0: acknowledged as soon as the master has it.
    let replicaWait: ReplicaWait
    /// The shard leases' fencing tokens (see `LeaseFence`): every write, the commit included,
    /// checks the game's fence.
    /// Nil: unfenced (an operator's command, tests that drive a store without a lease).
    let fence: LeaseFence?
    /// How long a finished game's keys (snapshot, last state, seq) live after the commit that
    /// finished it (every later commit of the finished game, a rejoin say, starts it again).
    let finishedTTLMilliseconds: Int
    /// Entries a game's command log holds at most (then it says it was truncated and stops).
    let maxLogEntries: Int

    public init(redis: RedisClient, finishedTTLSeconds: Int = GameStore.defaultFinishedTTLSeconds, fence: LeaseFence? = nil,
                maxLogEntries: Int = GameStore.defaultMaxLogEntries) {
        self.init(commands: .single(redis), finishedTTLSeconds: finishedTTLSeconds, fence: fence, maxLogEntries: maxLogEntries)
    }

    public init(commands redis: RedisCommands, finishedTTLSeconds: Int = GameStore.defaultFinishedTTLSeconds, fence: LeaseFence? = nil,
                maxLogEntries: Int = GameStore.defaultMaxLogEntries, replicaWait: ReplicaWait = .none) {
        self.redis = redis
        self.replicaWait = replicaWait
        self.fence = fence
        self.finishedTTLMilliseconds = min(max(finishedTTLSeconds, 1), Self.maximumFinishedTTLSeconds) * 1000
        self.maxLogEntries = min(max(maxLogEntries, 1), Self.maximumLogEntries)
    }

    /// The commit script's TTL argument for `record`: milliseconds, "0" (none) while the game is open.
    func timeToLive(of record: GameRecord) -> String {
        record.state.phase == .finished ? String(finishedTTLMilliseconds) : "0"
    }

    /// KEYS: the snapshot. ARGV: "1" to return it. Fences the game if it is stored (the fence then
    /// lives as long as the snapshot): from now on a stale holder's writes to it are refused, and
    /// the snapshot returned is the last one any of them wrote.
    static let loadScript = LeaseFence.Scripts("""
    local snapshot = redis.call('GET', KEYS[1])
    if FENCE and snapshot then
      local ttl = redis.call('PTTL', KEYS[1])
      if ttl > 0 then redis.call('SET', FENCE, TOKEN, 'PX', ttl) else redis.call('SET', FENCE, TOKEN) end
    end
    if ARGV[1] == '1' then return snapshot end
    return 1
    """)

    /// Reads the game's snapshot; a fenced store fences the game in the same script (see `LeaseFence`).
    public func load(_ game: GameID) async throws -> GameRecord? {
        let stored: [UInt8]?
        if fence != nil {
            stored = try await redis.eval(Self.loadScript, fence: fence, game: game, keys: [RedisChannels.snapshotKey(game)],
                                          arguments: ["1"]).bytes
        } else {
            stored = try await redis.get(RedisChannels.snapshotKey(game))
        }
        guard let bytes = stored else { return nil }
        let record: GameRecord
        do {
            record = try WireJSON.decode(GameRecord.self, from: bytes)
        } catch {
            throw Failure.corruptSnapshot(game: game, underlying: error)
        }
        // Stored input is checked like a client's: a value the engine would index or add with
        // out of bounds would trap this authority, and every one that loads the game after it.
        let violations = record.storedValueViolations()
        guard violations.isEmpty else {
            throw Failure.corruptSnapshot(game: game, underlying: GameRecord.OutOfBounds(violations: violations))
        }
        return record
    }

    /// The shards were just taken: every open game of theirs is fenced before their commands are
    /// served, so a stale holder's writes to them are refused from now on (even to a game not
    /// loaded yet). Returns how many were fenced; a game a newer holder fenced throws `Fenced`.
    public func fenceGames(in shards: Set<GameShard>) async throws -> Int {
        guard fence != nil else { return 0 }
        let games = try await activeGames().filter { shards.contains(GameShard(of: $0)) }
        // Sent together (pipelined on the connection): a takeover of many games waits one round
        // trip per batch, not one per game.
        var fenced = 0, failure: (any Error)?
        for batch in stride(from: 0, to: games.count, by: 256).map({ games[$0..<min($0 + 256, games.count)] }) {
            await withTaskGroup(of: (any Error)?.self) { group in
                for game in batch {
                    group.addTask {
                        do {
                            _ = try await redis.eval(Self.loadScript, fence: fence, game: game, keys: [RedisChannels.snapshotKey(game)],
                                                     arguments: ["0"])
                            return nil
                        } catch {
                            return error
                        }
                    }
                }
                for await error in group {
                    if let error { failure = failure ?? error } else { fenced += 1 }
                }
            }
        }
        if let failure { throw failure }
        return fenced
    }

    public func activeGames() async throws -> [GameID] {
        let reply = try await redis.send(["SMEMBERS", RedisArgument(Self.activeGamesKey)])
        return (reply.array ?? []).compactMap { $0.string.flatMap(GameID.init(rawValue:)) }
    }

    /// Persists and publishes an outcome. `previousSeq` is the seq the record had before the command;
    /// `patch` is the `patch` message to this state (see `StatePatch`), published just before it.
    /// `updatingLobby` false skips the lobby list (see `GameRecord.lobbyEntryChanged(since:)`);
    /// `inFlight`: the game whose in-flight mark this outcome completes (deleted with it); `log`: the
    /// command log's line for this state (`GameLogEntry.line`).
    public func commit(_ outcome: Outcome, previousSeq: Int, patch: String? = nil, updatingLobby: Bool = true, inFlight: GameID? = nil,
                       log: String? = nil) async throws {
        if let record = outcome.record, let stateMessage = outcome.stateMessage {
            var arguments: [RedisArgument] = [
                RedisArgument(previousSeq), RedisArgument(WireJSON.encode(record)),
                RedisArgument(stateMessage), RedisArgument(RedisChannels.state(record.game)), RedisArgument(timeToLive(of: record)),
                RedisArgument(patch ?? ""), RedisArgument(log ?? ""), RedisArgument(maxLogEntries),
            ]
            // Waiting for replicas, the replies go out once they confirmed the commit, not from the script.
            if !replicaWait.waits {
                for reply in outcome.replies {
                    arguments.append(RedisArgument(RedisChannels.replies(gateway: reply.gateway)))
                    arguments.append(RedisArgument(WireJSON.encode(reply.reply)))
                }
            }
            let game = record.game
            let result: (reply: RESPValue, replicated: Bool)
            do {
                result = try await redis.evalWaiting(Self.commitScript, fence: fence, game: game, keys: Self.commitKeys(game, clearing: inFlight != nil),
                                                     arguments: arguments, replicas: replicaWait.replicas,
                                                     timeoutMilliseconds: replicaWait.timeoutMilliseconds)
            } catch let error as RedisError where error.isServerError("STALE") {
                throw Failure.stale(game: game, expected: previousSeq, found: "\(error)")
            }
            if replicaWait.waits { try await publishReplies(outcome.replies, replicated: result.replicated) }
            if updatingLobby {
                do {
                    // The commit just checked the fence.
                    try await updateLobby(record, checkingFence: false)
                } catch {
                    throw Failure.lobbyNotUpdated(game: game, underlying: error)
                }
            }
        } else {
            var messages: [(channel: String, payload: String)] = outcome.replies.map {
                (RedisChannels.replies(gateway: $0.gateway), WireJSON.encode($0.reply))
            }
            guard let game = inFlight ?? outcome.replies.first?.reply.game else { return }
            if let broadcast = outcome.broadcast {
                messages.insert((RedisChannels.state(game), broadcast), at: 0)
            }
            if replicaWait.waits, outcome.replies.contains(where: { $0.reply.acknowledges }) {
                // A retried command's first answer (`RecentCommands`): its commit may not be on a
                // replica yet either. WAIT on the game's connection covers every write before it.
                let replicated = try await redis.evalWaiting(Self.waitScript, keys: [RedisChannels.lastStateKey(game)], arguments: [],
                                                             replicas: replicaWait.replicas,
                                                             timeoutMilliseconds: replicaWait.timeoutMilliseconds).replicated
                messages = messages.map { message in
                    guard !replicated, let reply = try? WireJSON.decode(AuthorityReply.self, from: message.payload), reply.acknowledges else {
                        return message
                    }
                    return (message.channel, WireJSON.encode(reply.unreplicated))
                }
            }
            try await publish(messages, for: game, clearing: inFlight != nil)
        }
    }

    /// A game's command log as a document (`GameLogFile`), with its last published state; nil
    /// when the game has none. Plain reads (an operator's read-only user runs no script).
    public func readLog(_ game: GameID) async throws -> String? {
        guard let last = try await redis.getString(RedisChannels.lastStateKey(game)) else { return nil }
        let count = GameLogFile.linesToRead(last: last, game: game)
        let reply = try await redis.send(["LRANGE", RedisArgument(RedisChannels.logKey(game)), "0", RedisArgument(count - 1)])
        let lines = (reply.array ?? []).compactMap(\.string)
        return lines.isEmpty ? nil : GameLogFile.render(game: game, lines: lines, last: last)
    }

    /// After a commit that waited for replicas: its replies, or, when the replicas did not confirm
    /// it in time, `authority_unavailable` instead of each acknowledgement (the command was applied
    /// on the master, which may yet lose it: the client retries with the same id, and
    /// `RecentCommands` answers it as the first time if the commit survived, or it is applied anew).
    private func publishReplies(_ replies: [Outcome.Reply], replicated: Bool) async throws {
        guard !replies.isEmpty else { return }
        let commands: [[RedisArgument]] = replies.map { reply in
            let answer = replicated || !reply.reply.acknowledges ? reply.reply : reply.reply.unreplicated
            return ["PUBLISH", RedisArgument(RedisChannels.replies(gateway: reply.gateway)), RedisArgument(WireJSON.encode(answer))]
        }
        if let refused = try await redis.pipeline(commands).lazy.compactMap(\.errorMessage).first { throw RedisError.server(refused) }
    }

    /// Writes nothing: run on the game's key only to reach its node's connection, where `WAIT` follows.
    static let waitScript = RedisScript("return 1")

    /// KEYS: the in-flight mark to delete, if any. ARGV: (channel, message) pairs.
    static let publishScript = LeaseFence.Scripts("""
    for i = 1, #ARGV, 2 do
      redis.call('PUBLISH', ARGV[i], ARGV[i + 1])
    end
    if KEYS[1] then redis.call('DEL', KEYS[1]) end
    return 1
    """)

    /// Publishes messages about `game` that change no state (errors, chat), fenced by its shard: a
    /// stale authority's are refused. `clearing`: the game's in-flight mark goes with them.
    func publish(_ messages: [(channel: String, payload: String)], for game: GameID, clearing: Bool = false) async throws {
        guard !messages.isEmpty || clearing else { return }
        _ = try await redis.eval(Self.publishScript, fence: fence, game: game, keys: clearing ? [Self.inFlightKey(game)] : [],
                                 arguments: messages.flatMap { [RedisArgument($0.channel), RedisArgument($0.payload)] })
    }

    /// The lobby list lives in a hash (game -> entry) that gateways read; a message on the lobby
    /// channel tells them to read it again (`announce`). Games that are not listed (finished, or a
    /// lobby everyone left) leave the list and the active set: there is nothing to resume.
    public func updateLobby(_ record: GameRecord, announce: Bool = true, checkingFence: Bool = true) async throws {
        try await writeLobby(record.game, entry: record.isListed ? record.lobbyEntry : nil, phase: record.state.phase.rawValue, announce: announce,
                             checkingFence: checkingFence)
    }

    /// Takes a game whose record the authority refused (quarantined) out of the lobby list and the
    /// active games, leaving its keys for an operator to inspect.
    public func unlist(_ game: GameID) async throws {
        try await writeLobby(game, entry: nil, phase: "quarantined", announce: true, checkingFence: true)
    }

    private func writeLobby(_ game: GameID, entry: JSONValue?, phase: String, announce: Bool, checkingFence: Bool) async throws {
        let announcement = WireJSON.encode(JSONValue.object([
            "type": .string("lobby_changed"), "game": .string(game.rawValue), "phase": .string(phase),
        ]))
        // The fence first, in the game's slot; then the lobby hash and the active set, global keys
        // (each in a slot of its own on a cluster), and the announcement after them. Not one
        // script, so a stale holder that passed the fence just before the new holder fenced the
        // game may still write its entry after the new holder's (docs/operations.md, "Fencing"):
        // the next lobby write of the game, by its holder, puts it right.
        if checkingFence, fence != nil {
            _ = try await redis.eval(Self.publishScript, fence: fence, game: game, keys: [], arguments: [])
        }
        let name = RedisArgument(game.rawValue)
        var commands: [[RedisArgument]] = if let entry {
            [["HSET", RedisArgument(RedisChannels.lobbyKey), name, RedisArgument(WireJSON.encode(entry))],
             ["SADD", RedisArgument(Self.activeGamesKey), name]]
        } else {
            [["HDEL", RedisArgument(RedisChannels.lobbyKey), name], ["SREM", RedisArgument(Self.activeGamesKey), name]]
        }
        if announce { commands.append(["PUBLISH", RedisArgument(RedisChannels.lobby), RedisArgument(announcement)]) }
        if let refused = try await redis.pipeline(commands).lazy.compactMap(\.errorMessage).first { throw RedisError.server(refused) }
    }
}

/// How many replicas confirm a commit before it is acknowledged (`REDIS_WAIT_REPLICAS`,
/// `REDIS_WAIT_TIMEOUT_MS`). Redis replicates asynchronously: a master that dies right after a
/// commit may take it with it, and the replica promoted in its place never had it. Waiting (`WAIT`
/// on the commit's connection) closes that window for acknowledged commands, at the price of a
/// replica round trip per commit and, while no replica answers, `timeout` per commit (after
/// which the client gets `authority_unavailable` and retries). On a cluster a master that has no
/// replica left (its replica was promoted after a failover) is not waited for: nothing could confirm.
public struct ReplicaWait: Sendable, Equatable {
    public var replicas: Int
    public var timeoutMilliseconds: Int

    public static let none = ReplicaWait(replicas: 0, timeoutMilliseconds: 0)
    public static let defaultTimeoutMilliseconds = 500

    public init(replicas: Int, timeoutMilliseconds: Int = ReplicaWait.defaultTimeoutMilliseconds) {
        self.replicas = max(0, replicas)
        self.timeoutMilliseconds = max(1, timeoutMilliseconds)
    }

    var waits: Bool { replicas > 0 }
}

extension AuthorityReply {
    /// An answer that tells the client its command took effect.
    var acknowledges: Bool { kind == .ack || kind == .welcome }

    /// What the client gets instead when the commit was not confirmed by the replicas.
    var unreplicated: AuthorityReply {
        AuthorityReply(kind: .error, command: command, connection: connection, game: game, code: .authorityUnavailable,
                       message: "the command was applied but no replica confirmed it in time: send it again with the same id")
    }
}
