import NIOConcurrencyHelpers
import Redis
import RelayProtocol

/// The fencing tokens of the shard leases this authority holds (see `ShardLeases`), and the
/// per-game fences they are checked against. A shard's `monopoly:shard:{N}:fence` is incremented by
/// the script that takes its lease (so a shard's tokens only rise); each game carries the token of
/// the last holder of its shard that loaded it in `monopoly:{GAME}:fence`, in the game's own hash
/// slot (a Redis Cluster refuses a script whose keys span two slots, so a game's scripts cannot read
/// the shard's keys). Every write of the authority (commits included) checks, in the same Lua
/// script, that the game's fence is not above our token: the new holder of a shard fences the
/// shard's open games when it takes it (`GameStore.fenceGames`), before it serves a command, and
/// every other game when it loads it (`GameStore.load`, the fence and the read in one script). A
/// stale authority (its lease expired while it was paused, or a second process with the same id)
/// is then refused: it cannot commit a state, re-list a finished game, publish an error or a chat
/// line twice, or quarantine a game. A game the new holder has not fenced yet (in no index: a
/// finished game, one never created) can still take a stale write; that write precedes the new
/// holder's load, which reads it in the script that fences the game, and the commit's seq
/// compare-and-set refuses anything the holder did not read: no write is ever lost or overwritten
/// (docs/operations.md, "Fencing").
public final class LeaseFence: Sendable {
    /// The holder's id in every lease.
    public let holder: String
    /// The token of each shard held now.
    private let tokens = NIOLockedValueBox<[GameShard: Int]>([:])

    public init(holder: String) {
        self.holder = holder
    }

    /// The game's fence: the token of the last holder of its shard that loaded or wrote it.
    public static func key(_ game: GameID) -> String { "monopoly:{\(game.rawValue)}:fence" }

    func token(of shard: GameShard) -> Int? { tokens.withLockedValue { $0[shard] } }

    func held(_ shard: GameShard, token: Int) { tokens.withLockedValue { $0[shard] = token } }
    func lost(_ shard: GameShard) { tokens.withLockedValue { $0[shard] = nil } }

    /// The check every fenced script starts with. KEYS[1] the game's fence, ARGV[1] our token:
    /// refused when the fence is above it (a newer holder of the shard fenced the game), raised to
    /// it when below (keeping a finished game's expiry). The fence is created only by the scripts
    /// that must (`FENCE` and `TOKEN` name it for them): a commit, a load of a stored game. The
    /// script's own keys and arguments follow, and are its `KEYS` and `ARGV` from then on.
    /// `FENCED` is true when the fence already held our token (a write that would set it again,
    /// with no expiry, may skip it: nothing gives an open game's fence an expiry).
    static let check = """
    local FENCE, TOKEN, FENCED = KEYS[1], ARGV[1], false
    do
      local stored = tonumber(redis.call('GET', FENCE) or '')
      if stored and stored > tonumber(TOKEN) then
        return redis.error_reply('FENCED a newer holder of the shard fenced the game')
      end
      if stored and stored < tonumber(TOKEN) then redis.call('SET', FENCE, TOKEN, 'KEEPTTL') end
      FENCED = stored == tonumber(TOKEN)
    end
    local KEYS, ARGV = {unpack(KEYS, 2)}, {unpack(ARGV, 2)}
    """

    /// On a Redis Cluster a game's channels are sharded: this, put before a script, makes its
    /// `redis.call('PUBLISH', channel, ...)` an SPUBLISH when the channel is a game's
    /// (`monopoly:{GAME}:...`, in the slot of the game's keys, which the script runs on), and
    /// leaves global channels (the lobby, the gateways' replies) on classic PUBLISH. The scripts'
    /// bodies stay the same on one Redis and on a cluster.
    static let shardedPublish = """
    local call = redis.call
    local redis = setmetatable({call = function(command, ...)
      if command == 'PUBLISH' and string.sub((...), 1, 10) == 'monopoly:{' then return call('SPUBLISH', ...) end
      return call(command, ...)
    end}, {__index = redis})
    """

    /// What an unfenced script starts with: no fence to name.
    static let unfencedPrelude = "local FENCE, TOKEN, FENCED = nil, nil, false\n"

    /// A script in its forms: fenced (the check first) and unfenced (for a store without a lease),
    /// each for one Redis and for a cluster (``shardedPublish`` first).
    public struct Scripts: Sendable {
        let fenced: RedisScript
        let unfenced: RedisScript
        let fencedSharded: RedisScript
        let unfencedSharded: RedisScript

        init(_ body: String) {
            fenced = RedisScript(LeaseFence.check + "\n" + body)
            unfenced = RedisScript(LeaseFence.unfencedPrelude + body)
            fencedSharded = RedisScript(LeaseFence.shardedPublish + "\n" + LeaseFence.check + "\n" + body)
            unfencedSharded = RedisScript(LeaseFence.shardedPublish + "\n" + LeaseFence.unfencedPrelude + body)
        }

        func script(fenced isFenced: Bool, cluster: Bool) -> RedisScript {
            switch (isFenced, cluster) {
            case (true, false): fenced
            case (false, false): unfenced
            case (true, true): fencedSharded
            case (false, true): unfencedSharded
            }
        }
    }

    /// The fenced script's keys and arguments before its own, for a write to `game`.
    func prefix(for game: GameID) throws -> (keys: [String], arguments: [RedisArgument]) {
        guard let token = token(of: GameShard(of: game)) else { throw Fenced() }
        return ([Self.key(game)], [RedisArgument(token)])
    }

    /// Refused: we do not hold the lease of the game's shard (any more).
    public struct Fenced: Error, CustomStringConvertible {
        public var description: String { "FENCED: this authority does not hold the game's shard" }
    }
}

extension RedisCommands {
    /// Runs the script for `game` fenced by `fence`, or unfenced without one (tests that drive a store
    /// without a lease). A FENCED reply throws `Fenced`.
    func eval(_ scripts: LeaseFence.Scripts, fence: LeaseFence?, game: GameID, keys: [String], arguments: [RedisArgument]) async throws -> RESPValue {
        try await evalWaiting(scripts, fence: fence, game: game, keys: keys, arguments: arguments).reply
    }

    /// ``eval(_:fence:game:keys:arguments:)``, then `WAIT replicas` on the same connection (see
    /// ``RedisCommands/evalWaiting(_:keys:arguments:replicas:timeoutMilliseconds:)``).
    func evalWaiting(_ scripts: LeaseFence.Scripts, fence: LeaseFence?, game: GameID, keys: [String], arguments: [RedisArgument],
                     replicas: Int = 0, timeoutMilliseconds: Int = 0) async throws -> (reply: RESPValue, replicated: Bool) {
        let (fenceKeys, fenceArguments) = try fence?.prefix(for: game) ?? ([], [])
        let result = try await evalWaiting(scripts.script(fenced: fence != nil, cluster: isCluster), keys: fenceKeys + keys,
                                           arguments: fenceArguments + arguments, replicas: replicas, timeoutMilliseconds: timeoutMilliseconds)
        if let message = result.reply.errorMessage {
            if message.hasPrefix("FENCED") { throw LeaseFence.Fenced() }
            throw RedisError.server(message)
        }
        return result
    }
}
