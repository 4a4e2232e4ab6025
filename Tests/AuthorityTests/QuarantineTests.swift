import Foundation
import NIOConcurrencyHelpers
import NIOPosix
import Redis
import RelayProtocol
import Testing
@testable import Authority

/// Poison games (see `InFlight`): marks left by processes that died applying a command.
extension RunnerTests {
    /// The replies published to gateway gw1, as they come.
    func replyFeed(_ url: String) async throws -> (RedisSubscriber, NIOLockedValueBox<[AuthorityReply]>) {
        let replies = NIOLockedValueBox<[AuthorityReply]>([])
        let feed = try await RedisSubscriber.connect(url: url, eventLoopGroup: MultiThreadedEventLoopGroup.singleton) { message in
            if let reply = try? WireJSON.decode(AuthorityReply.self, from: message.payload) { replies.withLockedValue { $0.append(reply) } }
        }
        try await feed.subscribe(RedisChannels.replies(gateway: "gw1"))
        return (feed, replies)
    }

    func answer(to id: String, in replies: NIOLockedValueBox<[AuthorityReply]>) async -> AuthorityReply? {
        _ = await poll(timeout: .seconds(10)) { replies.withLockedValue { $0.contains { $0.command == id } } }
        return replies.withLockedValue { $0.first { $0.command == id } }
    }

    func leaveMark(_ redis: RedisClient, process: String, crashes: Int) async throws {
        let mark = InFlight(command: "roll by p1 (command gw1-9)", process: process, crashes: crashes)
        _ = try await redis.set(GameStore.inFlightKey(game), WireJSON.encode(mark))
    }

    @Test func aGameTwoProcessesDiedOnInARowIsQuarantinedUntilAnOperatorLiftsIt() async throws {
        try await withStore { server, redis, store in
            var processor = CommandProcessor(seed: 3)
            try await commit(envelope("create", id: "c", seat: String(repeating: "a", count: 64), fields: ["name": .string("Alice")]), store, &processor)
            let snapshot = try await redis.getString(RedisChannels.snapshotKey(game))
            // The second process in a row died applying a command (its mark counts the first).
            try await leaveMark(redis, process: "elsewhere-1-x", crashes: 1)
            let (feed, replies) = try await replyFeed(server.url)
            let registry = RunnerRegistry(processor: CommandProcessor(seed: 3), store: store, timing: AuthorityTiming(),
                                          metrics: AuthorityMetrics(), logger: quiet)
            await registry.start()
            await registry.resumeActiveGames()
            await registry.dispatch(envelope("add_bot", id: "b", player: "p1"))
            let refused = await answer(to: "b", in: replies)
            #expect(refused?.kind == .error && refused?.code == .unknownGame)
            let entry = try #require(try await store.quarantinedGames()[game])
            #expect(entry.command == "roll by p1 (command gw1-9)")
            #expect(try await !isActive(redis, game))
            #expect(try await !isListed(redis, game))
            #expect(try await redis.getString(RedisChannels.snapshotKey(game)) == snapshot)

            // Another game is served meanwhile.
            let other = GameID(rawValue: "OTHER3")!
            await registry.dispatch(envelope("create", id: "c2", game: other, connection: "2", seat: String(repeating: "b", count: 64),
                                             fields: ["name": .string("Bob")]))
            #expect(await answer(to: "c2", in: replies)?.kind == .welcome)

            // Lifted: the game is active and played again, its mark gone.
            #expect(try await store.unquarantine(game))
            #expect(try await isActive(redis, game))
            await registry.dispatch(envelope("add_bot", id: "b2", player: "p1"))
            #expect(await answer(to: "b2", in: replies)?.kind == .ack)
            #expect(try await store.quarantinedGames().isEmpty)
            #expect(try await redis.get(GameStore.inFlightKey(game)) == nil)
            await registry.stopAll()
            await feed.close()
        }
    }

    /// A commit refused as STALE means another authority advanced the game: it is alive, and the
    /// mark it holds is the command it is applying now, no death (it may carry one counted death:
    /// e.g. it found this process's mark when it took over while we were paused). Before, the
    /// reload counted it as a second death in a row and quarantined a healthy game.
    @Test func theMarkOfTheAuthorityThatJustAdvancedTheGameIsNoDeath() async throws {
        try await withStore { server, redis, store in
            var processor = CommandProcessor(seed: 3)
            try await commit(envelope("create", id: "c", seat: String(repeating: "a", count: 64), fields: ["name": .string("Alice")]), store, &processor)
            try await commit(envelope("join", id: "j", connection: "2", seat: String(repeating: "b", count: 64), fields: ["name": .string("Ghost")]),
                             store, &processor)
            try await commit(envelope("disconnect", id: "d", connection: "2"), store, &processor)
            let (feed, replies) = try await replyFeed(server.url)
            let registry = RunnerRegistry(processor: CommandProcessor(seed: 3), store: store,
                                          timing: AuthorityTiming(lobbyGrace: .seconds(3)), metrics: AuthorityMetrics(), logger: quiet)
            await registry.start()
            await registry.dispatch(envelope("add_bot", id: "b1", player: "p1"))
            #expect(await answer(to: "b1", in: replies)?.kind == .ack)

            // Before the runner gives the ghost's seat up (an unmarked commit), the other authority
            // commits a command and marks its next one: the runner's commit is STALE, it reloads.
            try await commit(envelope("add_bot", id: "x1", player: "p1"), store, &processor)
            try await leaveMark(redis, process: "elsewhere-1-x", crashes: 1)
            #expect(await poll(timeout: .seconds(20)) {
                let names = (try? await store.load(game))??.state.players.map(\.name)
                let quarantined = (try? await store.quarantinedGames().isEmpty) == false
                return names?.contains("Ghost") == false || quarantined
            })
            #expect(try await store.quarantinedGames().isEmpty)
            #expect(try await isActive(redis, game))
            await registry.stopAll()
            await feed.close()
        }
    }

    /// One death is not enough (a kill -9 can hit any command), nor is a mark this very process
    /// left (a commit Redis refused): the game is played, and its next command clears the mark.
    @Test(arguments: [("elsewhere-1-x", 0), (GameStore.processInstance, 1)])
    func aMarkThatIsNotTwoDeathsInARowIsClearedByTheNextCommand(_ process: String, _ crashes: Int) async throws {
        try await withStore { server, redis, store in
            var processor = CommandProcessor(seed: 3)
            try await commit(envelope("create", id: "c", seat: String(repeating: "a", count: 64), fields: ["name": .string("Alice")]), store, &processor)
            try await leaveMark(redis, process: process, crashes: crashes)
            let (feed, replies) = try await replyFeed(server.url)
            let registry = RunnerRegistry(processor: CommandProcessor(seed: 3), store: store, timing: AuthorityTiming(),
                                          metrics: AuthorityMetrics(), logger: quiet)
            await registry.start()
            await registry.dispatch(envelope("add_bot", id: "b", player: "p1"))
            #expect(await answer(to: "b", in: replies)?.kind == .ack)
            #expect(try await redis.get(GameStore.inFlightKey(game)) == nil)
            #expect(try await store.quarantinedGames().isEmpty)
            await registry.stopAll()
            await feed.close()
        }
    }
}
