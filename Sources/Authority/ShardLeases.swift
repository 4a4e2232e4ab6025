import Logging
import Redis
import RelayProtocol

/// The shell of `ShardAssignment`: reads the members and the shard leases from Redis (and counts
/// this authority a member), runs the lease scripts the machine asks for, feeds their answers back,
/// and keeps `LeaseFence` in step. What it returns is what the service must start or stop serving.
/// Gateways read `monopoly:authority:lease`, which each serving authority sets to its id with the
/// lease's TTL on every observation: no authority alive means `authority_unavailable` at once.
public actor ShardLeases {
    public nonisolated let holder: String
    public nonisolated let ttlMilliseconds: Int
    public nonisolated let fence: LeaseFence
    private let redis: RedisCommands
    private var machine: ShardAssignment
    private let origin = ContinuousClock.now
    /// Why the last observation failed (Redis unreachable, or refused it); nil when it did not.
    private(set) public var lastObservationFailure: String?

    public enum Change: Sendable, Equatable {
        case serve(GameShard)
        case drop(GameShard)
    }

    public init(holder: String, redis: RedisClient, ttlMilliseconds: Int = 3000) {
        self.init(holder: holder, commands: .single(redis), ttlMilliseconds: ttlMilliseconds)
    }

    public init(holder: String, commands redis: RedisCommands, ttlMilliseconds: Int = 3000) {
        self.holder = holder
        self.redis = redis
        self.ttlMilliseconds = ttlMilliseconds
        fence = LeaseFence(holder: holder)
        machine = ShardAssignment(id: holder, leaseMilliseconds: ttlMilliseconds)
    }

    public var heldShards: [GameShard] { machine.heldShards }

    /// KEYS: the members set. ARGV: our id, the TTL, the membership's TTL. Counts us a member
    /// until then (Redis's clock: every authority reads the same one), forgets those whose time ran
    /// out, and returns the members. Membership lasts half a lease: a dead authority stops counting
    /// in the fair share before its leases expire, so its shards are taken as they do. One key: the
    /// presence key and the shards' leases are read beside it (each in a slot of its own on a
    /// Redis Cluster, where a script's keys must share one).
    static let observeScript = RedisScript("""
    local time = redis.call('TIME')
    local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
    redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
    redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    return redis.call('ZRANGE', KEYS[1], 0, -1)
    """)

    /// Takes a shard's lease if free and draws its next fencing token (KEYS: lease, fence).
    static let takeScript = RedisScript("""
    if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
      return redis.call('INCR', KEYS[2])
    end
    return 0
    """)

    /// Renews only our own lease, taken with our token (a stale holder, or another process under
    /// the same id, must never extend someone else's).
    static let renewScript = RedisScript("""
    if redis.call('GET', KEYS[1]) == ARGV[1] and redis.call('GET', KEYS[2]) == ARGV[3] then
      return redis.call('PEXPIRE', KEYS[1], ARGV[2])
    end
    return 0
    """)

    static let releaseScript = RedisScript("""
    if redis.call('GET', KEYS[1]) == ARGV[1] and redis.call('GET', KEYS[2]) == ARGV[2] then
      return redis.call('DEL', KEYS[1])
    end
    return 0
    """)

    /// KEYS: the members set. How many members live (Redis's clock): the last one to leave takes
    /// the presence key with it (`leaveScript`).
    static let liveMembersScript = RedisScript("""
    local time = redis.call('TIME')
    local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
    return redis.call('ZCOUNT', KEYS[1], now, '+inf')
    """)

    /// KEYS: the presence key. ARGV: our id. The presence key goes only with the last live member
    /// (`liveMembersScript` counts them just before: another slot of a cluster): while others
    /// live, one of them sets it again within a poll, and a gateway that read it in between would
    /// answer `authority_unavailable` at once to commands whose shards are merely moving to them.
    static let leaveScript = RedisScript("""
    if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
    return 1
    """)

    private var now: Int {
        let elapsed = ContinuousClock.now - origin
        return Int(elapsed.components.seconds) * 1000 + Int(elapsed.components.attoseconds / 1_000_000_000_000_000)
    }

    /// One round: observe, then take, renew and release as the machine says.
    public func step() async -> [Change] {
        let at = now
        let event: ShardAssignment.Event
        do {
            let (members, holders) = try await observe()
            lastObservationFailure = nil
            event = .observed(members: members, holders: holders, at: at)
        } catch {
            lastObservationFailure = "\(error)"
            event = .redisUnreachable
        }
        return await run(machine.handle(event))
    }

    /// The observation: the members (counting us one), our presence key while we hold shards,
    /// and who holds each lease. One Redis: sent together, one round trip (the poll runs every
    /// `standbyPollMilliseconds`, busy or not); a cluster: one after the other, the presence key and
    /// the leases each in a slot of its own.
    private func observe() async throws -> (members: Set<String>, holders: [GameShard: String]) {
        let observeArguments: [RedisArgument] = [
            RedisArgument(holder), RedisArgument(ttlMilliseconds), RedisArgument(max(1, ttlMilliseconds / 2)),
        ]
        let presence: [RedisArgument]? = machine.heldShards.isEmpty ? nil
            : ["SET", RedisArgument(RedisChannels.authorityLeaseKey), RedisArgument(holder), "PX", RedisArgument(ttlMilliseconds)]
        func members(_ reply: RESPValue) throws -> Set<String> {
            if let message = reply.errorMessage { throw RedisError.server(message) }
            return Set((reply.array ?? []).compactMap(\.string))
        }
        if case .single(let client) = redis {
            let observe: [RedisArgument] = ["EVALSHA", RedisArgument(Self.observeScript.sha1), "1", RedisArgument(RedisChannels.authorityMembersKey)]
                + observeArguments
            let replies = try await client.pipeline([observe] + (presence.map { [$0] } ?? []) + [Self.holdersCommand])
            // A Redis that does not have the script yet (a new or restarted server, SCRIPT FLUSH):
            // it is loaded by EVAL, and the rest read again after it, as on a cluster.
            if replies[0].errorMessage?.hasPrefix("NOSCRIPT") != true {
                if let refused = replies.dropFirst().lazy.compactMap(\.errorMessage).first { throw RedisError.server(refused) }
                return (try members(replies[0]), try Self.holders(fromMGET: replies[replies.count - 1]))
            }
        }
        let reply = try await redis.eval(Self.observeScript, keys: [RedisChannels.authorityMembersKey], arguments: observeArguments)
        let live = try members(reply)
        if let presence, let message = try await redis.send(presence).errorMessage { throw RedisError.server(message) }
        return (live, try await Self.holders(commands: redis))
    }

    /// Redis is (or just was) unreachable: nothing can be proven, every shard is dropped.
    public func unreachable() async -> [Change] {
        await run(machine.handle(.redisUnreachable))
    }

    /// SIGTERM: every shard dropped and released at once (the others take them at their next
    /// observation), and we are no member any more.
    public func stop() async -> [Change] {
        let changes = await run(machine.handle(.stopping))
        _ = try? await redis.send(["ZREM", RedisArgument(RedisChannels.authorityMembersKey), RedisArgument(holder)])
        if (try? await redis.eval(Self.liveMembersScript, keys: [RedisChannels.authorityMembersKey]))?.int == 0 {
            _ = try? await redis.eval(Self.leaveScript, keys: [RedisChannels.authorityLeaseKey], arguments: [RedisArgument(holder)])
        }
        return changes
    }

    /// Serves and drops at once (the fence first: a dropped shard's writes are refused from now
    /// on), then runs the lease scripts together and handles their answers, until none is left.
    private func run(_ actions: [ShardAssignment.Action]) async -> [Change] {
        var changes: [Change] = []
        var pending = actions
        while !pending.isEmpty {
            var scripts: [ShardAssignment.Action] = []
            for action in pending {
                switch action {
                case .resume(let shard, let token):
                    fence.held(shard, token: token)
                    changes.append(.serve(shard))
                case .drop(let shard):
                    fence.lost(shard)
                    changes.append(.drop(shard))
                case .acquire, .renew, .release:
                    scripts.append(action)
                }
            }
            pending = await performAll(scripts).flatMap { machine.handle($0) }
        }
        return changes
    }

    /// Runs the lease scripts; their answers (see ``perform(_:)``). One Redis: sent together, one
    /// round trip (every held shard is renewed three times per lease); a cluster: concurrently,
    /// each to its own slot's master. Scripts Redis does not have yet run one by one (EVAL loads them).
    private nonisolated func performAll(_ actions: [ShardAssignment.Action]) async -> [ShardAssignment.Event] {
        guard !actions.isEmpty else { return [] }
        var unanswered = actions
        var answers: [ShardAssignment.Event] = []
        if case .single(let client) = redis, actions.count > 1 {
            let commands = actions.compactMap(script)
            if commands.count == actions.count, let replies = try? await client.pipeline(commands.map { script, keys, arguments in
                ["EVALSHA", RedisArgument(script.sha1), RedisArgument(keys.count)] + keys.map { RedisArgument($0) } + arguments
            }) {
                unanswered = []
                for (action, reply) in zip(actions, replies) {
                    if reply.errorMessage?.hasPrefix("NOSCRIPT") == true {
                        unanswered.append(action)
                    } else if let answer = Self.answer(to: action, reply.errorMessage == nil ? reply : nil) {
                        answers.append(answer)
                    }
                }
            } else if commands.count == actions.count {
                // Redis did not answer: as each script alone would have.
                return actions.compactMap { Self.answer(to: $0, nil) }
            }
        }
        return await withTaskGroup(of: ShardAssignment.Event?.self) { group in
            for action in unanswered { group.addTask { await self.perform(action) } }
            for await answer in group { if let answer { answers.append(answer) } }
            return answers
        }
    }

    /// A lease script's script, keys and arguments (nil: the action is no script).
    private nonisolated func script(_ action: ShardAssignment.Action) -> (RedisScript, [String], [RedisArgument])? {
        switch action {
        case .acquire(let shard):
            (Self.takeScript, keys(shard), [RedisArgument(holder), RedisArgument(ttlMilliseconds)])
        case .renew(let shard, let token):
            (Self.renewScript, keys(shard), [RedisArgument(holder), RedisArgument(ttlMilliseconds), RedisArgument(token)])
        case .release(let shard, let token):
            (Self.releaseScript, keys(shard), [RedisArgument(holder), RedisArgument(token)])
        case .resume, .drop:
            nil
        }
    }

    /// What the machine is told of a lease script's reply (nil: Redis did not answer, or refused it).
    private static func answer(to action: ShardAssignment.Action, _ reply: RESPValue?) -> ShardAssignment.Event? {
        switch action {
        case .acquire(let shard):
            // An unanswered take may have taken the lease, which then expires.
            return reply?.int.map { $0 > 0 ? .acquired(shard, token: $0) : .notAcquired(shard) } ?? .notAcquired(shard)
        case .renew(let shard, _):
            // An unanswered renewal runs out on its own.
            guard let renewed = reply?.int else { return nil }
            return renewed == 1 ? .renewed(shard) : .renewRefused(shard)
        case .release, .resume, .drop:
            return nil
        }
    }

    /// Runs one lease script; its answer, or nil when Redis did not answer (an unanswered renewal
    /// runs out on its own; an unanswered take may have taken the lease, which then expires).
    private nonisolated func perform(_ action: ShardAssignment.Action) async -> ShardAssignment.Event? {
        guard let (script, keys, arguments) = script(action) else { return nil }
        return Self.answer(to: action, try? await redis.eval(script, keys: keys, arguments: arguments))
    }

    private nonisolated func keys(_ shard: GameShard) -> [String] {
        [RedisChannels.shardLeaseKey(shard), RedisChannels.shardFenceKey(shard)]
    }

    /// Who holds each shard now, as Redis says (the poll, operators and tests): one MGET on one
    /// Redis; one GET a lease on a Redis Cluster (each in a slot of its own, where MGET's keys must
    /// share one), pipelined.
    public static func holders(redis: RedisClient) async throws -> [GameShard: String] {
        try await holders(commands: .single(redis))
    }

    public static func holders(commands redis: RedisCommands) async throws -> [GameShard: String] {
        if case .single(let client) = redis {
            let reply = try await client.pipeline([holdersCommand])[0]
            if let refused = reply.errorMessage { throw RedisError.server(refused) }
            return try holders(fromMGET: reply)
        }
        let replies = try await redis.pipeline(GameShard.all.map { ["GET", RedisArgument(RedisChannels.shardLeaseKey($0))] })
        if let refused = replies.lazy.compactMap(\.errorMessage).first { throw RedisError.server(refused) }
        return holders(replies)
    }

    /// One Redis: every lease in one MGET (64 GETs cost Redis and us 64 commands, every poll).
    private static let holdersCommand: [RedisArgument] = ["MGET"] + GameShard.all.map { RedisArgument(RedisChannels.shardLeaseKey($0)) }

    private static func holders(fromMGET reply: RESPValue) throws -> [GameShard: String] {
        guard let values = reply.array, values.count == GameShard.count else {
            throw RedisError.unexpectedReply("MGET of the shard leases returned \(reply)")
        }
        return holders(values)
    }

    /// Shard by shard, in `GameShard.all`'s order: a lease's value (nil or empty: free).
    private static func holders(_ values: [RESPValue]) -> [GameShard: String] {
        var holders: [GameShard: String] = [:]
        for (shard, value) in zip(GameShard.all, values) {
            if let holder = value.string, !holder.isEmpty { holders[shard] = holder }
        }
        return holders
    }
}

extension ShardLeases.Change {
    /// What a batch of changes asks of the service: the shards to stop (their runners, their
    /// channel), then those to start. A shard dropped then served again in one batch (the lease
    /// lapsed during a pause and was taken back at once, under a new token, maybe after another
    /// holder played its games) is in both: its runners stop and its games are loaded again.
    static func stopsAndStarts(_ changes: [ShardLeases.Change]) -> (stop: Set<GameShard>, start: Set<GameShard>) {
        var stop: Set<GameShard> = [], start: Set<GameShard> = []
        for change in changes {
            switch change {
            case .serve(let shard): start.insert(shard)
            case .drop(let shard): stop.insert(shard); start.remove(shard)
            }
        }
        return (stop, start)
    }
}
