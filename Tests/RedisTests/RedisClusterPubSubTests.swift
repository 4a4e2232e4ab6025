import Foundation
import NIOCore
import Redis
import Testing
import TestSupport

/// Sharded pub/sub (SPUBLISH/SSUBSCRIBE) on a real cluster of 3 masters and 3 replicas.
/// Six redis-servers per test: run alone, in their own step of scripts/test (REDIS_CLUSTER_TESTS=1),
/// since in the parallel run their blocking set-up starved other suites' tasks for tens of seconds.
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["REDIS_CLUSTER_TESTS"] == "1"))
struct RedisClusterPubSubTests {
    final class Inbox: @unchecked Sendable {
        private let lock = NSLock()
        private var messages: [RedisPubSubMessage] = []
        func append(_ message: RedisPubSubMessage) { lock.withLock { messages.append(message) } }
        func payloads(_ channel: String) -> [String] { lock.withLock { messages.filter { $0.channel == channel }.map(\.string) } }
    }

    func channel(on master: RedisServerProcess, _ cluster: RedisClusterProcesses, _ prefix: String) throws -> String {
        for i in 0..<10_000 {
            let name = "monopoly:{\(prefix)\(i)}:state"
            if try cluster.master(ofSlot: RedisClusterSlot.of(name))?.port == master.port { return name }
        }
        throw RedisClusterProcesses.Failure(description: "no channel for \(master.port)")
    }

    /// Publishes on `channel` until `inbox` has `payload` (a SPUBLISH before the SSUBSCRIBE took is lost).
    func deliver(_ payload: String, on channel: String, _ client: RedisClusterClient, _ inbox: Inbox) async throws {
        try await eventually(60, "\(payload) delivered on \(channel)") {
            if inbox.payloads(channel).contains(payload) { return true }
            _ = try? await client.spublish(channel, RedisArgument(payload))
            return inbox.payloads(channel).contains(payload)
        }
    }

    @Test func deliversOnEveryShardAndFollowsItsChannelsWhenSlotsMoveOrMastersDie() async throws {
        let cluster = try RedisClusterProcesses(nodeTimeoutMilliseconds: 1000)  // a master is killed
        var configuration = try RedisClusterConfiguration(cluster.seeds())
        configuration.node = try testConfiguration("redis://127.0.0.1:1")
        configuration.maximumAttempts = 12
        let client = try await RedisClusterClient.connect(configuration: configuration, eventLoopGroup: group)
        let inbox = Inbox()
        let subscriber = await RedisClusterSubscriber(cluster: client, eventLoopGroup: group) { inbox.append($0) }
        let masters = try cluster.masters()
        let channels = try masters.enumerated().map { try channel(on: $0.element, cluster, "G\($0.offset)x") }
        await subscriber.ssubscribe(channels)
        try await eventually(60, "every channel confirmed") { await subscriber.subscribed.count == 3 }
        #expect(Set(await subscriber.subscribed.values.map(\.port)) == Set(masters.map(\.port)))
        for channel in channels {
            #expect(try await client.spublish(channel, RedisArgument("hello \(channel)")) == 1)  // one receiver: its shard's
        }
        try await eventually(30, "one message per shard") { channels.allSatisfy { inbox.payloads($0) == ["hello \($0)"] } }

        // A slot moves to another master: the node's sunsubscribe notice, then SSUBSCRIBE on the new one.
        let (source, target) = (masters[0], masters[1])
        let slot = RedisClusterSlot.of(channels[0])
        let targetID = try cluster.id(of: target), sourceID = try cluster.id(of: source)
        _ = try target.cli(["CLUSTER", "SETSLOT", String(slot), "IMPORTING", sourceID])
        _ = try source.cli(["CLUSTER", "SETSLOT", String(slot), "MIGRATING", targetID])
        for node in [target, source] + masters { _ = try node.cli(["CLUSTER", "SETSLOT", String(slot), "NODE", targetID]) }
        try await eventually(60, "the channel followed its slot") { await subscriber.subscribed[channels[0]]?.port == target.port }
        try await deliver("after the move", on: channels[0], client, inbox)

        // Its master is killed: the replica takes over and the channel is subscribed there.
        let victim = masters[2]
        victim.stop()
        try cluster.waitUntil("a replica took over") {
            try cluster.isHealthy() && cluster.master(ofSlot: RedisClusterSlot.of(channels[2]))?.isRunning == true
        }
        try await deliver("after the failover", on: channels[2], client, inbox)
        #expect(await subscriber.subscribed[channels[2]]?.port != victim.port)
        // Unsubscribed: nothing more arrives (a receiver count of 0 says so at once).
        // `sunsubscribe` returns once SUNSUBSCRIBE is sent, not applied: probes with another payload
        // until the server counts no receiver (an earlier version probed with "unheard" itself, and
        // the first probe, published before the server had applied it, arrived: the CI failure).
        await subscriber.sunsubscribe([channels[1]])
        try await eventually(30, "no receiver left") {
            (try? await client.spublish(channels[1], RedisArgument("probe"))) == 0
        }
        #expect(try await client.spublish(channels[1], RedisArgument("unheard")) == 0)
        #expect(!inbox.payloads(channels[1]).contains("unheard"))
        await subscriber.close()
        await client.close()
    }
}
