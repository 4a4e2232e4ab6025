import Foundation
import TestSupport
import NIOPosix
import Redis
import RelayProtocol
import Testing
@testable import Authority

/// Commits that wait for replicas (`ReplicaWait`, `REDIS_WAIT_REPLICAS`), and the scripts' sharded
/// publish on a cluster (`LeaseFence.shardedPublish`), against real redis-servers.
extension RunnerTests {
    /// `WAIT 1` with no replica: the command is applied on the master, but its client is told
    /// `authority_unavailable` (to send it again), not acknowledged. With a replica: acknowledged.
    @Test func aCommitIsAcknowledgedOnlyOnceAReplicaConfirmedIt() async throws {
        let server = try RedisServerProcess()
        defer { server.stop() }
        let redis = try await RedisClient.connect(url: server.url, eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
        defer { Task { await redis.close() } }
        let (feed, replies) = try await replyFeed(server.url)
        defer { Task { await feed.close() } }
        let store = GameStore(commands: .single(redis), replicaWait: ReplicaWait(replicas: 1, timeoutMilliseconds: 50))
        var processor = CommandProcessor(seed: 3)
        try await commit(envelope("create", id: "c", seat: String(repeating: "a", count: 64), fields: ["name": .string("Alice")]), store, &processor)
        let unconfirmed = try #require(await answer(to: "c", in: replies))
        #expect(unconfirmed.kind == .error && unconfirmed.code == .authorityUnavailable, "\(unconfirmed)")
        #expect(try await redis.getString(RedisChannels.sequenceKey(game)) == "1")

        let replica = try RedisServerProcess(extraArguments: ["--replicaof", "127.0.0.1", "\(server.port)"])
        defer { replica.stop() }
        #expect(await poll(timeout: .seconds(30)) {
            (try? await redis.send(["WAIT", "1", "100"]).int) == 1
        })
        let confirmed = GameStore(commands: .single(redis), replicaWait: ReplicaWait(replicas: 1, timeoutMilliseconds: 5000))
        try await commit(envelope("add_bot", id: "b", player: "p1"), confirmed, &processor)
        #expect(await answer(to: "b", in: replies)?.kind == .ack)
        let onReplica = try await RedisClient.connect(url: replica.url, eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
        defer { Task { await onReplica.close() } }
        #expect(try await onReplica.getString(RedisChannels.sequenceKey(game)) == "2")
    }

    /// The cluster form of a script SPUBLISHes on a game's channels (a classic subscriber does not
    /// hear it) and keeps global channels (replies, the lobby) on classic PUBLISH; the plain form
    /// PUBLISHes all. Redis 7 has sharded pub/sub without a cluster too.
    @Test func scriptsOnAClusterPublishGameChannelsSharded() async throws {
        let server = try RedisServerProcess()
        defer { server.stop() }
        let redis = try await RedisClient.connect(url: server.url, eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
        defer { Task { await redis.close() } }
        let channels = [RedisChannels.state(game), RedisChannels.replies(gateway: "gw1"), RedisChannels.lobby]
        let listener = try await RedisSubscriber.connect(url: server.url, eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
        defer { Task { await listener.close() } }
        try await listener.subscribe(channels)
        let scripts = LeaseFence.Scripts("""
        return {redis.call('PUBLISH', ARGV[1], 'a'), redis.call('PUBLISH', ARGV[2], 'b'), redis.call('PUBLISH', ARGV[3], 'c'),
                redis.call('TIME')[1] ~= nil and 1 or 0}
        """)
        let arguments = channels.map { RedisArgument($0) }
        let plain = try await redis.eval(scripts.script(fenced: false, cluster: false), keys: [], arguments: arguments)
        #expect(plain.array?.compactMap(\.int) == [1, 1, 1, 1])
        let sharded = try await redis.eval(scripts.script(fenced: false, cluster: true), keys: [], arguments: arguments)
        #expect(sharded.array?.compactMap(\.int) == [0, 1, 1, 1])
    }
}
