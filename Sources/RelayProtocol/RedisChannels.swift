/// Every channel, and every key that gateway and authority share, in one place (the authority's
/// own bookkeeping keys live beside their code: `GameStore.activeGamesKey`, `LeaseFence.key`,
/// `PoisonGuard`'s). All start with `monopoly:`; a game's carry its id in a Redis Cluster hash tag,
/// so one game's keys and channels live on one shard.
/// Every payload is one line of UTF-8 JSON: `redis-cli PSUBSCRIBE 'monopoly:*'` is a live feed.
public enum RedisChannels {
    /// Gateway -> the authority holding the shard: command envelopes for the shard's games (see
    /// `GameShard`). The shard number is the hash tag, so in a cluster one shard's commands go
    /// through one slot. An authority subscribes to the channels of the shards it holds, only.
    /// Renamed from the per-game `monopoly:{GAME}:cmd`: gateways and authorities upgrade together.
    public static func shardCommands(_ shard: GameShard) -> String { "monopoly:shard:{\(shard.rawValue)}:cmd" }
    /// Every shard's command channel (the gateway's ACL grant; a test's stand-in authority).
    public static let allShardCommandsPattern = "monopoly:shard:{*}:cmd"
    /// The shard whose command channel `channel` is (the inverse of `shardCommands(_:)`).
    public static func shard(ofCommandChannel channel: String) -> GameShard? {
        let prefix = "monopoly:shard:{", suffix = "}:cmd"
        guard channel.hasPrefix(prefix), channel.hasSuffix(suffix), channel.utf8.count <= prefix.utf8.count + suffix.utf8.count + 2 else { return nil }
        let number = String(channel.dropFirst(prefix.count).dropLast(suffix.count))
        // Only the name `shardCommands` makes: no sign, no leading zero.
        guard let shard = Int(number).flatMap(GameShard.init(rawValue:)), String(shard.rawValue) == number else { return nil }
        return shard
    }
    /// Authority -> gateways: every accepted command's new state, `seq` increasing by one.
    public static func state(_ game: GameID) -> String { "monopoly:{\(game.rawValue)}:state" }
    /// The game whose state channel `channel` is (the inverse of `state(_:)`); nil for any other name.
    public static func game(ofStateChannel channel: String) -> GameID? {
        let prefix = "monopoly:{", suffix = "}:state"
        guard channel.hasPrefix(prefix), channel.hasSuffix(suffix), channel.utf8.count > prefix.utf8.count + suffix.utf8.count else { return nil }
        return GameID(rawValue: String(channel.dropFirst(prefix.count).dropLast(suffix.count)))
    }
    /// Authority -> one gateway: acknowledgements, welcomes, errors, seat revocations.
    public static func replies(gateway: String) -> String { "monopoly:gateway:{\(gateway)}:reply" }
    /// Authority -> gateways: the open-games list changed.
    public static let lobby = "monopoly:lobby"

    /// The game's snapshot: {"game","seq","state"} as JSON, written atomically with the publish.
    public static func snapshotKey(_ game: GameID) -> String { "monopoly:{\(game.rawValue)}:snapshot" }
    /// The game's last published sequence number (checked by the publish script: a fence).
    public static func sequenceKey(_ game: GameID) -> String { "monopoly:{\(game.rawValue)}:seq" }
    /// The last published state message, exactly as sent: what a spectator or a rejoining player
    /// gets at once (the snapshot holds secrets such as the deck order; this does not).
    public static func lastStateKey(_ game: GameID) -> String { "monopoly:{\(game.rawValue)}:last" }
    /// The game's command log: one JSON line per published state (`seq`, what was applied, the
    /// state's SHA-256), appended by the commit script; `monopoly replay` re-runs it.
    public static func logKey(_ game: GameID) -> String { "monopoly:{\(game.rawValue)}:log" }
    /// Hash game id -> lobby entry JSON of every game not finished.
    public static let lobbyKey = "monopoly:lobby:games"
    /// An authority serving games: value = the id of the last serving authority to look, set with
    /// PX `LEASE_MS` by each on every observation (`ShardLeases`); gone when none serves. Gateways
    /// answer `authority_unavailable` at once without it.
    public static let authorityLeaseKey = "monopoly:authority:lease"
    /// A shard's lease: value = the authority holding it, set with NX PX `LEASE_MS` and renewed.
    public static func shardLeaseKey(_ shard: GameShard) -> String { "monopoly:shard:{\(shard.rawValue)}:lease" }
    /// A shard's fencing token: incremented each time its lease is taken; the new holder copies it
    /// into the fence of each game it fences (`LeaseFence`), which every write checks.
    public static func shardFenceKey(_ shard: GameShard) -> String { "monopoly:shard:{\(shard.rawValue)}:fence" }
    /// Sorted set authority id -> when its membership expires (ms, Redis's clock): the live
    /// authorities, whose number sets each one's fair share of the shards.
    public static let authorityMembersKey = "monopoly:authorities"
    /// A gateway's heartbeat: value = the instance holding the name (`GatewayIdentity`), set with
    /// NX PX `GATEWAY_TIMEOUT` and renewed; when it expires, the authority frees that gateway's seats.
    public static func gatewayHeartbeatKey(name: String) -> String { "monopoly:gateway:{\(name)}" }
}
