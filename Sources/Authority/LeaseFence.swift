import NIOConcurrencyHelpers
import Redis
import RelayProtocol

/// The fencing token of the authority lease: `monopoly:authority:fence` is incremented by the
/// script that takes the lease, and every write of the authority other than a commit (which the
/// game's `seq` fences) checks, in the same Lua script, that the lease is still ours and the token
/// still the one we took it with. A stale authority (its lease expired while it was paused, or a
/// second process with the same id) is refused: it cannot re-list a finished game, publish an
/// error or a chat line twice, or quarantine a game.
public final class LeaseFence: Sendable {
    public static let key = "monopoly:authority:fence"

    /// The holder's id and token while the lease is ours; nil otherwise.
    private let current = NIOLockedValueBox<(holder: String, token: Int)?>(nil)

    public init() {}

    var token: (holder: String, token: Int)? { current.withLockedValue { $0 } }

    func held(by holder: String, token: Int) { current.withLockedValue { $0 = (holder, token) } }
    func lost() { current.withLockedValue { $0 = nil } }

    /// The check every fenced script starts with. KEYS[1] the lease, KEYS[2] the fence;
    /// ARGV[1] the holder, ARGV[2] the token.
    static let check = """
    if redis.call('GET', KEYS[1]) ~= ARGV[1] or redis.call('GET', KEYS[2]) ~= ARGV[2] then
      return redis.error_reply('FENCED the authority lease is not ours')
    end
    """

    /// A script in both forms: fenced (the check first; the body's own keys and arguments start
    /// after the fence's: `KEYS[k + 1]`, `ARGV[a + 1]`) and unfenced (for a store without a lease).
    public struct Scripts: Sendable {
        let fenced: RedisScript
        let unfenced: RedisScript

        init(_ body: String) {
            fenced = RedisScript(LeaseFence.check + "\nlocal k, a = 2, 2\n" + body)
            unfenced = RedisScript("local k, a = 0, 0\n" + body)
        }
    }

    /// The fenced script's keys and arguments before its own.
    func prefix() throws -> (keys: [String], arguments: [RedisArgument]) {
        guard let (holder, token) = token else { throw Fenced() }
        return ([RedisChannels.authorityLeaseKey, Self.key], [RedisArgument(holder), RedisArgument(token)])
    }

    /// Refused: we do not hold the lease (any more).
    public struct Fenced: Error, CustomStringConvertible {
        public var description: String { "FENCED: this authority does not hold the lease" }
    }
}

extension RedisClient {
    /// Runs the script fenced by `fence`, or unfenced without one (tests that drive a store without a lease). A FENCED reply throws `Fenced`.
    func eval(_ scripts: LeaseFence.Scripts, fence: LeaseFence?, keys: [String], arguments: [RedisArgument]) async throws -> RESPValue {
        let reply: RESPValue
        do {
            if let fence {
                let (fenceKeys, fenceArguments) = try fence.prefix()
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
