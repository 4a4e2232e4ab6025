import Foundation
import Monopoly
import NIOPosix
import Redis
import RelayProtocol
import TestSupport
import Testing
@testable import Authority

/// Every script and multi-key command of the authority, with the keys its code gives them, run on
/// a real Redis Cluster (3 masters, 3 replicas) through `RedisClusterClient`, which refuses a
/// command whose keys span two hash slots (CROSSSLOT) before Redis would. The fenced scripts once
/// took the shard's lease and fence beside the game's keys: every one was refused.
/// Six redis-servers: run alone, in the Redis Cluster step of scripts/test (REDIS_CLUSTER_TESTS=1).
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["REDIS_CLUSTER_TESTS"] == "1"))
struct ClusterScriptTests {
    let game = GameID(rawValue: "CLUST1")!
    var shard: GameShard { GameShard(of: game) }

    @Test func everyScriptAndMultiKeyCommandKeepsToOneSlot() async throws {
        let cluster = try RedisClusterProcesses()
        var configuration = try RedisClusterConfiguration(cluster.seeds([cluster.nodes[0]]))
        configuration.maximumAttempts = 12
        let client = try await RedisClusterClient.connect(configuration: configuration, eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
        defer { Task { await client.close() } }

        // The shard's lease (ShardLeases): take, renew, observe, release, leave.
        let leaseKeys = [RedisChannels.shardLeaseKey(shard), RedisChannels.shardFenceKey(shard)]
        let token = try #require(try await client.eval(ShardLeases.takeScript, keys: leaseKeys, arguments: ["authority-1", "60000"]).int)
        #expect(token == 1)
        #expect(try await client.eval(ShardLeases.renewScript, keys: leaseKeys, arguments: ["authority-1", "60000", RedisArgument(token)]).int == 1)
        let members = try await client.eval(ShardLeases.observeScript, keys: [RedisChannels.authorityMembersKey],
                                            arguments: ["authority-1", "60000", "30000"])
        #expect(members.array?.compactMap(\.string) == ["authority-1"])
        try await client.send(["SET", RedisArgument(RedisChannels.authorityLeaseKey), "authority-1", "PX", "60000"])
        for other in GameShard.all { try await client.send(["GET", RedisArgument(RedisChannels.shardLeaseKey(other))]) }

        // Every fenced game script, with GameStore's keys and the fence's prefix.
        let fence = LeaseFence(holder: "authority-1")
        fence.held(shard, token: token)
        func fenced(_ scripts: LeaseFence.Scripts, by fence: LeaseFence, _ keys: [String], _ arguments: [RedisArgument]) async throws -> RESPValue {
            let (fenceKeys, fenceArguments) = try fence.prefix(for: game)
            return try await client.eval(scripts.fenced, keys: fenceKeys + keys, arguments: fenceArguments + arguments)
        }
        let snapshot = #"{"game":"CLUST1","seq":1}"#
        let commit: [RedisArgument] = [
            "0", RedisArgument(snapshot), #"{"type":"state","seq":1}"#, RedisArgument(RedisChannels.state(game)), "0", "", "", "100",
            RedisArgument(RedisChannels.replies(gateway: "gw1.1")), #"{"type":"ack"}"#,
        ]
        #expect(try await fenced(GameStore.commitScript, by: fence, GameStore.commitKeys(game, clearing: true), commit).int == 1)
        #expect(try await fenced(GameStore.loadScript, by: fence, [RedisChannels.snapshotKey(game)], ["1"]).string == snapshot)
        #expect(try await fenced(GameStore.markScript, by: fence, [GameStore.inFlightKey(game)], ["{}", "1000"]).int == 1)
        #expect(try await fenced(GameStore.publishScript, by: fence, [GameStore.inFlightKey(game)], ["monopoly:lobby", "x"]).int == 1)
        #expect(try await fenced(GameStore.publishScript, by: fence, [], []).int == 1)
        #expect(try await fenced(GameStore.setScript, by: fence, [GameStore.quarantineKey(game)], ["{}"]).int == 1)
        #expect(try await client.get(LeaseFence.key(game)) == Array("1".utf8))

        // The open games and creates of a client address over every authority: one key a client.
        let quota = ClientQuota.key("203.0.113.7")
        #expect(try await client.eval(ClientQuota.reserveScript, keys: [quota], arguments: ["CLUST1", "2", "10", "300000"]).int == 0)
        #expect(try await client.eval(ClientQuota.refreshScript, keys: [quota], arguments: ["300000", "CLUST1"]).int == 1)
        try await client.send(["HDEL", RedisArgument(quota), "g:CLUST1"])

        // The global writes beside them, and every other command: one key each.
        for command: [RedisArgument] in [
            ["HSET", RedisArgument(RedisChannels.lobbyKey), "CLUST1", "{}"], ["SADD", RedisArgument(GameStore.activeGamesKey), "CLUST1"],
            ["PUBLISH", RedisArgument(RedisChannels.lobby), "{}"], ["HDEL", RedisArgument(RedisChannels.lobbyKey), "CLUST1"],
            ["SREM", RedisArgument(GameStore.activeGamesKey), "CLUST1"], ["HSET", RedisArgument(GameStore.quarantinedKey), "CLUST1", "{}"],
            ["HDEL", RedisArgument(GameStore.quarantinedKey), "CLUST1"], ["SMEMBERS", RedisArgument(GameStore.activeGamesKey)],
            ["HGETALL", RedisArgument(GameStore.quarantinedKey)], ["LRANGE", RedisArgument(RedisChannels.logKey(game)), "0", "-1"],
            ["GET", RedisArgument(GameStore.inFlightKey(game))], ["GET", RedisArgument(GameStore.quarantineKey(game))],
            // The operator's unquarantine, one command each.
            ["DEL", RedisArgument(GameStore.quarantineKey(game))], ["DEL", RedisArgument(GameStore.inFlightKey(game))],
            // The gateway's: reads of a game, the presence key and the lobby; its heartbeat.
            ["GET", RedisArgument(RedisChannels.lastStateKey(game))], ["GET", RedisArgument(RedisChannels.authorityLeaseKey)],
            ["HVALS", RedisArgument(RedisChannels.lobbyKey)],
            ["SET", RedisArgument(RedisChannels.gatewayHeartbeatKey(name: "gw1")), "gw1.1", "NX", "PX", "60000"],
            ["PEXPIRE", RedisArgument(RedisChannels.gatewayHeartbeatKey(name: "gw1")), "60000"],
            ["GET", RedisArgument(RedisChannels.gatewayHeartbeatKey(name: "gw1"))],
            ["DEL", RedisArgument(RedisChannels.gatewayHeartbeatKey(name: "gw1"))],
        ] {
            try await client.send(command)
        }

        // A newer holder's load fences the game: the first one's writes are refused on the cluster too.
        let newer = LeaseFence(holder: "authority-2")
        newer.held(shard, token: token + 1)
        #expect(try await fenced(GameStore.loadScript, by: newer, [RedisChannels.snapshotKey(game)], ["0"]).int == 1)
        var stale = commit
        stale[0] = "1"
        await #expect(throws: RedisError.server("FENCED a newer holder of the shard fenced the game")) {
            try await fenced(GameStore.commitScript, by: fence, GameStore.commitKeys(game, clearing: false), stale)
        }
        #expect(try await client.get(RedisChannels.sequenceKey(game)) == Array("1".utf8))

        // And the shard is given back.
        #expect(try await client.eval(ShardLeases.releaseScript, keys: leaseKeys, arguments: ["authority-1", RedisArgument(token)]).int == 1)
        try await client.send(["ZREM", RedisArgument(RedisChannels.authorityMembersKey), "authority-1"])
        #expect(try await client.eval(ShardLeases.liveMembersScript, keys: [RedisChannels.authorityMembersKey]).int == 0)
        #expect(try await client.eval(ShardLeases.leaveScript, keys: [RedisChannels.authorityLeaseKey], arguments: ["authority-1"]).int == 1)

        // A client address's open games and create rate over every authority (ClientQuota): one key.
        let quotaKey = [ClientQuota.key("2001:db8::/64")]
        #expect(try await client.eval(ClientQuota.reserveScript, keys: quotaKey, arguments: [RedisArgument(game.rawValue), "1", "10", "300000"]).int == 0)
        #expect(try await client.eval(ClientQuota.reserveScript, keys: quotaKey, arguments: ["CLUST2", "1", "10", "300000"]).int == 1)
        #expect(try await client.eval(ClientQuota.refreshScript, keys: quotaKey, arguments: ["300000", RedisArgument(game.rawValue)]).int == 1)
    }
}
