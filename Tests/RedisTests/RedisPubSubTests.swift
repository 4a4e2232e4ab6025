import NIOCore
import Redis
import Testing
import TestSupport

@Suite struct RedisPubSubTests {
    @Test func roundTripAndReceiverCount() async throws {
        let server = try RedisServerProcess()
        let client = try await RedisClient.connect(url: server.url, eventLoopGroup: group)
        let subscriber = try await RedisSubscriber.connect(url: server.url, eventLoopGroup: group)
        let reader = MessageReader(subscriber)
        #expect(try await client.publish("lobby", "nobody") == 0)
        try await subscriber.subscribe(["lobby", "game:7"])
        #expect(await subscriber.channels == ["lobby", "game:7"])
        #expect(try await client.publish("lobby", "hello") == 1)
        let message = try await reader.next()
        #expect(message == RedisPubSubMessage(channel: "lobby", payload: Array("hello".utf8)))
        #expect(message.string == "hello" && message.pattern == nil)
        try await client.publish("game:7", "roll")
        #expect(try await reader.next().channel == "game:7")

        try await subscriber.unsubscribe(["lobby"])
        #expect(try await client.publish("lobby", "gone") == 0)
        #expect(try await client.publish("game:7", "still") == 1)
        #expect(try await reader.next().string == "still")
        try await subscriber.ping()
        #expect(subscriber.statistics.messagesReceived == 3)
        await subscriber.close()
        await client.close()
    }

    @Test func patternSubscriptions() async throws {
        let server = try RedisServerProcess()
        let client = try await RedisClient.connect(url: server.url, eventLoopGroup: group)
        let subscriber = try await RedisSubscriber.connect(url: server.url, eventLoopGroup: group)
        let reader = MessageReader(subscriber)
        try await subscriber.psubscribe(["game.*"])
        try await client.publish("game.42", "move")
        let m = try await reader.next()
        #expect(m.channel == "game.42" && m.pattern == "game.*" && m.string == "move")
        try await client.publish("lobby", "ignored")
        try await subscriber.subscribe(["game.42"])  // both a channel and a pattern match: two deliveries
        #expect(try await client.publish("game.42", "twice") == 2)
        let a = try await reader.next(), b = try await reader.next()
        #expect(Set([a.pattern, b.pattern]) == [nil, "game.*"])
        try await subscriber.punsubscribe(["game.*"])
        #expect(try await client.publish("game.43", "x") == 0)
        await subscriber.close()
        await client.close()
    }

    @Test func binarySafePayloads() async throws {
        let server = try RedisServerProcess()
        let client = try await RedisClient.connect(url: server.url, eventLoopGroup: group)
        let subscriber = try await RedisSubscriber.connect(url: server.url, eventLoopGroup: group)
        let reader = MessageReader(subscriber)
        try await subscriber.subscribe(["bin"])
        let payloads: [[UInt8]] = [
            (0...255).map { UInt8($0) },
            Array("line\r\nbreak\r\n*3\r\n$7\r\nmessage\r\n".utf8),
            [0, 0, 0],
            [],
            [UInt8](repeating: 0xFF, count: 200_000),
        ]
        for payload in payloads { try await client.publish("bin", payload) }
        for payload in payloads { #expect(try await reader.next().payload == payload) }
    }

    @Test func callbackDelivery() async throws {
        let server = try RedisServerProcess()
        let client = try await RedisClient.connect(url: server.url, eventLoopGroup: group)
        let (stream, continuation) = AsyncStream<String>.makeStream()
        let subscriber = try await RedisSubscriber.connect(url: server.url, eventLoopGroup: group) { message in
            continuation.yield(message.string)
        }
        try await subscriber.subscribe("cb")
        try await client.publish("cb", "via callback")
        var iterator = stream.makeAsyncIterator()
        #expect(await iterator.next() == "via callback")
        await subscriber.close()
        await client.close()
    }
}

@Suite struct RedisPubSubPermissionTests {
    /// Redis answers SUBSCRIBE of several channels with ONE error when any is forbidden (ACL);
    /// the client must not wait for the other confirmations (which would desynchronise replies).
    @Test func forbiddenChannelFailsTheWholeSubscribeAndKeepsTheConnectionInSync() async throws {
        let server = try RedisServerProcess(extraArguments: ["--user", "bob", "on", ">pw", "~*", "resetchannels", "&game:*", "+@all"])
        let url = "redis://bob:pw@127.0.0.1:\(server.port)"
        let subscriber = try await RedisSubscriber.connect(url: url, eventLoopGroup: group)
        let client = try await RedisClient.connect(url: url, eventLoopGroup: group)
        let reader = MessageReader(subscriber)
        do {
            try await subscriber.subscribe(["game:1", "secret", "game:2"])
            Issue.record("subscribed to a forbidden channel")
        } catch let error as RedisError {
            #expect(error.isServerError("NOPERM"), "\(error)")
        }
        #expect(await subscriber.channels == [])
        try await subscriber.ping()
        try await subscriber.subscribe(["game:1", "game:2"])
        #expect(try await client.publish("game:2", "ok") == 1)
        #expect(try await reader.next().string == "ok")
        #expect(subscriber.state == .ready)
        await client.close()
        await subscriber.close()
    }
}
