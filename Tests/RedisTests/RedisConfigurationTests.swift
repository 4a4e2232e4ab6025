import Redis
import Testing

@Suite struct RedisConfigurationTests {
    @Test func parsesFullURL() throws {
        let c = try RedisConfiguration(url: "redis://alice:s%40cret@redis.local:6380/3")
        #expect(c.host == "redis.local")
        #expect(c.port == 6380)
        #expect(c.username == "alice")
        #expect(c.password == "s@cret")
        #expect(c.database == 3)
        #expect(c.redactedURL == "redis://alice:***@redis.local:6380/3")
    }

    @Test func passwordOnlyDefaultsAndIPv6() throws {
        let c = try RedisConfiguration(url: "redis://:pw@127.0.0.1:7000")
        #expect(c.username == nil && c.password == "pw" && c.database == 0)
        let d = try RedisConfiguration(url: "redis://localhost")
        #expect(d.port == 6379 && d.password == nil)
        let v6 = try RedisConfiguration(url: "redis://[::1]:6390/1")
        #expect(v6.host == "::1" && v6.port == 6390 && v6.database == 1)
    }

    @Test(arguments: ["http://x:1", "redis://", "redis://host:notaport", "redis://host:70000",
                      "redis://host:1/abc", "redis://host:1/-1", "rediss://host:1", "redis://user@host:1",
                      "redis://host:1?db=2", "localhost:6379", "redis://[::1:6379", "redis://:%zz@h:1"])
    func rejectsBadURLs(_ url: String) {
        #expect {
            _ = try RedisConfiguration(url: url)
        } throws: { error in
            guard case RedisError.invalidURL(let got, let reason)? = error as? RedisError else { return false }
            return got == url && !reason.isEmpty
        }
    }
}
