import NIOConcurrencyHelpers
import RelayProtocol

/// The open games (in the lobby or running) of each creator's address, as far as this authority
/// holds them: at most `limit` per address (`MAX_GAMES_PER_CLIENT`), so one host cannot fill the
/// lobby and the authorities with games. What decides a `create` is `ClientQuota`, counted over
/// every authority in Redis; this count is what a service without it (tests) decides by, and
/// what `ClientQuota.refresh` renews. Pure; `OpenGamesLedger` shares it between the game runners.
struct OpenGames: Sendable, Equatable {
    let limit: Int
    /// Game -> its creator's address, for the games counted.
    private(set) var creators: [GameID: String] = [:]
    /// Address -> how many of its games are open (no entry at zero).
    private(set) var counts: [String: Int] = [:]

    init(limit: Int) {
        self.limit = limit
    }

    /// Counts `game` for `address` if the address has room: false when it holds `limit` open games.
    mutating func reserve(_ game: GameID, for address: String) -> Bool {
        if creators[game] == address { return true }
        guard counts[address, default: 0] < limit else { return false }
        set(game, creator: address)
        return true
    }

    /// `game` is open and was created from `creator`; nil: it is not open (finished, closed, never
    /// created), which frees its creator's slot.
    mutating func set(_ game: GameID, creator: String?) {
        let previous = creators[game]
        guard previous != creator else { return }
        if let previous {
            let left = counts[previous, default: 1] - 1
            counts[previous] = left > 0 ? left : nil
        }
        creators[game] = creator
        if let creator { counts[creator, default: 0] += 1 }
    }

    func count(for address: String) -> Int { counts[address, default: 0] }
}

/// Why the authority refuses a `create` of a client address.
enum CreateRefusal: Equatable {
    /// It holds `MAX_GAMES_PER_CLIENT` open games.
    case tooManyGames
    /// Past `CREATE_RATE_PER_MINUTE` over every gateway (for the creates of this authority's
    /// shards): each gateway counts only the creates it forwards, so through N gateways (the load
    /// balancer spreads one host's connections) an address would get N times the rate.
    case tooFast
    /// This authority holds `MAX_GAMES_PER_AUTHORITY` open games.
    case full
}

/// `OpenGames` and the creates per minute of each address behind a lock, shared by the runners: a
/// runner reserves a slot before it applies a `create` (in Redis with `quota`, over every
/// authority; else here) and reports its game's creator after every input.
final class OpenGamesLedger: Sendable {
    private struct Quota {
        var games: OpenGames
        var rate: AddressRateLimit?
    }

    private let quota: NIOLockedValueBox<Quota>
    let createsPerMinute: Double?
    /// The system-wide count in Redis; nil: counted here alone (tests).
    let clientQuota: ClientQuota?
    /// Open games this authority holds at most (`MAX_GAMES_PER_AUTHORITY`): a create past it is
    /// refused; games it takes over are loaded whatever the count (their players are waiting).
    let capacity: Int

    /// `createsPerMinute`: nil, no rate (tests that create many games).
    init(limit: Int, createsPerMinute: Double? = nil, clientQuota: ClientQuota? = nil, capacity: Int = .max) {
        self.createsPerMinute = createsPerMinute
        self.clientQuota = clientQuota
        self.capacity = capacity
        quota = NIOLockedValueBox(Quota(games: OpenGames(limit: limit), rate: createsPerMinute.map { AddressRateLimit(perMinute: $0) }))
    }

    var limit: Int { quota.withLockedValue(\.games.limit) }

    /// Counts `game` for `address` (nil), or why not: the open games are checked first, so a
    /// refused create takes nothing from the rate.
    func reserve(_ game: GameID, for address: String, now: ContinuousClock.Instant = .now) -> CreateRefusal? {
        quota.withLockedValue { quota in
            if quota.games.creators[game] == address { return nil }
            guard quota.games.creators.count < capacity else { return .full }
            guard quota.games.count(for: address) < quota.games.limit else { return .tooManyGames }
            if quota.rate?.allow(address, now: now) == false { return .tooFast }
            return quota.games.reserve(game, for: address) ? nil : .tooManyGames
        }
    }

    /// Counts `game` toward this authority's open games if it holds fewer than `capacity` (the
    /// create's slot in Redis is reserved after it, by `ClientQuota`): reserved here, under the
    /// lock, so creates on several runners at once cannot all pass the last free room.
    func reserveRoom(_ game: GameID, for address: String) -> Bool {
        quota.withLockedValue { quota in
            if quota.games.creators[game] != nil { return true }
            guard quota.games.creators.count < capacity else { return false }
            quota.games.set(game, creator: address)
            return true
        }
    }

    /// Returns the creator it was counted for before (nil: none).
    @discardableResult
    func set(_ game: GameID, creator: String?) -> String? {
        quota.withLockedValue { quota in
            defer { quota.games.set(game, creator: creator) }
            return quota.games.creators[game]
        }
    }

    /// The open games counted, by their creator's address.
    func gamesByCreator() -> [String: [GameID]] {
        quota.withLockedValue { quota in
            var byCreator: [String: [GameID]] = [:]
            for (game, creator) in quota.games.creators { byCreator[creator, default: []].append(game) }
            return byCreator
        }
    }

    func count(for address: String) -> Int {
        quota.withLockedValue { $0.games.count(for: address) }
    }

    /// Every shard is lost: the next holders count for themselves.
    func removeAll() {
        quota.withLockedValue { $0.games = OpenGames(limit: $0.games.limit) }
    }
}
