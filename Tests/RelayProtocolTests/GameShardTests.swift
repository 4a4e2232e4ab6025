import Testing
import RelayProtocol

/// A game's shard is its Redis Cluster slot range: the slot must be Redis's own (CRC-16/XMODEM of
/// the hash tag, mod 16384), and the mapping may never change between versions.
struct GameShardTests {
    /// Slots as `redis-cli CLUSTER KEYSLOT` gives them (and CRC-16/XMODEM's check value).
    @Test(arguments: [("123456789", 0x31C3), ("foo", 12182), ("bar", 5061), ("hello", 866), ("", 0)])
    func theSlotIsRedisClusters(_ tag: String, _ slot: Int) {
        #expect(GameShard.slot(of: tag) == slot)
    }

    /// Pinned: a change here moves games between authorities of different versions (a migration).
    @Test(arguments: [("ABC234", 2), ("HOSTIL", 1), ("FENCE2", 57), ("7", 6)])
    func gamesMapToFixedShards(_ game: String, _ shard: Int) {
        let id = GameID(rawValue: game)!
        #expect(GameShard(of: id).rawValue == shard)
        #expect(GameShard(of: id).rawValue == GameShard.slot(of: game) / GameShard.slotsPerShard)
    }

    @Test func gamesSpreadOverEveryShard() {
        var counts = [Int](repeating: 0, count: GameShard.count)
        for number in 0..<64_000 { counts[GameShard(of: GameID(rawValue: "G\(number)")!).rawValue] += 1 }
        // 1000 expected per shard.
        #expect(counts.min()! > 800 && counts.max()! < 1200, "\(counts)")
    }

    @Test func commandChannelsNameTheirShardAndOnlyThat() {
        for shard in GameShard.all {
            #expect(RedisChannels.shard(ofCommandChannel: RedisChannels.shardCommands(shard)) == shard)
        }
        #expect(RedisChannels.shardCommands(GameShard(rawValue: 7)!) == "monopoly:shard:{7}:cmd")
        for other in ["monopoly:shard:{07}:cmd", "monopoly:shard:{+7}:cmd", "monopoly:shard:{64}:cmd", "monopoly:shard:{-1}:cmd",
                      "monopoly:shard:{}:cmd", "monopoly:shard:{7}:state", "monopoly:{ABC234}:cmd", "monopoly:shard:{100}:cmd",
                      "monopoly:shard:{ 7}:cmd"] {
            #expect(RedisChannels.shard(ofCommandChannel: other) == nil, "\(other)")
        }
        #expect(GameShard(rawValue: GameShard.count) == nil && GameShard(rawValue: -1) == nil)
    }
}
