import Redis
import Testing

@Suite struct RedisTargetTests {
    @Test func oneRedisOrACluster() throws {
        #expect(try RedisTarget(url: nil, cluster: nil) == .single(RedisConfiguration(url: RedisTarget.defaultURL)))
        #expect(try RedisTarget(url: "redis://h:7", cluster: " ") == .single(RedisConfiguration(host: "h", port: 7)))
        let cluster = try RedisTarget(url: "", cluster: "redis://gateway:pw@a:7000,b:7001")
        #expect(cluster.isCluster && cluster.connections.username == "gateway")
        #expect(cluster.redacted == "cluster redis://gateway:***@a:7000,b:7001")
        var timed = cluster
        timed.updateConnections { $0.commandTimeout = .seconds(1) }
        #expect(timed.connections.commandTimeout == .seconds(1))
    }

    @Test func bothSetIsRefused() {
        #expect(throws: RedisError.self) { try RedisTarget(url: "redis://h:1", cluster: "a:7000") }
        #expect(throws: RedisError.self) { try RedisTarget(url: nil, cluster: "a") }
        #expect(throws: RedisError.self) { try RedisTarget(url: "http://h", cluster: nil) }
    }
}
