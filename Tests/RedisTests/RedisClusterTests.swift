import Foundation
import NIOCore
import Redis
import Testing
import TestSupport

/// The cluster client against a real Redis Cluster of 3 masters and 3 replicas (no mocks).
/// Serialized: each test starts six redis-servers, and failovers want the CPU.
/// Six redis-servers per test: run alone, in their own step of scripts/test (REDIS_CLUSTER_TESTS=1),
/// since in the parallel run their blocking set-up starved other suites' tasks for tens of seconds.
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["REDIS_CLUSTER_TESTS"] == "1"))
struct RedisClusterTests {
    func connect(_ cluster: RedisClusterProcesses, seeds: [RedisServerProcess]? = nil) async throws -> RedisClusterClient {
        var configuration = try RedisClusterConfiguration(cluster.seeds(seeds ?? [cluster.nodes[0]]))
        configuration.node = try testConfiguration("redis://127.0.0.1:1")
        configuration.maximumAttempts = 12
        return try await RedisClusterClient.connect(configuration: configuration, eventLoopGroup: group)
    }

    /// A key whose slot `master` serves.
    func key(on master: RedisServerProcess, _ cluster: RedisClusterProcesses, prefix: String = "k") throws -> String {
        for i in 0..<10_000 {
            let key = "\(prefix)\(i)"
            if try cluster.master(ofSlot: RedisClusterSlot.of(key))?.port == master.port { return key }
        }
        throw RedisClusterProcesses.Failure(description: "no key for \(master.port)")
    }

    @Test func routesEveryCommandToItsSlotsMasterAcrossAllThree() async throws {
        let cluster = try RedisClusterProcesses()
        let client = try await connect(cluster)
        defer { Task { await client.close() } }
        let masters = try cluster.masters()
        #expect(masters.count == 3)
        #expect(await client.slotMap.coveredSlots == 16384)
        #expect(Set(await client.slotMap.masters.map(\.port)) == Set(masters.map(\.port)))
        for master in masters {
            let key = try key(on: master, cluster)
            try await client.set(key, RedisArgument("on \(master.port)"))
            // Read back from that master itself, by an independent client: it was stored where it belongs.
            #expect(try master.cli(["GET", key]) == "on \(master.port)")
            #expect(try await client.get(key) == Array("on \(master.port)".utf8))
            // Scripts and transactions go where their keys are.
            let tagged = "{\(key)}:counter"
            let script = RedisScript("redis.call('INCR', KEYS[1]); return redis.call('GET', KEYS[2])")
            #expect(try await client.eval(script, keys: [tagged, key]).string == "on \(master.port)")
            let results = try await client.transaction([["INCR", RedisArgument(tagged)], ["GET", RedisArgument(key)]])
            #expect(results == [.integer(2), .bulkString(Array("on \(master.port)".utf8))])
        }
        #expect(await client.redirections == 0)
        // Keys of two slots in one command, script or transaction: a clear error, nothing sent.
        await #expect(throws: RedisError.crossSlot(command: "DEL")) { try await client.send(["DEL", "{a}", "{b}"]) }
        await #expect(throws: RedisError.crossSlot(command: "EVALSHA")) {
            try await client.eval(RedisScript("return 1"), keys: ["{a}x", "{b}x"])
        }
        await #expect(throws: RedisError.crossSlot(command: "MULTI")) { try await client.transaction([["SET", "{a}", "1"], ["SET", "{b}", "1"]]) }
        await #expect(throws: RedisError.unroutableCommand("KEYS")) { try await client.send(["KEYS", "*"]) }
        // An ordinary error reply is the caller's, not a reason to retry.
        try await client.set("{a}list", RedisArgument("x"))
        await #expect(throws: RedisError.self) { try await client.send(["LPUSH", "{a}list", "y"]) }
    }

    /// Moves `slot` from `source` to `target` with its keys, the way `redis-cli --cluster reshard`
    /// does (IMPORTING, MIGRATING, MIGRATE, NODE). `finish: false` stops mid-migration.
    func migrate(slot: Int, keys: [String], from source: RedisServerProcess, to target: RedisServerProcess,
                 _ cluster: RedisClusterProcesses, finish: Bool = true) throws {
        let sourceID = try cluster.id(of: source), targetID = try cluster.id(of: target)
        #expect(try target.cli(["CLUSTER", "SETSLOT", String(slot), "IMPORTING", sourceID]) == "OK")
        #expect(try source.cli(["CLUSTER", "SETSLOT", String(slot), "MIGRATING", targetID]) == "OK")
        if !keys.isEmpty {
            #expect(try source.cli(["MIGRATE", target.host, String(target.port), "", "0", "5000", "KEYS"] + keys) == "OK")
        }
        guard finish else { return }
        for node in try [target, source] + cluster.masters() {
            _ = try node.cli(["CLUSTER", "SETSLOT", String(slot), "NODE", targetID])
        }
    }

    @Test func followsMovedAfterASlotIsResharded() async throws {
        let cluster = try RedisClusterProcesses()
        let client = try await connect(cluster)
        defer { Task { await client.close() } }
        let masters = try cluster.masters()
        let (source, target) = (masters[0], masters[1])
        let key = try key(on: source, cluster)
        let slot = RedisClusterSlot.of(key)
        try await client.set(key, RedisArgument("moved with its slot"))
        try migrate(slot: slot, keys: [key], from: source, to: target, cluster)
        #expect(await client.slotMap.master(forSlot: slot)?.port == source.port)  // stale until told
        #expect(try await client.get(key) == Array("moved with its slot".utf8))
        #expect(await client.redirections >= 1)
        #expect(await client.slotMap.master(forSlot: slot)?.port == target.port)
        try await client.set(key, RedisArgument("written after the move"))
        #expect(try target.cli(["GET", key]) == "written after the move")
    }

    @Test func followsAskWhileASlotIsMigrating() async throws {
        let cluster = try RedisClusterProcesses()
        let client = try await connect(cluster)
        defer { Task { await client.close() } }
        let masters = try cluster.masters()
        let (source, target) = (masters[0], masters[1])
        let moved = try key(on: source, cluster, prefix: "moved")
        let slot = RedisClusterSlot.of(moved)
        let stays = "{\(moved)}stays"  // same slot, left on the source for now
        try await client.set(moved, RedisArgument("already on the target"))
        try await client.set(stays, RedisArgument("still on the source"))
        try migrate(slot: slot, keys: [moved], from: source, to: target, cluster, finish: false)
        #expect(try await client.get(moved) == Array("already on the target".utf8))  // source answers ASK
        #expect(await client.redirections == 1)
        #expect(try await client.get(stays) == Array("still on the source".utf8))  // no redirection
        #expect(await client.redirections == 1)
        #expect(await client.slotMap.master(forSlot: slot)?.port == source.port)  // ASK leaves the map alone
        // A script on a migrated key follows ASK too (ASKING, then the script on the target).
        let script = RedisScript("return redis.call('GET', KEYS[1])")
        #expect(try await client.eval(script, keys: [moved]).string == "already on the target")
    }

    @Test func carriesOnWhenAMasterIsKilledAndItsReplicaTakesOver() async throws {
        let cluster = try RedisClusterProcesses(nodeTimeoutMilliseconds: 1000)
        let client = try await connect(cluster, seeds: cluster.nodes)
        defer { Task { await client.close() } }
        let victim = try cluster.masters()[0]
        let keys = try (0..<20).map { try key(on: victim, cluster, prefix: "f\($0)-") }
        for key in keys { try await client.set(key, RedisArgument("v-\(key)")) }
        try cluster.waitUntil("the replica has every write") { try cluster.replicasCaughtUp(victim) }
        let refreshes = await client.mapRefreshes
        victim.stop()  // kill -9
        try cluster.waitUntil("a replica took over and the cluster is ok") {
            try cluster.isHealthy() && cluster.master(ofSlot: RedisClusterSlot.of(keys[0]))?.isRunning == true
        }
        // Commands may fail with a clear error while the map is learnt again, then carry on.
        try await eventually(60, "a read through the new master") {
            (try? await client.get(keys[0])) == Array("v-\(keys[0])".utf8)
        }
        for key in keys { #expect(try await client.get(key) == Array("v-\(key)".utf8)) }
        try await client.set(keys[0], RedisArgument("after the failover"))
        #expect(try await client.get(keys[0]) == Array("after the failover".utf8))
        #expect(await client.mapRefreshes > refreshes)
        #expect(await !client.slotMap.masters.contains { $0.port == victim.port })
    }

    @Test func noSeedThatAnswersIsAClearError() async throws {
        let cluster = try RedisClusterProcesses(masters: 3, replicasPerMaster: 0)
        var configuration = try RedisClusterConfiguration("127.0.0.1:\(RedisServerProcess.freePort())")
        configuration.node = try testConfiguration("redis://127.0.0.1:1")
        await #expect {
            _ = try await RedisClusterClient.connect(configuration: configuration, eventLoopGroup: group)
        } throws: { error in
            guard case RedisError.clusterSlotMap(let reason)? = error as? RedisError else { return false }
            return reason.contains("refused")
        }
        // A plain Redis (no cluster support) as the seed: its error reply is named, not guessed around.
        let plain = try RedisServerProcess()
        configuration.seeds = [RedisClusterNode(host: plain.host, port: plain.port)]
        await #expect {
            _ = try await RedisClusterClient.connect(configuration: configuration, eventLoopGroup: group)
        } throws: { error in
            guard case RedisError.clusterSlotMap(let reason)? = error as? RedisError else { return false }
            return reason.contains("cluster support disabled")
        }
        _ = cluster
    }
}
