@testable import Redis
import NIOCore
import Testing
import TestSupport

@Suite struct RedisConnectionBehaviourTests {
    @Test func backoffIsCappedExponentialWithJitter() throws {
        var config = RedisConfiguration()
        config.reconnectBaseDelay = .milliseconds(50)
        config.reconnectMaxDelay = .seconds(2)
        let connection = RedisConnection(configuration: config, eventLoop: group.next(),
                                         logger: .init(label: "test"), subscriberMode: false)
        for attempt in 0..<40 {
            let ceiling = min(50_000_000 * (Int64(1) << min(attempt, 30)), 2_000_000_000)
            var seen = Set<Int64>()
            for _ in 0..<20 {
                let delay = connection.backoff(attempt: attempt).nanoseconds
                #expect(delay >= ceiling / 2 && delay <= ceiling, "attempt \(attempt): \(delay)")
                seen.insert(delay)
            }
            #expect(seen.count > 1, "jitter at attempt \(attempt)")
        }
    }

    @Test func stateChangesStartWithCurrentStateAndFinishOnClose() async throws {
        let server = try RedisServerProcess()
        let client = try await RedisClient.connect(url: server.url, eventLoopGroup: group)
        let stream = client.stateChanges
        await client.close()
        var seen: [RedisConnectionState] = []
        for await state in stream { seen.append(state) }
        #expect(seen == [.ready, .closed] || seen == [.closed])
    }

    @Test func unsubscribeWhileDisconnectedIsNotResubscribed() async throws {
        let server = try RedisServerProcess()
        let config = try testConfiguration(server.url)
        let subscriber = try await RedisSubscriber.connect(configuration: config, eventLoopGroup: group)
        let reader = MessageReader(subscriber)
        try await subscriber.subscribe(["keep", "drop"])
        try await subscriber.psubscribe(["p.*"])
        server.stop()
        try await eventually(5, "loss noticed") { subscriber.state != .ready }
        try await subscriber.unsubscribe(["drop"])   // succeeds while disconnected: forgotten at once
        try await subscriber.punsubscribe(["p.*"])
        #expect(await subscriber.channels == ["keep"])
        #expect(await subscriber.patterns == [])
        try server.restart()
        try await eventually(10, "ready again") { subscriber.state == .ready }
        let client = try await RedisClient.connect(configuration: config, eventLoopGroup: group)
        #expect(try await client.publish("drop", "x") == 0)
        #expect(try await client.publish("p.1", "x") == 0)
        #expect(try await client.publish("keep", "kept") == 1)
        #expect(try await reader.next().string == "kept")
        #expect(try await client.send(["PUBSUB", "NUMSUB", "keep", "drop"])
                == .array([.bulkString(Array("keep".utf8)), .integer(1), .bulkString(Array("drop".utf8)), .integer(0)]))
        await client.close()
        await subscriber.close()
    }

    @Test func droppedClientStopsReconnecting() async throws {
        let server = try RedisServerProcess()
        var client: RedisClient? = try await RedisClient.connect(url: server.url, eventLoopGroup: group)
        let connection = client!.connection
        client = nil
        try await eventually(5, "closed by deinit") { connection.state == .closed }
        _ = server
    }
}
