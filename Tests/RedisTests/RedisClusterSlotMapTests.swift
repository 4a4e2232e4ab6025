import Redis
import Testing

@Suite struct RedisClusterSlotMapTests {
    static func node(_ host: RESPValue, _ port: Int, _ id: String = "id") -> RESPValue {
        .array([host, .integer(port), .bulkString(Array(id.utf8))])
    }
    static func range(_ start: Int, _ end: Int, _ nodes: RESPValue...) -> RESPValue {
        .array([.integer(start), .integer(end)] + nodes)
    }
    static let a = RedisClusterNode(host: "10.0.0.1", port: 7000)
    static let b = RedisClusterNode(host: "10.0.0.2", port: 7001)
    static let c = RedisClusterNode(host: "10.0.0.3", port: 7002)
    static func host(_ node: RedisClusterNode) -> RESPValue { .bulkString(Array(node.host.utf8)) }

    @Test func decodesThreeMastersWithReplicas() throws {
        let reply = RESPValue.array([
            Self.range(0, 5460, Self.node(Self.host(Self.a), 7000), Self.node(.bulkString(Array("10.0.0.4".utf8)), 7003)),
            Self.range(10923, 16383, Self.node(Self.host(Self.c), 7002)),
            Self.range(5461, 10922, Self.node(Self.host(Self.b), 7001), Self.node(.bulkString(Array("10.0.0.5".utf8)), 7004)),
        ])
        let map = try RedisClusterSlotMap(clusterSlots: reply, replyingHost: "seed")
        #expect(map.masters == [Self.a, Self.b, Self.c])
        #expect(map.coveredSlots == 16384)
        #expect(map.master(forSlot: 0) == Self.a && map.master(forSlot: 5460) == Self.a)
        #expect(map.master(forSlot: 5461) == Self.b && map.master(forSlot: 10923) == Self.c)
        #expect(map.master(forSlot: 16384) == nil && map.master(forSlot: -1) == nil)
        // The replicas a write can wait for: those listed beside each master.
        #expect(map.replicaCount(forSlot: 0) == 1 && map.replicaCount(forSlot: 5461) == 1 && map.replicaCount(forSlot: 10923) == 0)
        #expect(map.replicaCount(forSlot: 16384) == 0)
    }

    @Test func unknownHostIsTheNodeThatAnswered() throws {
        let reply = RESPValue.array([Self.range(0, 16383, Self.node(.bulkString([]), 7000))])
        let map = try RedisClusterSlotMap(clusterSlots: reply, replyingHost: "127.0.0.1")
        #expect(map.master(forSlot: 42) == RedisClusterNode(host: "127.0.0.1", port: 7000))
        let nullHost = RESPValue.array([Self.range(0, 16383, Self.node(.null, 7001))])
        #expect(try RedisClusterSlotMap(clusterSlots: nullHost, replyingHost: "h").master(forSlot: 1) == RedisClusterNode(host: "h", port: 7001))
    }

    @Test func partialCoverageLeavesSlotsWithoutMaster() throws {
        let map = try RedisClusterSlotMap(clusterSlots: .array([Self.range(100, 200, Self.node(Self.host(Self.a), 7000))]), replyingHost: "x")
        #expect(map.coveredSlots == 101)
        #expect(map.master(forSlot: 99) == nil && map.master(forSlot: 150) == Self.a)
    }

    /// Garbage from Redis (or something pretending to be it) is refused whole.
    @Test(arguments: [
        ("not an array", RESPValue.simpleString("OK")),
        ("error", .error("ERR This instance has cluster support disabled")),
        ("no ranges", .array([])),
        ("range not an array", .array([.integer(0)])),
        ("range too short", .array([.array([.integer(0), .integer(5)])])),
        ("start after end", .array([range(10, 5, node(host(a), 7000))])),
        ("slot out of range", .array([range(0, 16384, node(host(a), 7000))])),
        ("negative slot", .array([range(-1, 5, node(host(a), 7000))])),
        ("bounds as strings", .array([.array([.bulkString(Array("0".utf8)), .integer(5), node(host(a), 7000)])])),
        ("overlap", .array([range(0, 100, node(host(a), 7000)), range(100, 200, node(host(b), 7001))])),
        ("port zero", .array([range(0, 5, node(host(a), 0))])),
        ("port too big", .array([range(0, 5, node(host(a), 70000))])),
        ("port as text", .array([range(0, 5, .array([host(a), .bulkString(Array("7000".utf8))]))])),
        ("unknown endpoint", .array([range(0, 5, node(.bulkString(Array("?".utf8)), 7000))])),
        ("host with a space", .array([range(0, 5, node(.bulkString(Array("a b".utf8)), 7000))])),
        ("host with a line break", .array([range(0, 5, node(.bulkString(Array("a\r\nb".utf8)), 7000))])),
        ("host too long", .array([range(0, 5, node(.bulkString(Array(repeating: 0x61, count: 300)), 7000))])),
        ("master not an array", .array([.array([.integer(0), .integer(5), .bulkString(Array("10.0.0.1:7000".utf8))])])),
        ("host an integer", .array([range(0, 5, node(.integer(1), 7000))])),
    ])
    func refusesGarbage(_ what: String, _ reply: RESPValue) {
        #expect(throws: RedisError.self, "\(what)") { try RedisClusterSlotMap(clusterSlots: reply, replyingHost: "h") }
    }

    /// A reply naming a master per slot (16,384 of them) was taken: the map was built with a
    /// linear search per range (quadratic), and each refresh then dialled every master in turn.
    /// Past `maximumMasters` (Redis Cluster's own design limit, 1,000 nodes) it is refused whole.
    @Test func aReplyWithMoreMastersThanAClusterHasIsRefused() throws {
        func reply(masters: Int) -> RESPValue {
            .array((0..<masters).map { slot in Self.range(slot, slot, Self.node(.bulkString(Array("10.0.\(slot / 256).\(slot % 256)".utf8)), 7000)) })
        }
        #expect {
            _ = try RedisClusterSlotMap(clusterSlots: reply(masters: RedisClusterSlot.count), replyingHost: "h")
        } throws: { error in
            "\(error)".contains("more than \(RedisClusterSlotMap.maximumMasters) masters")
        }
        #expect(throws: RedisError.self) { try RedisClusterSlotMap(clusterSlots: reply(masters: RedisClusterSlotMap.maximumMasters + 1), replyingHost: "h") }
        let atBound = try RedisClusterSlotMap(clusterSlots: reply(masters: RedisClusterSlotMap.maximumMasters), replyingHost: "h")
        #expect(atBound.masters.count == RedisClusterSlotMap.maximumMasters)
    }

    @Test func movedReassignsOneSlotAndForgetsAnEmptiedMaster() {
        var map = RedisClusterSlotMap(ranges: [(0...1, Self.a), (2...16383, Self.b)])
        map.assign(slot: 0, to: Self.c)
        #expect(map.master(forSlot: 0) == Self.c && map.masters == [Self.a, Self.b, Self.c])
        map.assign(slot: 1, to: Self.c)
        #expect(map.masters == [Self.b, Self.c])  // a serves nothing any more
        #expect(map.ranges.map(\.0) == [0...1, 2...16383])
        map.assign(slot: 99999, to: Self.a)  // out of range: ignored
        #expect(map.masters == [Self.b, Self.c])
    }

    @Test(arguments: [
        ("127.0.0.1:6379", RedisClusterNode(host: "127.0.0.1", port: 6379)),
        ("[::1]:7000", RedisClusterNode(host: "::1", port: 7000)),
        ("redis-1:1", RedisClusterNode(host: "redis-1", port: 1)),
    ])
    func parsesAddresses(_ text: String, _ node: RedisClusterNode) {
        #expect(RedisClusterNode(text) == node)
    }

    @Test(arguments: ["", ":7000", "host", "host:", "host:0", "host:65536", "host:-1", "::1:7000", "[::1]7000", "a b:1", "host:70x", "host:+80", "host:0080000"])
    func refusesBadAddresses(_ text: String) {
        #expect(RedisClusterNode(text) == nil)
    }
}
