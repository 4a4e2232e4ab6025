import Foundation
import Monopoly
import Redis
import RelayProtocol

/// What an authority is applying to a game right now, in `monopoly:{GAME}:inflight`: written
/// before the engine runs, deleted by the commit that follows (or right after a refusal). A mark
/// another process left behind means that process died applying it; a game two processes died on
/// in a row is quarantined (`GameStore.quarantine`), so the authority and its standby do not
/// crash on it in turn for ever.
public struct InFlight: Codable, Sendable, Equatable {
    /// What was being applied: "build by p1 (command gw1-7)", "bot roll by p2".
    public var command: String
    /// The writer's `GameStore.processInstance`: a mark of this very process is no death.
    public var process: String
    /// How many processes died on this game in a row before this command was marked.
    public var crashes: Int

    public init(command: String, process: String, crashes: Int) {
        self.command = command
        self.process = process
        self.crashes = crashes
    }

    /// After this many deaths in a row, a game is quarantined.
    public static let quarantineAfter = 2

    /// A mark is read when the game is next loaded, which every takeover does for the active games
    /// within seconds; the expiry only keeps a game nobody loads again from keeping its mark for
    /// ever (a death then forgotten is one strike fewer, never one more).
    public static let timeToLiveMilliseconds = 86_400_000
}

/// Hand-written (see `JSONWritable`): written before every command.
extension InFlight: JSONWritable {
    public func writeJSON(to out: inout JSONOutput) {
        out.object { o in
            o.field("command", command)
            o.field("crashes", crashes)
            o.field("process", process)
        }
    }
}

/// Why a game is quarantined: one field of `monopoly:games:quarantined` (game id -> this, JSON).
public struct Quarantine: Codable, Sendable, Equatable {
    public var reason: String
    /// The command two processes died on (nil for a record that could not be loaded).
    public var command: String?
    /// When (seconds since 1970).
    public var at: Double

    public init(reason: String, command: String?, at: Double) {
        self.reason = reason
        self.command = command
        self.at = at
    }
}

extension GameStore {
    /// Hash game id -> `Quarantine` JSON: the list of games no authority plays until an operator
    /// lifts it (`monopoly admin unquarantine GAME`), for operators and `/metrics`.
    public static let quarantinedKey = "monopoly:games:quarantined"

    public static func inFlightKey(_ game: GameID) -> String { "monopoly:{\(game.rawValue)}:inflight" }
    /// The game's own `Quarantine` entry: what a load checks (beside the game's other keys, in one
    /// slot of a cluster, and readable by an authority limited to game keys).
    public static func quarantineKey(_ game: GameID) -> String { "monopoly:{\(game.rawValue)}:quarantine" }

    /// This process, unique per boot (host, pid, random suffix): whose in-flight marks are whose.
    public static let processInstance: String = {
        let host = ProcessInfo.processInfo.hostName
        return "\(host)-\(getpid())-\(String(UInt32.random(in: 0...UInt32.max), radix: 36))"
    }()

    /// Written (and awaited) before the engine runs: if the process dies before the commit, the
    /// mark says on what.
    /// KEYS: the key. ARGV: its value.
    static let setScript = LeaseFence.Scripts("""
    redis.call('SET', KEYS[1], ARGV[1])
    return 1
    """)

    static let markScript = LeaseFence.Scripts("""
    redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
    return 1
    """)

    func markInFlight(_ game: GameID, command: String, crashes: Int) async throws {
        let mark = InFlight(command: command, process: Self.processInstance, crashes: crashes)
        _ = try await redis.eval(Self.markScript, fence: fence, game: game, keys: [Self.inFlightKey(game)],
                                 arguments: [RedisArgument(WireJSON.encode(mark)), RedisArgument(InFlight.timeToLiveMilliseconds)])
    }

    func clearInFlight(_ game: GameID) async throws {
        try await publish([], for: game, clearing: true)
    }

    /// The game's quarantine entry and its in-flight mark, as Redis has them. An unreadable mark
    /// counts as a death with no command named (someone wrote it; only an authority should).
    func health(_ game: GameID) async throws -> (quarantine: Quarantine?, inFlight: InFlight?) {
        let replies = try await redis.pipeline([
            ["GET", RedisArgument(Self.quarantineKey(game))],
            ["GET", RedisArgument(Self.inFlightKey(game))],
        ])
        if let refused = replies.lazy.compactMap(\.errorMessage).first { throw RedisError.server(refused) }
        let quarantine = replies[0].bytes.map {
            (try? WireJSON.decode(Quarantine.self, from: $0)) ?? Quarantine(reason: "unreadable quarantine entry", command: nil, at: 0)
        }
        let inFlight = replies[1].bytes.map {
            (try? WireJSON.decode(InFlight.self, from: $0)) ?? InFlight(command: "unknown (unreadable mark)", process: "", crashes: 0)
        }
        return (quarantine, inFlight)
    }

    /// Quarantines the game: recorded in `monopoly:games:quarantined`, out of the lobby list and the
    /// active games; its snapshot, last state and seq are left as they are for inspection.
    func quarantine(_ game: GameID, _ entry: Quarantine) async throws {
        let value = RedisArgument(WireJSON.encode(entry))
        _ = try await redis.eval(Self.setScript, fence: fence, game: game, keys: [Self.quarantineKey(game)], arguments: [value])
        // Apart from the game's script (another hash slot of a cluster), after it: the list is a
        // convenience (the game's key is what a load checks), so an authority limited to game keys
        // quarantines still.
        _ = try? await redis.send(["HSET", RedisArgument(Self.quarantinedKey), RedisArgument(game.rawValue), value])
        try await unlist(game)
    }

    /// Every quarantined game, for `/metrics` after a start or a takeover.
    public func quarantinedGames() async throws -> [GameID: Quarantine] {
        let reply = try await redis.send(["HGETALL", RedisArgument(Self.quarantinedKey)])
        let fields = reply.array ?? []
        var games: [GameID: Quarantine] = [:]
        for index in stride(from: 0, to: fields.count - 1, by: 2) {
            guard let game = fields[index].string.flatMap(GameID.init(rawValue:)), let bytes = fields[index + 1].bytes,
                  let entry = try? WireJSON.decode(Quarantine.self, from: bytes) else { continue }
            games[game] = entry
        }
        return games
    }

    /// The operator's `monopoly admin unquarantine`: the entry and the mark go, an unfinished game
    /// is active again (resumed at the next start or takeover), and an envelope that changes
    /// nothing wakes it on the authority that holds its shard now. Returns whether it was quarantined.
    public func unquarantine(_ game: GameID) async throws -> Bool {
        let replies = try await redis.pipeline([
            ["HDEL", RedisArgument(Self.quarantinedKey), RedisArgument(game.rawValue)],
            ["DEL", RedisArgument(Self.quarantineKey(game))],
            ["DEL", RedisArgument(Self.inFlightKey(game))],
        ])
        if let refused = replies.lazy.compactMap(\.errorMessage).first { throw RedisError.server(refused) }
        let removed = replies[0].int == 1 || replies[1].int == 1
        if let record = try? await load(game), record.isListed {
            _ = try await redis.send(["SADD", RedisArgument(Self.activeGamesKey), RedisArgument(game.rawValue)])
        }
        let wake = CommandEnvelope(id: "unquarantine-\(Self.processInstance)", gateway: "operator", connection: "0", game: game,
                                   player: nil, seat: nil, message: .disconnect)
        _ = try await redis.publishSharded(RedisChannels.shardCommands(GameShard(of: game)), RedisArgument(WireJSON.encode(wake)))
        return removed
    }
}
