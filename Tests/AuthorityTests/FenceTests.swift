import Foundation
import Monopoly
import NIOPosix
import Redis
import RelayProtocol
import TestSupport
import Testing
@testable import Authority

/// Every write of an authority but its seq-fenced commit checks the lease's fencing token in the
/// same script: a stale authority (its lease gone while it was paused, or a twin under the same
/// id) cannot re-list a game, publish an error or a chat line, or mark a game.
@Suite("lease fencing against a real Redis", .serialized)
struct FenceTests {
    let game = GameID(rawValue: "FENCE2")!

    func record() -> GameRecord {
        var record = GameRecord(game: game, seq: 1, state: GameState(options: GameOptions(), seed: 1))
        _ = try? record.state.join(name: "Alice")
        return record
    }

    func listed(_ redis: RedisClient) async throws -> Bool {
        try await redis.send(["HEXISTS", RedisArgument(RedisChannels.lobbyKey), RedisArgument(game.rawValue)]).int == 1
    }

    @Test(arguments: ["authority-2", "authority-1"])
    func theWritesOfAnAuthorityWhoseLeaseWasTakenOverAreRefused(_ successor: String) async throws {
        let server = try RedisServerProcess()
        defer { server.stop() }
        let redis = try await RedisClient.connect(url: server.url, eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
        let stale = AuthorityLease(holder: "authority-1", redis: redis, ttlMilliseconds: 60_000)
        let staleStore = GameStore(redis: redis, fence: stale.fence)
        #expect(await stale.refresh())
        try await staleStore.updateLobby(record())
        #expect(try await listed(redis))

        // Paused past its lease: another process takes it (under another id, or the same one).
        // Expired by hand, not by sleeping past a short TTL: on a loaded machine a short lease also
        // ran out before the stale holder's first (legitimate) write.
        _ = try await redis.send(["DEL", RedisArgument(RedisChannels.authorityLeaseKey)])
        let successorLease = AuthorityLease(holder: successor, redis: redis, ttlMilliseconds: 10_000)
        #expect(await successorLease.refresh())
        let current = GameStore(redis: redis, fence: successorLease.fence)

        // The stale one wakes up and writes before it notices: refused, nothing changed.
        var finished = record()
        _ = finished.state.close(reason: "abandoned")
        await #expect(throws: LeaseFence.Fenced.self) { try await staleStore.updateLobby(finished) }
        #expect(try await listed(redis))
        await #expect(throws: LeaseFence.Fenced.self) { try await staleStore.publish([(RedisChannels.state(game), "chat")]) }
        await #expect(throws: LeaseFence.Fenced.self) { try await staleStore.markInFlight(game, command: "roll", crashes: 0) }
        #expect(try await redis.get(GameStore.inFlightKey(game)) == nil)
        // Its next renewal fails (the twin under the same id too: the token differs) and it stands by.
        #expect(await !stale.refresh())

        // The holder's writes go through.
        try await current.updateLobby(finished)
        #expect(try await !listed(redis))
        try await current.markInFlight(game, command: "roll", crashes: 0)
        #expect(try await redis.get(GameStore.inFlightKey(game)) != nil)
        #expect(try await redis.getString(LeaseFence.key) == "2")
        await redis.close()
    }
}
