import Redis
import RelayProtocol

/// `MAX_GAMES_PER_CLIENT` and `CREATE_RATE_PER_MINUTE` counted over every authority: a create
/// lands on the shard of the id its gateway drew, so on any authority, and counted by each one
/// alone an address got M times the limit with M authorities. One hash per client address,
/// `monopoly:client:{ADDRESS}:games`: `g:GAME` → until when the open game counts (ms, Redis's
/// clock), `rate` → the create token bucket (`tokens:ms`). Each script touches that one key, so
/// it is atomic and Redis Cluster-safe. The key and each entry expire: a reservation whose create
/// never committed (an authority that died in between) frees itself after `ttlMilliseconds`; the
/// authority holding an open game renews its entry every `refreshInterval`, and deletes it when
/// the game stops being open (finished, closed, its lobby left empty).
struct ClientQuota: Sendable {
    let redis: RedisCommands
    let limit: Int
    /// Nil: no rate (tests that create many games).
    let createsPerMinute: Double?

    init(commands redis: RedisCommands, limit: Int, createsPerMinute: Double?) {
        self.redis = redis
        self.limit = limit
        self.createsPerMinute = createsPerMinute
    }

    init(redis: RedisClient, limit: Int, createsPerMinute: Double?) {
        self.init(commands: .single(redis), limit: limit, createsPerMinute: createsPerMinute)
    }
    static let ttlMilliseconds = 300_000
    static let refreshInterval: Duration = .seconds(60)

    static func key(_ address: String) -> String { "monopoly:client:{\(address)}:games" }

    /// KEYS: the client's hash. ARGV: the game, the open-games limit, creates per minute (0: no
    /// rate), the entries' TTL. 0: reserved (or was already), 1: too many open games, 2: too fast.
    /// The open games are checked first, so a refused create takes nothing from the rate.
    static let reserveScript = RedisScript("""
    local time = redis.call('TIME')
    local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
    local field = 'g:' .. ARGV[1]
    local open = 0
    local fields = redis.call('HGETALL', KEYS[1])
    for i = 1, #fields, 2 do
      local name = fields[i]
      if string.sub(name, 1, 2) == 'g:' then
        if (tonumber(fields[i + 1]) or 0) <= now then
          redis.call('HDEL', KEYS[1], name)
        elseif name == field then
          return 0
        else
          open = open + 1
        end
      end
    end
    if open >= tonumber(ARGV[2]) then return 1 end
    local rate = tonumber(ARGV[3])
    if rate > 0 then
      local tokens = rate
      local bucket = redis.call('HGET', KEYS[1], 'rate')
      if bucket then
        local sep = string.find(bucket, ':', 1, true)
        local held, last = tonumber(string.sub(bucket, 1, (sep or 1) - 1)), tonumber(string.sub(bucket, (sep or 0) + 1))
        if held and last then tokens = math.min(rate, held + math.max(0, now - last) * rate / 60000) end
      end
      if tokens < 1 then return 2 end
      redis.call('HSET', KEYS[1], 'rate', tostring(tokens - 1) .. ':' .. now)
    end
    redis.call('HSET', KEYS[1], field, now + tonumber(ARGV[4]))
    redis.call('PEXPIRE', KEYS[1], ARGV[4])
    return 0
    """)

    /// KEYS: the client's hash. ARGV: the TTL, then the open games of the client this authority holds.
    static let refreshScript = RedisScript("""
    local time = redis.call('TIME')
    local until_ = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000) + tonumber(ARGV[1])
    for i = 2, #ARGV do redis.call('HSET', KEYS[1], 'g:' .. ARGV[i], until_) end
    redis.call('PEXPIRE', KEYS[1], ARGV[1])
    return 1
    """)

    /// Counts `game` for `address` over every authority, or why not.
    func reserve(_ game: GameID, for address: String) async throws -> CreateRefusal? {
        let rate = createsPerMinute.map { String($0) } ?? "0"
        let answer = try await redis.eval(Self.reserveScript, keys: [Self.key(address)], arguments: [
            RedisArgument(game.rawValue), RedisArgument(String(limit)), RedisArgument(rate), RedisArgument(String(Self.ttlMilliseconds)),
        ]).int
        switch answer {
        case 1: return .tooManyGames
        case 2: return .tooFast
        default: return nil
        }
    }

    /// The game is no longer open: its creator's slot is free at once.
    func release(_ game: GameID, of address: String) async throws {
        _ = try await redis.send(["HDEL", RedisArgument(Self.key(address)), RedisArgument("g:" + game.rawValue)])
    }

    /// Renews the entries of the open games this authority holds (they would expire otherwise).
    func refresh(_ games: [GameID], of address: String) async throws {
        _ = try await redis.eval(Self.refreshScript, keys: [Self.key(address)],
                                 arguments: [RedisArgument(String(Self.ttlMilliseconds))] + games.map { RedisArgument($0.rawValue) })
    }
}
