import NIOConcurrencyHelpers
import Redis
import RelayProtocol

/// The fencing tokens of the shard leases this authority holds (see `ShardLeases`): a shard's
/// `monopoly:shard:{N}:fence` is incremented by the script that takes its lease, and every write of
/// the authority (commits included) checks, in the same Lua script, that the lease of the game's
/// shard is still ours and its token still the one we took it with. A stale authority (its lease
/// expired while it was paused, or a second process with the same id) is refused: it cannot commit
/// a state, re-list a finished game, publish an error or a chat line twice, or quarantine a game.
public final class LeaseFence: Sendable {
    /// The holder's id in every lease.
    public let holder: String
    /// The token of each shard held now.
    private let tokens = NIOLockedValueBox<[GameShard: Int]>([:])

    public init(holder: String) {
        self.holder = holder
    }

    func token(of shard: GameShard) -> Int? { tokens.withLockedValue { $0[shard] } }

    func held(_ shard: GameShard, token: Int) { tokens.withLockedValue { $0[shard] = token } }
    func lost(_ shard: GameShard) { tokens.withLockedValue { $0[shard] = nil } }

    /// The check every fenced script starts with. KEYS[1] the shard's lease, KEYS[2] its fence;
    /// ARGV[1] the holder, ARGV[2] the token. The script's own keys and arguments follow, and are
    /// its `KEYS` and `ARGV` from then on.
    static let check = """
    if redis.call('GET', KEYS[1]) ~= ARGV[1] or redis.call('GET', KEYS[2]) ~= ARGV[2] then
      return redis.error_reply('FENCED the shard lease is not ours')
    end
    local KEYS, ARGV = {unpack(KEYS, 3)}, {unpack(ARGV, 3)}
    """

    /// A script in both forms: fenced (the check first) and unfenced (for a store without a lease).
    public struct Scripts: Sendable {
        let fenced: RedisScript
        let unfenced: RedisScript

        init(_ body: String) {
            fenced = RedisScript(LeaseFence.check + "\n" + body)
            unfenced = RedisScript(body)
        }
    }

    /// The fenced script's keys and arguments before its own, for a write to `game`.
    func prefix(for game: GameID) throws -> (keys: [String], arguments: [RedisArgument]) {
        let shard = GameShard(of: game)
        guard let token = token(of: shard) else { throw Fenced() }
        return ([RedisChannels.shardLeaseKey(shard), RedisChannels.shardFenceKey(shard)], [RedisArgument(holder), RedisArgument(token)])
    }

    /// Refused: we do not hold the lease of the game's shard (any more).
    public struct Fenced: Error, CustomStringConvertible {
        public var description: String { "FENCED: this authority does not hold the game's shard" }
    }
}

extension RedisClient {
    /// Runs the script for `game` fenced by `fence`, or unfenced without one (tests that drive a store
    /// without a lease). A FENCED reply throws `Fenced`.
    func eval(_ scripts: LeaseFence.Scripts, fence: LeaseFence?, game: GameID, keys: [String], arguments: [RedisArgument]) async throws -> RESPValue {
        let reply: RESPValue
        do {
            if let fence {
                let (fenceKeys, fenceArguments) = try fence.prefix(for: game)
                reply = try await eval(scripts.fenced, keys: fenceKeys + keys, arguments: fenceArguments + arguments)
            } else {
                reply = try await eval(scripts.unfenced, keys: keys, arguments: arguments)
            }
        } catch let error as RedisError where error.isServerError("FENCED") {
            throw LeaseFence.Fenced()
        }
        if let message = reply.errorMessage {
            if message.hasPrefix("FENCED") { throw LeaseFence.Fenced() }
            throw RedisError.server(message)
        }
        return reply
    }
}
