import RelayProtocol

/// Which shards this authority holds, as a pure state machine: events in (what Redis says about the
/// members and the leases, the answers to our own lease scripts, time passing, SIGTERM), actions
/// out (take, renew or release a lease; start or stop serving a shard). `ShardLeases` runs it.
///
/// The fair share is `ceil(shards / live authorities)`. Below it, an authority takes free shards,
/// those it ranks first (rendezvous: each authority ranks the shards by a hash of its id and the
/// shard, so authorities joining together rarely reach for the same ones). Above it (an authority
/// joined, so someone is short), it releases the shards it ranks last; above the floor while a
/// member is below it, one such shard (so shares differ by one at most), and while a member is below
/// the floor the others take only up to the floor (so they leave it that shard). A shard nobody took for a
/// whole lease (its would-be taker is a member that just died) is taken by anyone.
///
/// A shard is served only while its lease is surely ours: from the answer to a take until one lease
/// after the last renewal that Redis confirmed was *sent* (Redis starts the TTL later than that).
/// Past that moment (the process was paused, Redis did not answer) the shard is dropped at the next
/// event, whatever Redis says later; the fencing token refuses any write made in between.
public struct ShardAssignment: Sendable, Equatable {
    /// Milliseconds of a monotonic clock (the shell's).
    public typealias Instant = Int

    public enum Event: Sendable, Equatable {
        /// Redis's view, read at `at`: the live authorities and each shard's holder.
        case observed(members: Set<String>, holders: [GameShard: String], at: Instant)
        /// Time passed (the shell could not observe): expire and renew only.
        case tick(at: Instant)
        /// A take (see `Action.acquire`) got the lease and this fencing token.
        case acquired(GameShard, token: Int)
        /// A take found the lease held.
        case notAcquired(GameShard)
        /// A renewal was confirmed (the lease is ours until one lease after it was asked for).
        case renewed(GameShard)
        /// A renewal was refused: someone else holds the lease, or it took another token.
        case renewRefused(GameShard)
        /// Redis could not be reached: nothing can be proven any more.
        case redisUnreachable
        /// SIGTERM: release everything at once, take nothing more.
        case stopping
    }

    public enum Action: Sendable, Equatable {
        /// Take the lease if free (drawing the shard's next fencing token).
        case acquire(GameShard)
        case renew(GameShard, token: Int)
        case release(GameShard, token: Int)
        /// The lease is ours with `token`: subscribe to the shard's commands, resume its games.
        case resume(GameShard, token: Int)
        /// The lease is no longer surely ours: stop the shard's games, unsubscribe.
        case drop(GameShard)
    }

    struct Held: Sendable, Equatable {
        let token: Int
        /// The last renewal (or the take) asked for, whose answer came: the lease lasts until one
        /// lease after it.
        var confirmedAt: Instant
        /// A renewal asked for and not answered yet.
        var renewingSince: Instant?
        /// When the shard was taken (an observation read before it cannot tell it is lost).
        let takenAt: Instant
    }

    public let id: String
    public let leaseMilliseconds: Int
    private(set) var held: [GameShard: Held] = [:]
    /// Takes asked for and not answered yet, with when they were asked.
    private(set) var acquiring: [GameShard: Instant] = [:]
    /// Since when each shard was seen without a holder.
    private(set) var freeSince: [GameShard: Instant] = [:]
    private(set) public var stopped = false

    public init(id: String, leaseMilliseconds: Int) {
        self.id = id
        self.leaseMilliseconds = max(3, leaseMilliseconds)
    }

    /// Renewed three times per lease.
    var renewEvery: Int { leaseMilliseconds / 3 }

    public var heldShards: [GameShard] { held.keys.sorted() }

    /// The token of a shard served now.
    public func token(of shard: GameShard) -> Int? { held[shard]?.token }

    /// Each authority's share: every shard is held when each holds this many.
    public static func fairShare(members: Int) -> Int {
        let members = max(1, members)
        return (GameShard.count + members - 1) / members
    }

    public mutating func handle(_ event: Event) -> [Action] {
        switch event {
        case .observed(let members, let holders, let now):
            guard !stopped else { return [] }
            var actions = expire(at: now)
            // Held by someone else as Redis says (read after we took it): gone.
            for (shard, entry) in held.sorted(by: { $0.key < $1.key }) where entry.takenAt < now && holders[shard] != id {
                held[shard] = nil
                actions.append(.drop(shard))
            }
            for shard in GameShard.all {
                if holders[shard] == nil { freeSince[shard] = freeSince[shard] ?? now } else { freeSince[shard] = nil }
            }
            actions += balance(members: members.union([id]), holders: holders, at: now)
            return actions + renewals(at: now)
        case .tick(let now):
            guard !stopped else { return [] }
            return expire(at: now) + renewals(at: now)
        case .acquired(let shard, let token):
            guard let asked = acquiring.removeValue(forKey: shard) else {
                // Not asked for (or asked before a stop): give it back.
                return [.release(shard, token: token)]
            }
            if stopped { return [.release(shard, token: token)] }
            held[shard] = Held(token: token, confirmedAt: asked, renewingSince: nil, takenAt: asked)
            freeSince[shard] = nil
            return [.resume(shard, token: token)]
        case .notAcquired(let shard):
            acquiring[shard] = nil
            return []
        case .renewed(let shard):
            guard var entry = held[shard], let asked = entry.renewingSince else { return [] }
            entry.confirmedAt = asked
            entry.renewingSince = nil
            held[shard] = entry
            return []
        case .renewRefused(let shard):
            guard held.removeValue(forKey: shard) != nil else { return [] }
            return [.drop(shard)]
        case .redisUnreachable:
            acquiring.removeAll()
            return dropAll()
        case .stopping:
            guard !stopped else { return [] }
            stopped = true
            acquiring.removeAll()
            let releasing = held.sorted(by: { $0.key < $1.key })
            held.removeAll()
            return releasing.map { Action.drop($0.key) } + releasing.map { Action.release($0.key, token: $0.value.token) }
        }
    }

    /// Drops every shard whose lease may have run out (no confirmed renewal for a whole lease).
    private mutating func expire(at now: Instant) -> [Action] {
        var actions: [Action] = []
        for (shard, entry) in held.sorted(by: { $0.key < $1.key }) where now - entry.confirmedAt >= leaseMilliseconds {
            held[shard] = nil
            actions.append(.drop(shard))
        }
        return actions
    }

    private mutating func renewals(at now: Instant) -> [Action] {
        var actions: [Action] = []
        for (shard, entry) in held.sorted(by: { $0.key < $1.key })
        where now - entry.confirmedAt >= renewEvery && entry.renewingSince.map({ now - $0 >= renewEvery }) ?? true {
            held[shard]!.renewingSince = now
            actions.append(.renew(shard, token: entry.token))
        }
        return actions
    }

    private mutating func dropAll() -> [Action] {
        let dropping = held.keys.sorted()
        held.removeAll()
        return dropping.map { .drop($0) }
    }

    private mutating func balance(members: Set<String>, holders: [GameShard: String], at now: Instant) -> [Action] {
        let share = Self.fairShare(members: members.count)
        let floor = GameShard.count / max(members.count, 1)
        var counts: [String: Int] = [:]
        for holder in holders.values { counts[holder, default: 0] += 1 }
        let someoneShort = members.contains { $0 != id && counts[$0, default: 0] < floor }
        let mine = held.count + acquiring.count
        let free = GameShard.all.filter { holders[$0] == nil && acquiring[$0] == nil && held[$0] == nil }
            .sorted { Self.rank(id, $0) > Self.rank(id, $1) }
        // Up to the floor only while another member is below it: the shard above the floor we gave
        // up for it (below) is then left to it, not taken back at our next observation.
        let target = someoneShort ? min(floor, share) : share
        if mine < target {
            let taking = free.prefix(target - mine)
            for shard in taking { acquiring[shard] = now }
            return taking.map { .acquire($0) }
        }
        if held.count > share, acquiring.isEmpty {
            let extras = held.keys.sorted { Self.rank(id, $0) < Self.rank(id, $1) }.prefix(held.count - share)
            var actions: [Action] = []
            for shard in extras.sorted() {
                let token = held.removeValue(forKey: shard)!.token
                actions += [.drop(shard), .release(shard, token: token)]
            }
            return actions
        }
        // Within the share, but above the floor while a member is below it (22, 22, 20 of 64):
        // one goes, so the shares differ by one at most.
        if held.count > floor, acquiring.isEmpty, let least = members.map({ counts[$0] ?? 0 }).min(), least < floor,
           let shard = held.keys.min(by: { Self.rank(id, $0) < Self.rank(id, $1) }) {
            let token = held.removeValue(forKey: shard)!.token
            return [.drop(shard), .release(shard, token: token)]
        }
        // Orphans: free for a whole lease, so the members short of them are not taking them.
        let orphans = free.filter { freeSince[$0].map { now - $0 >= leaseMilliseconds } ?? false }
        for shard in orphans { acquiring[shard] = now }
        return orphans.map { .acquire($0) }
    }

    /// Rendezvous rank of `shard` for authority `id`: FNV-1a 64 of "id/shard", then a final mix so
    /// neighbouring shards do not rank alike.
    static func rank(_ id: String, _ shard: GameShard) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in "\(id)/\(shard.rawValue)".utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        hash ^= hash >> 33
        hash = hash &* 0xff51_afd7_ed55_8ccd
        hash ^= hash >> 33
        return hash
    }
}
