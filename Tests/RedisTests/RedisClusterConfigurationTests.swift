import Redis
import Testing

@Suite struct RedisClusterConfigurationTests {
    @Test func parsesSeedsAndCredentials() throws {
        let plain = try RedisClusterConfiguration("10.0.0.1:7000, 10.0.0.2:7001,10.0.0.1:7000")
        #expect(plain.seeds == [RedisClusterNode(host: "10.0.0.1", port: 7000), RedisClusterNode(host: "10.0.0.2", port: 7001)])
        #expect(plain.node.username == nil && plain.node.password == nil)
        let acl = try RedisClusterConfiguration("redis://gateway:s%40cret@redis-1:6379,redis-2:6379,[::1]:7000")
        #expect(acl.node.username == "gateway" && acl.node.password == "s@cret")
        #expect(acl.seeds.map(\.description) == ["redis-1:6379", "redis-2:6379", "[::1]:7000"])
        #expect(acl.redactedDescription == "redis://gateway:***@redis-1:6379,redis-2:6379,[::1]:7000")
        let password = try RedisClusterConfiguration("redis://:pw@h:1")
        #expect(password.node.username == nil && password.node.password == "pw")
    }

    @Test(arguments: ["", " ", "h", "h:1,", ",h:1", "h:1,,h:2", "h:0", "h:65536", "redis://h:1/1", "redis://h:1,h:2/0",
                      "rediss://h:1", "redis://user@h:1", "http://h:1", "h:1;h:2", "h:1 h:2"])
    func refusesBadSeeds(_ text: String) {
        #expect(throws: RedisError.self, "\(text)") { try RedisClusterConfiguration(text) }
    }
}
