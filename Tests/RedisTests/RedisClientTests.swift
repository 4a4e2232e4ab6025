import NIOCore
import Redis
import Testing
import TestSupport

/// Functional tests against a real redis-server on an ephemeral port (one per test).
@Suite struct RedisClientTests {
    @Test func getSetDelExpireAndPing() async throws {
        let server = try RedisServerProcess()
        let client = try await RedisClient.connect(url: server.url, eventLoopGroup: group)
        #expect(client.state == .ready)
        #expect(try await client.ping() == "PONG")
        #expect(try await client.get("missing") == nil)
        #expect(try await client.set("k", "v1"))
        #expect(try await client.getString("k") == "v1")
        #expect(try await client.set("k", "v2", onlyIfNotExists: true) == false)
        #expect(try await client.getString("k") == "v1")
        #expect(try await client.set("lock", "me", onlyIfNotExists: true, expiryMilliseconds: 60_000))
        let ttl = try await client.send(["PTTL", "lock"]).int ?? -1
        #expect(ttl > 0 && ttl <= 60_000)
        #expect(try await client.expire("k", seconds: 100))
        #expect(try await client.pexpire("nope", milliseconds: 100) == false)
        #expect(try await client.del(["k", "lock", "nope"]) == 2)
        await #expect(throws: RedisError.server("ERR unknown command 'NOPE', with args beginning with: ")) {
            try await client.send(["NOPE"])
        }
        await client.close()
        #expect(client.state == .closed)
        await #expect(throws: RedisError.clientClosed) { try await client.ping() }
    }

    @Test func pipelinedOrderingOf10000Commands() async throws {
        let server = try RedisServerProcess()
        let client = try await RedisClient.connect(url: server.url, eventLoopGroup: group)
        defer { Task { await client.close() } }
        // 10,000 commands issued concurrently without awaiting each other, all on one connection.
        let results = try await withThrowingTaskGroup(of: (Int, Int).self) { tasks in
            for i in 0..<10_000 {
                tasks.addTask { (i, try await client.send(["INCR", "counter"]).int!) }
            }
            var all: [(Int, Int)] = []
            for try await r in tasks { all.append(r) }
            return all
        }
        #expect(Set(results.map(\.1)) == Set(1...10_000))
        // Strict order: one pipeline of 10,000 ECHOs comes back in order.
        let echoes = try await client.pipeline((0..<10_000).map { ["ECHO", RedisArgument($0)] })
        #expect(echoes == (0..<10_000).map { .bulkString(Array(String($0).utf8)) })
        // Futures issued back to back from one task resolve in order.
        let futures = (0..<1000).map { i in client.sendFuture(["INCRBY", "seq", 1]).map { ($0.int!, i) } }
        for f in futures { let (value, i) = try await f.get(); #expect(value == i + 1) }
    }

    @Test func binarySafeValues() async throws {
        let server = try RedisServerProcess()
        let client = try await RedisClient.connect(url: server.url, eventLoopGroup: group)
        defer { Task { await client.close() } }
        let all = (0...255).map { UInt8($0) } + Array("\r\n\0$3\r\nfoo*1\r\n".utf8) + [0, 13, 10]
        try await client.set("bin", all)
        #expect(try await client.get("bin") == all)
        let key = [UInt8(0), 13, 10, 255]
        try await client.send(["SET", RedisArgument(key), ""])
        #expect(try await client.send(["GET", RedisArgument(key)]) == .bulkString([]))
        #expect(try await client.send(["STRLEN", RedisArgument(key)]) == .integer(0))
    }

    @Test func passwordAuthAndWrongPassword() async throws {
        let server = try RedisServerProcess(password: "s3cret")
        let client = try await RedisClient.connect(url: "redis://:s3cret@127.0.0.1:\(server.port)", eventLoopGroup: group)
        #expect(try await client.ping() == "PONG")
        await client.close()

        await #expect(throws: RedisError.self) {
            _ = try await RedisClient.connect(url: "redis://:wrong@127.0.0.1:\(server.port)", eventLoopGroup: group)
        }
        do {
            _ = try await RedisClient.connect(url: "redis://:wrong@127.0.0.1:\(server.port)", eventLoopGroup: group)
            Issue.record("connected with a wrong password")
        } catch let error as RedisError {
            guard case .authenticationFailed(let message) = error else { Issue.record("got \(error)"); return }
            #expect(message.contains("WRONGPASS") || message.contains("invalid"))
        }
        do {
            _ = try await RedisClient.connect(url: "redis://127.0.0.1:\(server.port)", eventLoopGroup: group)
            Issue.record("connected without a password")
        } catch let error as RedisError {
            guard case .authenticationFailed(let message) = error else { Issue.record("got \(error)"); return }
            #expect(message.contains("NOAUTH"))
        }
    }

    @Test func aclUser() async throws {
        let server = try RedisServerProcess(extraArguments: ["--user", "alice", "on", ">wonderland", "~game:*", "&*", "+@all"])
        let client = try await RedisClient.connect(url: "redis://alice:wonderland@127.0.0.1:\(server.port)", eventLoopGroup: group)
        #expect(try await client.send(["ACL", "WHOAMI"]).string == "alice")
        try await client.set("game:1", "ok")
        await #expect(throws: RedisError.self) { try await client.set("other", "no") }  // NOPERM
        await client.close()
        do {
            _ = try await RedisClient.connect(url: "redis://alice:rabbit@127.0.0.1:\(server.port)", eventLoopGroup: group)
            Issue.record("connected with a wrong ACL password")
        } catch RedisError.authenticationFailed {
        }
    }

    /// A user name and password with the characters a URL must percent-encode (`@ : / ? # %`,
    /// a space, non-ASCII) reach AUTH decoded; the same text unencoded is refused as a URL.
    @Test func aclUserWithOddCharactersInTheURL() async throws {
        let password = "p@ss:w/rd?#% \u{e9}+"
        let server = try RedisServerProcess(extraArguments: ["--user", "op.er-ator_1", "on", ">" + password, "%R~*", "+get", "+ping"])
        let encoded = "p%40ss%3Aw%2Frd%3F%23%25%20%C3%A9+"
        let client = try await RedisClient.connect(url: "redis://op.er-ator_1:\(encoded)@127.0.0.1:\(server.port)", eventLoopGroup: group)
        #expect(try await client.get("anything") == nil)
        await #expect(throws: RedisError.self) { try await client.set("anything", "no") }  // NOPERM: a user without the right
        await client.close()
        #expect(throws: RedisError.self) { try RedisConfiguration(url: "redis://op.er-ator_1:\(password)@127.0.0.1:\(server.port)") }
        do {
            _ = try await RedisClient.connect(url: "redis://op.er-ator_1:p%40ss@127.0.0.1:\(server.port)", eventLoopGroup: group)
            Issue.record("connected with a truncated password")
        } catch RedisError.authenticationFailed {
        }
    }

    @Test func selectDatabaseFromURL() async throws {
        let server = try RedisServerProcess()
        let db0 = try await RedisClient.connect(url: server.url, eventLoopGroup: group)
        let db5 = try await RedisClient.connect(url: server.url + "/5", eventLoopGroup: group)
        try await db5.set("where", "five")
        #expect(try await db0.get("where") == nil)
        #expect(try await db5.getString("where") == "five")
        try await db0.select(5)
        #expect(try await db0.getString("where") == "five")
        await #expect(throws: RedisError.self) {
            _ = try await RedisClient.connect(url: server.url + "/99", eventLoopGroup: group)
        }
        await db0.close()
        await db5.close()
    }

    @Test func multiExecAndEvalWriteAndPublishAtomically() async throws {
        let server = try RedisServerProcess()
        let client = try await RedisClient.connect(url: server.url, eventLoopGroup: group)
        let subscriber = try await RedisSubscriber.connect(url: server.url, eventLoopGroup: group)
        let reader = MessageReader(subscriber)
        try await subscriber.subscribe(["game:1"])

        let results = try await client.transaction([
            ["SET", "game:1:state", "v1"],
            ["PUBLISH", "game:1", "state v1"],
            ["INCR", "game:1:state"],  // runtime error stays in place
        ])
        #expect(results.count == 3)
        #expect(results[0] == .simpleString("OK"))
        #expect(results[1] == .integer(1))
        #expect(results[2].errorMessage != nil)
        #expect(try await reader.next().string == "state v1")
        await #expect(throws: RedisError.self) { _ = try await client.transaction([["SET", "x"]]) }  // EXECABORT

        let script = RedisScript("""
            redis.call('SET', KEYS[1], ARGV[1])
            return redis.call('PUBLISH', KEYS[2], ARGV[1])
            """)
        // Not cached yet: EVALSHA -> NOSCRIPT -> EVAL.
        #expect(try await client.eval(script, keys: ["game:1:state", "game:1"], arguments: ["v2"]) == .integer(1))
        #expect(try await reader.next().string == "v2")
        #expect(try await client.evalSHA(script.sha1, keys: ["game:1:state", "game:1"], arguments: ["v3"]) == .integer(1))
        #expect(try await reader.next().string == "v3")
        #expect(try await client.getString("game:1:state") == "v3")
        #expect(try await client.eval("return ARGV[1]", arguments: ["x"]) == .bulkString(Array("x".utf8)))
        await #expect(throws: RedisError.self) { try await client.evalSHA(String(repeating: "0", count: 40)) }
        await subscriber.close()
        await client.close()
    }

    @Test func refusedConnectionIsAClearError() async throws {
        let port = RedisServerProcess.freePort()
        await #expect(throws: RedisError.connectionRefused(host: "127.0.0.1", port: port)) {
            _ = try await RedisClient.connect(url: "redis://127.0.0.1:\(port)", eventLoopGroup: group)
        }
        await #expect(throws: RedisError.connectionRefused(host: "127.0.0.1", port: port)) {
            _ = try await RedisSubscriber.connect(url: "redis://127.0.0.1:\(port)", eventLoopGroup: group)
        }
        await #expect(throws: RedisError.self) {
            _ = try await RedisClient.connect(url: "redis://127.0.0.1:notaport", eventLoopGroup: group)
        }
    }
}
