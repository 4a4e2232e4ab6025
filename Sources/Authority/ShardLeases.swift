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
    private let redis: RedisClient
    private var machine: ShardAssignment
    private let origin = ContinuousClock.now
    /// Why the last observation failed (Redis unreachable, or refused it); nil when it did not.
    private(set) public var lastObservationFailure: String?

    public enum Change: Sendable, Equatable {
        case serve(GameShard)
        case drop(GameShard)
    }

    public init(holder: String, redis: RedisClient, ttlMilliseconds: Int = 3000) {
        self.holder = holder
        self.redis = redis
        self.ttlMilliseconds = ttlMilliseconds
        fence = LeaseFence(holder: holder)
        machine = ShardAssignment(id: holder, leaseMilliseconds: ttlMilliseconds)
    }

    public var heldShards: [GameShard] { machine.heldShards }

    /// KEYS: the members set, the presence key, every shard's lease. ARGV: our id, the TTL, "1" if we
    /// serve a shard, the membership's TTL. Counts us a member until then (Redis's clock: every
    /// authority reads the same one), forgets those whose time ran out, and returns the members and
    /// each shard's holder ("" for none). Membership lasts half a lease: a dead authority stops
    /// counting in the fair share before its leases expire, so its shards are taken as they do.
    static let observeScript = RedisScript("""
    local time = redis.call('TIME')
    local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
    redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
    redis.call('ZADD', KEYS[1], now + tonumber(ARGV[4]), ARGV[1])
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    if ARGV[3] == '1' then redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2]) end
    local holders = {}
    for i = 3, #KEYS do holders[#holders + 1] = redis.call('GET', KEYS[i]) or '' end
    return {redis.call('ZRANGE', KEYS[1], 0, -1), holders}
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

    /// KEYS: the members set, the presence key. ARGV: our id. The presence key goes only with the
    /// last live member: while others live, one of them sets it again within a poll, and a gateway
    /// that read it in between would answer `authority_unavailable` at once to commands whose
    /// shards are merely moving to those others.
    static let leaveScript = RedisScript("""
    redis.call('ZREM', KEYS[1], ARGV[1])
    if redis.call('GET', KEYS[2]) == ARGV[1] then
      local time = redis.call('TIME')
      local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
      if redis.call('ZCOUNT', KEYS[1], now, '+inf') == 0 then redis.call('DEL', KEYS[2]) end
    end
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
            let reply = try await redis.eval(Self.observeScript,
                                             keys: [RedisChannels.authorityMembersKey, RedisChannels.authorityLeaseKey]
                                                 + GameShard.all.map(RedisChannels.shardLeaseKey),
                                             arguments: [RedisArgument(holder), RedisArgument(ttlMilliseconds),
                                                         RedisArgument(machine.heldShards.isEmpty ? "0" : "1"),
                                                         RedisArgument(max(1, ttlMilliseconds / 2))])
            if let message = reply.errorMessage { throw RedisError.server(message) }
            let parts = reply.array ?? []
            let members = Set((parts.first?.array ?? []).compactMap(\.string))
            var holders: [GameShard: String] = [:]
            for (index, value) in (parts.dropFirst().first?.array ?? []).enumerated() {
                if let shard = GameShard(rawValue: index), let holder = value.string, !holder.isEmpty { holders[shard] = holder }
            }
            lastObservationFailure = nil
            event = .observed(members: members, holders: holders, at: at)
        } catch {
            lastObservationFailure = "\(error)"
            event = .redisUnreachable
        }
        return await run(machine.handle(event))
    }

    /// Redis is (or just was) unreachable: nothing can be proven, every shard is dropped.
    public func unreachable() async -> [Change] {
        await run(machine.handle(.redisUnreachable))
    }

    /// SIGTERM: every shard dropped and released at once (the others take them at their next
    /// observation), and we are no member any more.
    public func stop() async -> [Change] {
        let changes = await run(machine.handle(.stopping))
        _ = try? await redis.eval(Self.leaveScript, keys: [RedisChannels.authorityMembersKey, RedisChannels.authorityLeaseKey],
                                  arguments: [RedisArgument(holder)])
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
            let answers = await withTaskGroup(of: ShardAssignment.Event?.self) { group in
                for action in scripts { group.addTask { await self.perform(action) } }
                var answers: [ShardAssignment.Event] = []
                for await answer in group { if let answer { answers.append(answer) } }
                return answers
            }
            pending = answers.flatMap { machine.handle($0) }
        }
        return changes
    }

    /// Runs one lease script; its answer, or nil when Redis did not answer (an unanswered renewal
    /// runs out on its own; an unanswered take may have taken the lease, which then expires).
    private nonisolated func perform(_ action: ShardAssignment.Action) async -> ShardAssignment.Event? {
        switch action {
        case .acquire(let shard):
            let token = try? await redis.eval(Self.takeScript, keys: keys(shard),
                                              arguments: [RedisArgument(holder), RedisArgument(ttlMilliseconds)]).int
            return token.map { $0 > 0 ? .acquired(shard, token: $0) : .notAcquired(shard) } ?? .notAcquired(shard)
        case .renew(let shard, let token):
            guard let renewed = try? await redis.eval(Self.renewScript, keys: keys(shard), arguments: [
                RedisArgument(holder), RedisArgument(ttlMilliseconds), RedisArgument(token),
            ]).int else { return nil }
            return renewed == 1 ? .renewed(shard) : .renewRefused(shard)
        case .release(let shard, let token):
            _ = try? await redis.eval(Self.releaseScript, keys: keys(shard), arguments: [RedisArgument(holder), RedisArgument(token)])
            return nil
        case .resume, .drop:
            return nil
        }
    }

    private nonisolated func keys(_ shard: GameShard) -> [String] {
        [RedisChannels.shardLeaseKey(shard), RedisChannels.shardFenceKey(shard)]
    }

    /// Who holds each shard now, as Redis says (operators and tests).
    public static func holders(redis: RedisClient) async throws -> [GameShard: String] {
        let reply = try await redis.send(["MGET"] + GameShard.all.map { RedisArgument(RedisChannels.shardLeaseKey($0)) })
        var holders: [GameShard: String] = [:]
        for (index, value) in (reply.array ?? []).enumerated() {
            if let shard = GameShard(rawValue: index), let holder = value.string { holders[shard] = holder }
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
