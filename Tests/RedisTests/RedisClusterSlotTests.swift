import Redis
import Testing

/// Key slots against what `redis-cli CLUSTER KEYSLOT` answered (Redis 7.0.15, cluster-enabled).
@Suite struct RedisClusterSlotTests {
    @Test(arguments: [
        ("foo", 12182), ("bar", 5061), ("hello", 866), ("123456789", 12739),
        ("{user1000}.following", 3443), ("{user1000}.followers", 3443),
        ("foo{}{bar}", 8363),          // empty first tag: the whole key is hashed
        ("foo{{bar}}zap", 4015),       // the tag is "{bar": from the first { to the first } after it
        ("foo{bar}{zap}", 5061),       // only the first tag counts: "bar"
        ("{}", 15257), ("{", 4092), ("}", 12090), ("", 0), ("a{b", 13340), ("é", 10180),
        ("monopoly:{ABC123}:state", 6217), ("monopoly:{ABC123}:snapshot", 6217),
        ("monopoly:lobby", 9781), ("monopoly:gateway:{gw1}:reply", 10567),
    ])
    func slotMatchesRedis(_ key: String, _ slot: Int) {
        #expect(RedisClusterSlot.of(key) == slot)
    }

    @Test func crc16IsXmodem() {
        #expect(RedisClusterSlot.crc16(Array("123456789".utf8)) == 0x31C3)
        #expect(RedisClusterSlot.crc16([UInt8]()) == 0)
    }

    @Test func binaryKeysStayInRange() {
        var bytes: [UInt8] = []
        for byte in UInt8.min...UInt8.max {
            bytes.append(byte)
            #expect((0..<RedisClusterSlot.count).contains(RedisClusterSlot.of(bytes)))
        }
    }

    @Test(arguments: [
        (["GET", "monopoly:{G1}:last"], RedisClusterRoute.slot(RedisClusterSlot.of("G1"))),
        (["DEL", "{G1}:a", "{G1}:b", "x{G1}"], .slot(RedisClusterSlot.of("G1"))),
        (["EVALSHA", "abc", "2", "monopoly:{G1}:seq", "monopoly:{G1}:snapshot", "arg"], .slot(RedisClusterSlot.of("G1"))),
        (["EVAL", "return 1", "0", "arg-not-a-key"], .anyNode),
        (["MSET", "{a}1", "v", "{a}2", "{b}"], .slot(RedisClusterSlot.of("a"))),  // values are not keys
        (["PUBLISH", "monopoly:lobby", "x"], .anyNode),
        (["SPUBLISH", "monopoly:{G1}:state", "x"], .slot(RedisClusterSlot.of("G1"))),
        (["ping"], .anyNode),
        (["rpoplpush", "{q}a", "{q}b"], .slot(RedisClusterSlot.of("q"))),
    ] as [([RedisArgument], RedisClusterRoute)])
    func routesByFirstKey(_ command: [RedisArgument], _ route: RedisClusterRoute) throws {
        #expect(try RedisClusterRoute.of(command) == route)
    }

    @Test func keysInTwoSlotsAreRefused() {
        #expect(throws: RedisError.crossSlot(command: "DEL")) { try RedisClusterRoute.of(["DEL", "{a}", "{b}"]) }
        #expect(throws: RedisError.crossSlot(command: "EVALSHA")) {
            try RedisClusterRoute.of(["EVALSHA", "abc", "2", "monopoly:{G1}:seq", "monopoly:{G2}:seq"])
        }
        #expect(throws: RedisError.crossSlot(command: "SSUBSCRIBE")) { try RedisClusterRoute.of(["SSUBSCRIBE", "{a}", "{b}"]) }
    }

    @Test(arguments: [
        [] as [RedisArgument], ["KEYS", "*"], ["GET"], ["EVAL", "s"], ["EVAL", "s", "-1"], ["EVAL", "s", "3", "k"],
        ["EVALSHA", "s", "x", "k"], ["EVAL", "s", "99999999999999999999999"], ["RENAME", "a"],
    ])
    func unknownOrMalformedCommandsAreNotGuessed(_ command: [RedisArgument]) {
        #expect {
            _ = try RedisClusterRoute.of(command)
        } throws: { error in
            if case RedisError.unroutableCommand(let what)? = error as? RedisError { return !what.isEmpty }
            return false
        }
    }
}
