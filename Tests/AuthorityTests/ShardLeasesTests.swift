import NIOPosix
import Redis
import RelayProtocol
import TestSupport
import Testing
@testable import Authority

/// The shell of `ShardAssignment` against a real Redis: what one poll costs Redis (it runs every
/// `standbyPollMilliseconds`, busy or not) and that it reads the same as key-by-key reads.
@Suite("shard leases' polls against a real Redis", .serialized)
struct ShardLeasesTests {
    /// The commands Redis ran since the last `CONFIG RESETSTAT`, by name (INFO commandstats).
    func calls(_ redis: RedisClient) async throws -> [String: Int] {
        let info = try #require(try await redis.send(["INFO", "commandstats"]).string)
        var calls: [String: Int] = [:]
        for line in info.split(whereSeparator: \.isNewline) where line.hasPrefix("cmdstat_") {
            let name = line.dropFirst("cmdstat_".count).prefix { $0 != ":" }
            guard let range = line.range(of: "calls="), let count = Int(line[range.upperBound...].prefix { $0.isNumber }) else { continue }
            calls[String(name)] = count
        }
        return calls
    }

    /// Key by key, as an operator reads them.
    func leasesOneByOne(_ redis: RedisClient) async throws -> [GameShard: String] {
        var holders: [GameShard: String] = [:]
        for shard in GameShard.all {
            if let holder = try await redis.getString(RedisChannels.shardLeaseKey(shard)), !holder.isEmpty { holders[shard] = holder }
        }
        return holders
    }

    /// A poll is the members' script, the presence key and one MGET of the 64 leases (it was 64
    /// GETs, ten times a second on an idle authority), and reads what the keys hold: ours, another
    /// holder's, free ones.
    @Test func aPollReadsEveryLeaseInOneCommand() async throws {
        let server = try RedisServerProcess()
        defer { server.stop() }
        let redis = try await RedisClient.connect(url: server.url, eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
        let leases = ShardLeases(holder: "authority-1", redis: redis, ttlMilliseconds: 60_000)
        #expect(await leases.step().count == GameShard.count)
        _ = try await redis.send(["SET", RedisArgument(RedisChannels.shardLeaseKey(GameShard(rawValue: 5)!)), "authority-2"])
        _ = try await redis.send(["DEL", RedisArgument(RedisChannels.shardLeaseKey(GameShard(rawValue: 9)!))])
        let expected = try await leasesOneByOne(redis)
        #expect(expected.count == GameShard.count - 1 && expected[GameShard(rawValue: 5)!] == "authority-2")
        #expect(try await ShardLeases.holders(redis: redis) == expected)

        _ = try await redis.send(["CONFIG", "RESETSTAT"])
        _ = await leases.step()
        #expect(await leases.lastObservationFailure == nil)
        let polled = try await calls(redis)
        #expect(polled["mget"] == 1 && polled["get"] == nil, "\(polled)")
        #expect(polled["zadd"] == 1, "\(polled)")
        #expect(try await redis.getString(RedisChannels.authorityLeaseKey) == "authority-1")
        await redis.close()
    }

    /// Renewals go together (one pipelined round trip), and each renews its lease; after Redis
    /// forgot the scripts (a restart, SCRIPT FLUSH) a poll and its renewals load them and go on.
    @Test func renewalsRenewEveryLeaseAndSurviveAScriptFlush() async throws {
        let server = try RedisServerProcess()
        defer { server.stop() }
        let redis = try await RedisClient.connect(url: server.url, eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
        let ttl = 3_000
        let leases = ShardLeases(holder: "authority-1", redis: redis, ttlMilliseconds: ttl)
        #expect(await leases.step().count == GameShard.count)
        for round in 0..<2 {
            if round == 1 { _ = try await redis.send(["SCRIPT", "FLUSH"]) }
            // Shortened by hand (a renewal sets the whole lease again), then past a third of the
            // lease: every held lease is due for renewal.
            for shard in GameShard.all {
                _ = try await redis.send(["PEXPIRE", RedisArgument(RedisChannels.shardLeaseKey(shard)), "2500"])
            }
            try await Task.sleep(for: .milliseconds(ttl / 3 + 50))
            _ = try await redis.send(["CONFIG", "RESETSTAT"])
            #expect(await leases.step().isEmpty)
            #expect(await leases.lastObservationFailure == nil)
            #expect(try await calls(redis)["evalsha"] ?? 0 >= GameShard.count + 1)
            for shard in GameShard.all {
                let left = try #require(try await redis.send(["PTTL", RedisArgument(RedisChannels.shardLeaseKey(shard))]).int)
                #expect(left > 2_500, "round \(round): shard \(shard.rawValue)'s lease was not renewed (\(left) ms left)")
            }
            #expect(await leases.heldShards.count == GameShard.count)
        }
        await redis.close()
    }
}
