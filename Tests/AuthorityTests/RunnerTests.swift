import Foundation
import Logging
import Monopoly
import NIOConcurrencyHelpers
import NIOPosix
import Redis
import RelayProtocol
import TestSupport
import Testing
@testable import Authority

/// Game runners and their registry against a real redis-server: what happens when another
/// authority (one that lost its lease and has not noticed yet, or the new holder) writes too.
@Suite("game runners against a real Redis", .serialized)
struct RunnerTests {
    let game = GameID(rawValue: "RUNNR2")!

    func envelope(_ type: String, id: String, game: GameID? = nil, connection: String = "1", player: String? = nil, seat: String? = nil,
                  fields: [String: JSONValue] = [:]) -> CommandEnvelope {
        var message = fields
        message["type"] = .string(type)
        return CommandEnvelope(id: id, gateway: "gw1", connection: connection, game: game ?? self.game, player: player, seat: seat,
                               message: .wire(message))
    }

    /// Applies and commits one envelope as the authority does; returns the new seq.
    @discardableResult
    func commit(_ envelope: CommandEnvelope, _ store: GameStore, _ processor: inout CommandProcessor) async throws -> Int {
        let record = try await store.load(envelope.game)
        let outcome = processor.handle(envelope, record: record, now: Date().timeIntervalSince1970)
        let next = try #require(outcome.record, "\(envelope.type) was rejected: \(outcome.replies.map(\.reply.code))")
        try await store.commit(outcome, previousSeq: record?.seq ?? 0)
        return next.seq
    }

    /// Alice hosts, a bot joins, the game starts and Alice's connection goes. Returns the seq.
    func startAliceAndABotThenLoseAlice(_ store: GameStore, _ processor: inout CommandProcessor) async throws -> Int {
        try await commit(envelope("create", id: "c", seat: String(repeating: "a", count: 64), fields: ["name": .string("Alice")]), store, &processor)
        try await commit(envelope("add_bot", id: "b", player: "p1"), store, &processor)
        try await commit(envelope("start", id: "s", player: "p1"), store, &processor)
        return try await commit(envelope("disconnect", id: "d", player: "p1"), store, &processor)
    }

    func seq(_ redis: RedisClient, _ game: GameID? = nil) async -> Int {
        (try? await redis.getString(RedisChannels.sequenceKey(game ?? self.game))).flatMap { $0.flatMap { Int($0) } } ?? -1
    }

    func poll(timeout: Duration, _ condition: () async -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if await condition() { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return await condition()
    }

    func withStore(_ body: (RedisClient, GameStore) async throws -> Void) async throws {
        try await withStore { _, redis, store in try await body(redis, store) }
    }

    func withStore(_ body: (RedisServerProcess, RedisClient, GameStore) async throws -> Void) async throws {
        let server = try RedisServerProcess()
        defer { server.stop() }
        let redis = try await RedisClient.connect(url: server.url, eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
        do {
            try await body(server, redis, GameStore(redis: redis))
        } catch {
            await redis.close()
            throw error
        }
        await redis.close()
    }

    var quiet: Logger {
        var logger = Logger(label: "runner-test")
        logger.logLevel = .critical
        return logger
    }

    @Test func aRunnerOutrunByAnotherAuthorityReloadsAndKeepsPlaying() async throws {
        try await withStore { redis, store in
            // Alice hosts, a bot joins, the game starts and Alice's connection goes: with no grace
            // period the authority plays for everyone, one move per bot delay.
            var processor = CommandProcessor(seed: 3)
            let before = try await startAliceAndABotThenLoseAlice(store, &processor)

            let runner = GameRunner(game: game, processor: CommandProcessor(seed: 3), store: store,
                                    timing: AuthorityTiming(botDelay: .seconds(1), disconnectGrace: .zero),
                                    metrics: AuthorityMetrics(), logger: quiet)
            runner.wake()
            #expect(await poll(timeout: .seconds(10)) { await seq(redis) == before + 1 })

            // Before the runner's next move, another authority commits one: the runner's copy is stale.
            let record = try #require(try await store.load(game))
            let player = try #require(record.state.current)
            let candidates = [Bot.nextCommand(for: player, in: record.state)].compactMap { $0 }
                + [.roll, .buy, .endTurn, .pass, .decline, .jailPay]
            var moved = false
            for command in candidates {
                let outcome = processor.apply(command, by: player, to: record, cause: nil, now: Date().timeIntervalSince1970)
                guard outcome.record != nil else { continue }
                try await store.commit(outcome, previousSeq: record.seq)
                moved = true
                break
            }
            try #require(moved)
            #expect(await seq(redis) == before + 2)

            // The runner's next commit is refused (STALE); it must take the newer state and go on
            // playing, not wait for a command that may never come.
            #expect(await poll(timeout: .seconds(8)) { await seq(redis) >= before + 4 })
            await runner.stop()
        }
    }

    @Test func commandsDispatchedAfterTheLeaseIsLostAreNotApplied() async throws {
        try await withStore { redis, store in
            var processor = CommandProcessor(seed: 3)
            try await commit(envelope("create", id: "c", seat: String(repeating: "a", count: 64), fields: ["name": .string("Alice")]), store, &processor)
            let registry = RunnerRegistry(processor: CommandProcessor(seed: 3), store: store, timing: AuthorityTiming(),
                                          metrics: AuthorityMetrics(), logger: quiet)
            await registry.start()
            await registry.dispatch(envelope("add_bot", id: "b1", player: "p1"))
            #expect(await poll(timeout: .seconds(10)) { await seq(redis) == 2 })

            // The lease is lost: the runners stop. A command Redis delivered before the PUNSUBSCRIBE
            // still reaches dispatch; it must not start a runner on this (now standby) authority,
            // which would apply it and keep playing bots and clocks for the game without the lease.
            await registry.stopAll()
            await registry.dispatch(envelope("add_bot", id: "b2", player: "p1"))
            #expect(await !poll(timeout: .seconds(1)) { await seq(redis) != 2 })
            #expect(await registry.loadedGames == 0)

            // Holding the lease again, commands are applied.
            await registry.start()
            await registry.dispatch(envelope("add_bot", id: "b3", player: "p1"))
            #expect(await poll(timeout: .seconds(10)) { await seq(redis) == 3 })
            await registry.stopAll()
        }
    }
    @Test func runnersOfGamesThatAreOverOrDoNotExistAreReleased() async throws {
        try await withStore { redis, store in
            var processor = CommandProcessor(seed: 3)
            let lobby = GameID(rawValue: "LOBBY2")!, over = GameID(rawValue: "OVER22")!, none = GameID(rawValue: "NONE22")!
            try await commit(envelope("create", id: "c1", game: lobby, seat: String(repeating: "a", count: 64), fields: ["name": .string("Alice")]), store, &processor)
            try await commit(envelope("create", id: "c2", game: over, seat: String(repeating: "b", count: 64), fields: ["name": .string("Alice")]), store, &processor)
            try await commit(envelope("join", id: "j2", game: over, connection: "2", seat: String(repeating: "c", count: 64), fields: ["name": .string("Bob")]), store, &processor)
            try await commit(envelope("start", id: "s2", game: over, player: "p1"), store, &processor)
            try await commit(envelope("leave", id: "l2", game: over, connection: "2", player: "p2"), store, &processor)
            #expect(try await store.load(over)?.state.phase == .finished)

            let registry = RunnerRegistry(processor: CommandProcessor(seed: 3), store: store, timing: AuthorityTiming(),
                                          metrics: AuthorityMetrics(), logger: quiet)
            await registry.start()
            // Any client can name a game that does not exist (a join with a made-up code) ...
            await registry.dispatch(envelope("join", id: "j3", game: none, connection: "3", seat: String(repeating: "d", count: 64), fields: ["name": .string("Eve")]))
            // ... or send something to a game that is over.
            await registry.dispatch(envelope("leave", id: "l1", game: over, player: "p1"))
            // Each got a runner (counting them now would race their retirement, which is quick).
            // Neither keeps a runner (and its record) for the rest of the authority's life.
            #expect(await poll(timeout: .seconds(10)) { await registry.loadedGames == 0 })

            // A game in play or in the lobby keeps its runner; a retired game gets a new one.
            await registry.dispatch(envelope("add_bot", id: "b1", game: lobby, player: "p1"))
            #expect(await poll(timeout: .seconds(10)) { await seq(redis, lobby) == 2 })
            await registry.dispatch(envelope("create", id: "c3", game: none, connection: "3", seat: String(repeating: "d", count: 64), fields: ["name": .string("Eve")]))
            #expect(await poll(timeout: .seconds(10)) { await seq(redis, none) == 1 })
            #expect(await !poll(timeout: .milliseconds(500)) { await registry.loadedGames != 2 })
            await registry.stopAll()
        }
    }
    @Test func aRunnerThatCouldNotLoadItsGameTriesAgain() async throws {
        try await withStore { server, redis, store in
            var processor = CommandProcessor(seed: 3)
            let before = try await startAliceAndABotThenLoseAlice(store, &processor)

            // Redis stops answering; the authority (just took over) wakes the game to resume its
            // bots: the load fails.
            server.pause()
            let lost = await poll(timeout: .seconds(15)) { redis.state != .ready }
            let runner = GameRunner(game: game, processor: CommandProcessor(seed: 3), store: store,
                                    timing: AuthorityTiming(botDelay: .milliseconds(200), disconnectGrace: .zero),
                                    metrics: AuthorityMetrics(), logger: quiet)
            runner.wake()
            try await Task.sleep(for: .milliseconds(300))
            server.resume()
            try #require(lost)
            #expect(await poll(timeout: .seconds(15)) { redis.state == .ready })

            // Nothing else will come for this game (every player is played by the authority):
            // the runner must try the load again by itself.
            #expect(await poll(timeout: .seconds(10)) { await seq(redis) > before })
            await runner.stop()
        }
    }

    @Test func aCommitWhoseLobbyUpdateFailsStillCountsAndTheLobbyIsRetried() async throws {
        try await withStore { server, admin, _ in
            // An authority whose Redis user may write game keys but not the lobby list: the commit
            // (the Lua script on the game's keys) succeeds, the lobby update after it is refused.
            _ = try await admin.send(["ACL", "SETUSER", "authority", "on", ">secret", "resetkeys", "~monopoly:{*", "&*", "+@all"])
            let port = try #require(server.url.split(separator: ":").last)
            let redis = try await RedisClient.connect(url: "redis://authority:secret@127.0.0.1:\(port)",
                                                      eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
            let runner = GameRunner(game: game, processor: CommandProcessor(seed: 3), store: GameStore(redis: redis),
                                    timing: AuthorityTiming(), metrics: AuthorityMetrics(), logger: quiet)
            runner.submit(envelope("create", id: "c", seat: String(repeating: "a", count: 64), fields: ["name": .string("Alice")]))
            #expect(await poll(timeout: .seconds(10)) { await seq(admin) == 1 })
            #expect(try await admin.send(["HLEN", RedisArgument(RedisChannels.lobbyKey)]).int == 0)

            // The runner goes on from the record it wrote: the next command passes the seq fence
            // (before, the runner kept its old copy and the command was refused as STALE, dropped).
            runner.submit(envelope("add_bot", id: "b", player: "p1"))
            #expect(await poll(timeout: .seconds(10)) { await seq(admin) == 2 })

            // Once the lobby can be written again, the next commit writes the entry it missed,
            // although that command changes nothing the lobby shows.
            _ = try await admin.send(["ACL", "SETUSER", "authority", "allkeys"])
            let before = try #require(try await GameStore(redis: admin).load(game))
            runner.submit(envelope("disconnect", id: "d", player: "p1"))
            #expect(await poll(timeout: .seconds(10)) { await seq(admin) == 3 })
            let after = try #require(try await GameStore(redis: admin).load(game))
            #expect(after.lobbyEntry == before.lobbyEntry)
            #expect(await poll(timeout: .seconds(10)) {
                ((try? await admin.send(["HLEN", RedisArgument(RedisChannels.lobbyKey)]))?.int ?? 0) == 1
            })
            await runner.stop()
            await redis.close()
        }
    }
    func timesToLive(_ redis: RedisClient, _ game: GameID) async throws -> [Int] {
        var ttls: [Int] = []
        for key in [RedisChannels.snapshotKey(game), RedisChannels.lastStateKey(game), RedisChannels.sequenceKey(game)] {
            ttls.append(try await redis.send(["PTTL", RedisArgument(key)]).int ?? -3)
        }
        return ttls
    }

    @Test func theCommitThatFinishesAGameGivesItsKeysATimeToLive() async throws {
        try await withStore { redis, _ in
            let store = GameStore(redis: redis, finishedTTLSeconds: 60)
            var processor = CommandProcessor(seed: 3)
            try await commit(envelope("create", id: "c", seat: String(repeating: "a", count: 64), fields: ["name": .string("Alice")]), store, &processor)
            try await commit(envelope("join", id: "j", connection: "2", seat: String(repeating: "b", count: 64), fields: ["name": .string("Bob")]), store, &processor)
            try await commit(envelope("start", id: "s", player: "p1"), store, &processor)
            // Open games keep their keys.
            #expect(try await timesToLive(redis, game) == [-1, -1, -1])
            // Bob resigns: the game is over, and the script that wrote that gave every key its TTL.
            try await commit(envelope("leave", id: "l", connection: "2", player: "p2"), store, &processor)
            #expect(try await store.load(game)?.state.phase == .finished)
            for ttl in try await timesToLive(redis, game) { #expect((1...60_000).contains(ttl)) }
        }
    }
    /// Snapshots as a hostile publisher or an old authority could have left them. Each used to
    /// trap the authority in `nextWake` (`Int64((deadline - wall) * 1000)`) on load, and the
    /// standby and every restart after it, since the game stays in `monopoly:games:active`.
    /// (The case, the change to the stored text, whether the record still loads: 1e400 is no
    /// Double, and the last ones are out of the engine's bounds, so those snapshots are refused
    /// and only their own game stops.)
    static let absurdSnapshots: [(String, @Sendable (String) -> String, loads: Bool)] = [
        // What `create` with turn_seconds 10^16, `add_bot` and `start` stored before options had ranges.
        ("a turn clock of 10^16 s", { text in
            text.replacing(#""turn_seconds":30"#, with: #""turn_seconds":10000000000000000"#)
                .replacing(#/"turn_deadline":[0-9.e+]+/#, with: #""turn_deadline":10000001700000000"#)
        }, true),
        ("a turn deadline of 1e300", { $0.replacing(#/"turn_deadline":[0-9.e+]+/#, with: #""turn_deadline":1e300"#) }, true),
        ("a turn deadline of -1e300", { $0.replacing(#/"turn_deadline":[0-9.e+]+/#, with: #""turn_deadline":-1e300"#) }, true),
        ("a turn deadline of 1e400", { $0.replacing(#/"turn_deadline":[0-9.e+]+/#, with: #""turn_deadline":1e400"#) }, false),
        ("Int.max seconds on both clocks", { text in
            text.replacing(#""turn_seconds":30"#, with: #""turn_seconds":9223372036854775807"#)
                .replacing(#/"auction_seconds":[0-9]+/#, with: #""auction_seconds":9223372036854775807"#)
        }, true),
        ("a bot disconnected since 1e300", { $0.replacing(#""disconnected_at":null"#, with: #""disconnected_at":1e300"#) }, true),
        // Values the engine indexes with or adds to: the record is refused as corrupt when loaded.
        ("GO at square 99", { $0.replacing(#""index":0,"#, with: #""index":99,"#) }, false),
        ("a chance card 99 on top", { $0.replacing(#/"chance_deck":\[[0-9]+/#, with: #""chance_deck":[99"#) }, false),
        ("Alice at square 4000", { $0.replacing(#/"position":0/#, with: #""position":4000"#) }, false),
        // The first command that settles debts (Alice's trade proposal) looked the stranger up and trapped.
        ("a debt of a stranger", {
            $0.replacing(#""debts":[]"#, with: #""debts":[{"amount":10,"creditor":"bank","debtor":"p9","reason":"rent"}]"#)
        }, false),
        ("seq Int.max", { $0.replacing(#/"seq":[0-9]+,"state"/#, with: #""seq":9007199254740991,"state""#) }, false),
    ]

    @Test(arguments: absurdSnapshots.indices)
    func aSnapshotWithAnAbsurdDeadlineIsResumedAndTheGameGoesOn(_ index: Int) async throws {
        let (_, corrupt, loads) = Self.absurdSnapshots[index]
        try await withStore { redis, store in
            var processor = CommandProcessor(seed: 3)
            try await commit(envelope("create", id: "c", seat: String(repeating: "a", count: 64),
                                      fields: ["name": .string("Alice"), "options": .object(["turn_seconds": .number(30)])]), store, &processor)
            try await commit(envelope("add_bot", id: "b", player: "p1"), store, &processor)
            let started = try await commit(envelope("start", id: "s", player: "p1"), store, &processor)
            let key = RedisChannels.snapshotKey(game)
            let snapshot = try #require(try await redis.getString(key))
            let corrupted = corrupt(snapshot)
            try #require(corrupted != snapshot)
            _ = try await redis.set(key, corrupted)

            // An authority taking over resumes the game, then Alice (connected, her turn) rolls and
            // offers the bot a trade.
            let registry = RunnerRegistry(processor: CommandProcessor(seed: 3), store: store,
                                          timing: AuthorityTiming(botDelay: .milliseconds(100)), metrics: AuthorityMetrics(), logger: quiet)
            await registry.start()
            await registry.resumeActiveGames()
            await registry.dispatch(envelope("roll", id: "r", player: "p1"))
            await registry.dispatch(envelope("trade_propose", id: "t", player: "p1",
                                             fields: ["to": .string("p2"), "give": .object(["cash": .number(1)]), "get": .object([:])]))
            if loads {
                #expect(await poll(timeout: .seconds(10)) { await seq(redis) > started })
            }
            // And it still serves another game.
            let other = GameID(rawValue: "OTHER2")!
            await registry.dispatch(envelope("create", id: "c2", game: other, connection: "2", seat: String(repeating: "b", count: 64),
                                             fields: ["name": .string("Bob")]))
            #expect(await poll(timeout: .seconds(10)) { await seq(redis, other) == 1 })
            await registry.stopAll()
        }
    }

    /// Numbers no authority writes, which would trap the next increment or lookup: before, `seq` at
    /// Int.max trapped `seq += 1` at the first command in every authority that resumed the game. Such
    /// a record (and one that cannot be read) is refused at load and the game quarantined.
    static let damagedSnapshots: [(String, @Sendable (String) -> String)] = [
        ("seq at Int.max", { $0.replacing(#/"seq":[0-9]+,"state"/#, with: #""seq":9223372036854775807,"state""#) }),
        ("turn_number at Int.max", { $0.replacing(#/"turn_number":[0-9]+/#, with: #""turn_number":9223372036854775807"#) }),
        ("next_player_number at Int.max", { $0.replacing(#/"next_player_number":[0-9]+/#, with: #""next_player_number":9223372036854775807"#) }),
        ("a position off the board", { $0.replacing(#/"position":0/#, with: #""position":1000"#) }),
        ("cash at Int.max", { $0.replacing(#/"cash":1500/#, with: #""cash":9223372036854775807"#) }),
        ("timeouts at Int.max", { $0.replacing(#/"timeouts":0/#, with: #""timeouts":9223372036854775807"#) }),
        ("an unreadable seq", { $0.replacing(#/"seq":[0-9]+,"state"/#, with: #""seq":1e400,"state""#) }),
    ]

    @Test(arguments: damagedSnapshots.indices)
    func aSnapshotWithCountersPastTheirBoundsIsQuarantinedNotPlayed(_ index: Int) async throws {
        let (_, damage) = Self.damagedSnapshots[index]
        try await withStore { server, redis, store in
            var processor = CommandProcessor(seed: 3)
            try await commit(envelope("create", id: "c", seat: String(repeating: "a", count: 64), fields: ["name": .string("Alice")]), store, &processor)
            try await commit(envelope("add_bot", id: "b", player: "p1"), store, &processor)
            try await commit(envelope("start", id: "s", player: "p1"), store, &processor)
            let key = RedisChannels.snapshotKey(game)
            let snapshot = try #require(try await redis.getString(key))
            let damaged = damage(snapshot)
            try #require(damaged != snapshot)
            _ = try await redis.set(key, damaged)
            let replies = NIOLockedValueBox<[AuthorityReply]>([])
            let feed = try await RedisSubscriber.connect(url: server.url, eventLoopGroup: MultiThreadedEventLoopGroup.singleton) { message in
                if let reply = try? WireJSON.decode(AuthorityReply.self, from: message.payload) { replies.withLockedValue { $0.append(reply) } }
            }
            try await feed.subscribe(RedisChannels.replies(gateway: "gw1"))

            // An authority taking over resumes it, and Alice (connected, her turn) rolls.
            let registry = RunnerRegistry(processor: CommandProcessor(seed: 3), store: store,
                                          timing: AuthorityTiming(botDelay: .milliseconds(100)), metrics: AuthorityMetrics(), logger: quiet)
            await registry.start()
            await registry.resumeActiveGames()
            await registry.dispatch(envelope("roll", id: "r", player: "p1"))
            #expect(await poll(timeout: .seconds(10)) { replies.withLockedValue { $0.contains { $0.command == "r" } } })
            let answer = replies.withLockedValue { $0.first { $0.command == "r" } }
            #expect(answer?.kind == .error && answer?.code == .unknownGame)
            // Out of the lobby and the active games (no authority resumes it again), its keys left as they were.
            #expect(try await !isActive(redis, game))
            #expect(try await !isListed(redis, game))
            #expect(try await redis.getString(key) == damaged)
            // And the authority still serves another game.
            let other = GameID(rawValue: "OTHER2")!
            await registry.dispatch(envelope("create", id: "c2", game: other, connection: "2", seat: String(repeating: "b", count: 64),
                                             fields: ["name": .string("Bob")]))
            #expect(await poll(timeout: .seconds(10)) { await seq(redis, other) == 1 })
            await registry.stopAll()
            await feed.close()
        }
    }

    func isActive(_ redis: RedisClient, _ game: GameID) async throws -> Bool {
        try await redis.send(["SISMEMBER", RedisArgument(GameStore.activeGamesKey), RedisArgument(game.rawValue)]).int == 1
    }

    func isListed(_ redis: RedisClient, _ game: GameID) async throws -> Bool {
        try await redis.send(["HEXISTS", RedisArgument(RedisChannels.lobbyKey), RedisArgument(game.rawValue)]).int == 1
    }

    @Test func aLobbyNobodyIsConnectedToIsClosedAndItsRunnerRetired() async throws {
        try await withStore { redis, store in
            var processor = CommandProcessor(seed: 3)
            try await commit(envelope("create", id: "c", seat: String(repeating: "a", count: 64), fields: ["name": .string("Alice")]), store, &processor)
            let vacant = try await commit(envelope("disconnect", id: "d"), store, &processor)
            #expect(try await isActive(redis, game))
            #expect(try await isListed(redis, game))

            // An authority taking over resumes the lobby; nobody comes back within the idle time.
            let registry = RunnerRegistry(processor: CommandProcessor(seed: 3), store: store,
                                          timing: AuthorityTiming(lobbyIdle: .seconds(1)), metrics: AuthorityMetrics(), logger: quiet)
            await registry.start()
            await registry.resumeActiveGames()
            #expect(await poll(timeout: .seconds(10)) { await seq(redis) == vacant + 1 })
            let record = try #require(try await store.load(game))
            #expect(record.state.phase == .finished && record.state.endReason == "lobby_idle")
            // The lobby list and the active set are written after the commit's script (seq first).
            #expect(await poll(timeout: .seconds(10)) { (try? await !isActive(redis, game)) == true })
            #expect(await poll(timeout: .seconds(10)) { (try? await !isListed(redis, game)) == true })
            for ttl in try await timesToLive(redis, game) { #expect(ttl > 0) }
            #expect(await poll(timeout: .seconds(10)) { await registry.loadedGames == 0 })
            await registry.stopAll()
        }
    }

    @Test func aLobbySeatWhoseConnectionIsGoneIsGivenUpByTheRunnerAfterTheGrace() async throws {
        try await withStore { redis, store in
            var processor = CommandProcessor(seed: 3)
            try await commit(envelope("create", id: "c", seat: String(repeating: "a", count: 64), fields: ["name": .string("Alice")]), store, &processor)
            try await commit(envelope("join", id: "j", connection: "2", seat: String(repeating: "b", count: 64), fields: ["name": .string("Ghost")]),
                             store, &processor)
            let gone = try await commit(envelope("disconnect", id: "d", connection: "2"), store, &processor)

            // No command comes: the runner's own timer gives the ghost's seat up.
            let registry = RunnerRegistry(processor: CommandProcessor(seed: 3), store: store,
                                          timing: AuthorityTiming(lobbyGrace: .seconds(1)), metrics: AuthorityMetrics(), logger: quiet)
            await registry.start()
            await registry.resumeActiveGames()
            #expect(await poll(timeout: .seconds(10)) { await seq(redis) == gone + 1 })
            let record = try #require(try await store.load(game))
            #expect(record.state.phase == .lobby && record.state.players.map(\.name) == ["Alice"] && record.seats.keys.sorted() == ["p1"])
            // The lobby entry is written after the commit's script (seq first): wait for it too.
            #expect(await poll(timeout: .seconds(10)) {
                let entry = try? await redis.send(["HGET", RedisArgument(RedisChannels.lobbyKey), RedisArgument(game.rawValue)]).string
                return entry?.contains(#""players":1"#) == true
            })
            await registry.stopAll()
        }
    }

    @Test func aRunningGameWithOnlyBotsLeftEndsAsAbandoned() async throws {
        try await withStore { redis, store in
            var processor = CommandProcessor(seed: 3)
            let vacant = try await startAliceAndABotThenLoseAlice(store, &processor)

            // The authority plays every seat (no grace period) until the abandonment time is up.
            let registry = RunnerRegistry(processor: CommandProcessor(seed: 3), store: store,
                                          timing: AuthorityTiming(botDelay: .milliseconds(100), disconnectGrace: .zero, abandoned: .seconds(2)),
                                          metrics: AuthorityMetrics(), logger: quiet)
            await registry.start()
            await registry.resumeActiveGames()
            #expect(await poll(timeout: .seconds(15)) { (try? await store.load(game))??.state.phase == .finished })
            let record = try #require(try await store.load(game))
            #expect(record.state.endReason == "abandoned" && record.state.winner == nil)
            #expect(record.seq > vacant + 1, "the bots played meanwhile")
            // The lobby list follows the commit's script: waited for, not read at once.
            #expect(await poll(timeout: .seconds(10)) { (try? await isActive(redis, game)) == false })
            #expect(await poll(timeout: .seconds(10)) { (try? await isListed(redis, game)) == false })
            #expect(await poll(timeout: .seconds(10)) { await registry.loadedGames == 0 })
            await registry.stopAll()
        }
    }
    @Test func aClientAddressHoldsAtMostItsOpenGamesAndAnAuthorityTakingOverCountsThemAgain() async throws {
        try await withStore { server, redis, store in
            let replies = NIOLockedValueBox<[AuthorityReply]>([])
            let feed = try await RedisSubscriber.connect(url: server.url, eventLoopGroup: MultiThreadedEventLoopGroup.singleton) { message in
                if let reply = try? WireJSON.decode(AuthorityReply.self, from: message.payload) { replies.withLockedValue { $0.append(reply) } }
            }
            try await feed.subscribe(RedisChannels.replies(gateway: "gw1"))
            func reply(to id: String) async -> AuthorityReply? {
                _ = await poll(timeout: .seconds(10)) { replies.withLockedValue { $0.contains { $0.command == id } } }
                return replies.withLockedValue { $0.first { $0.command == id } }
            }
            func create(_ n: Int, from address: String, on registry: RunnerRegistry) async -> AuthorityReply? {
                await registry.dispatch(CommandEnvelope(id: "c\(n)", gateway: "gw1", connection: "\(n)", game: GameID(rawValue: "QUOTA\(n)")!,
                                                        seat: String(repeating: "a", count: 64), client: address,
                                                        message: .create(name: "Alice", options: GameOptions())))
                return await reply(to: "c\(n)")
            }
            func registry() async -> RunnerRegistry {
                let registry = RunnerRegistry(processor: CommandProcessor(seed: 3), store: store, timing: AuthorityTiming(),
                                              metrics: AuthorityMetrics(), logger: quiet, maxGamesPerClient: 3)
                await registry.start()
                return registry
            }

            let first = await registry()
            for n in 1...3 { #expect(await create(n, from: "192.0.2.1", on: first)?.kind == .welcome) }
            let refused = await create(4, from: "192.0.2.1", on: first)
            #expect(refused?.kind == .error && refused?.code == .tooManyGames)
            #expect(await seq(redis, GameID(rawValue: "QUOTA4")!) == -1)
            #expect(await create(5, from: "192.0.2.2", on: first)?.kind == .welcome)
            // Leaving one of its games (the lobby is closed) frees a slot.
            await first.dispatch(CommandEnvelope(id: "l1", gateway: "gw1", connection: "1", game: GameID(rawValue: "QUOTA1")!, player: "p1",
                                                 message: .leave))
            #expect(await reply(to: "l1")?.kind == .ack)
            #expect(await create(6, from: "192.0.2.1", on: first)?.kind == .welcome)

            // Another authority takes over: it counts the games it resumes.
            await first.stopAll()
            let next = await registry()
            await next.resumeActiveGames()
            #expect(await poll(timeout: .seconds(10)) { next.openGames.count(for: "192.0.2.1") == 3 })
            #expect(await create(7, from: "192.0.2.1", on: next)?.code == .tooManyGames)
            await next.stopAll()
            await feed.close()
        }
    }
    /// A client that leaves a game and at once creates another must find its slot free: the ledger
    /// is updated before the commit publishes the acknowledgement. Before, it was updated after the
    /// commit returned, so the next `create` (another runner) could still see the slot taken.
    @Test func theSlotALeaveFreesIsFreeWhenItsAcknowledgementIsPublished() async throws {
        try await withStore { server, redis, store in
            let ledger = NIOLockedValueBox<OpenGamesLedger?>(nil)
            let countsAtAck = NIOLockedValueBox<[String: Int]>([:])
            let feed = try await RedisSubscriber.connect(url: server.url, eventLoopGroup: MultiThreadedEventLoopGroup.singleton) { message in
                guard let reply = try? WireJSON.decode(AuthorityReply.self, from: message.payload), let id = reply.command,
                      let count = ledger.withLockedValue({ $0?.count(for: "192.0.2.1") }) else { return }
                countsAtAck.withLockedValue { $0[id] = count }
            }
            try await feed.subscribe(RedisChannels.replies(gateway: "gw1"))
            let registry = RunnerRegistry(processor: CommandProcessor(seed: 3), store: store, timing: AuthorityTiming(),
                                          metrics: AuthorityMetrics(), logger: quiet, maxGamesPerClient: 3)
            await registry.start()
            ledger.withLockedValue { $0 = registry.openGames }
            func ackCount(_ id: String) async -> Int? {
                _ = await poll(timeout: .seconds(10)) { countsAtAck.withLockedValue { $0[id] != nil } }
                return countsAtAck.withLockedValue { $0[id] }
            }
            await registry.dispatch(CommandEnvelope(id: "c1", gateway: "gw1", connection: "1", game: GameID(rawValue: "SLOT1")!,
                                                    seat: String(repeating: "a", count: 64), client: "192.0.2.1",
                                                    message: .create(name: "Alice", options: GameOptions())))
            #expect(await ackCount("c1") == 1)
            await registry.dispatch(CommandEnvelope(id: "l1", gateway: "gw1", connection: "1", game: GameID(rawValue: "SLOT1")!, player: "p1",
                                                    message: .leave))
            #expect(await ackCount("l1") == 0)
            await registry.stopAll()
            await feed.close()
        }
    }

    @Test func aFinishedGameWhoseLobbyUpdateFailedIsUnlistedBeforeItsRunnerRetires() async throws {
        try await withStore { server, admin, _ in
            // The authority may write game keys but not (for now) the lobby list.
            _ = try await admin.send(["ACL", "SETUSER", "authority", "on", ">secret", "allkeys", "&*", "+@all"])
            let port = try #require(server.url.split(separator: ":").last)
            let redis = try await RedisClient.connect(url: "redis://authority:secret@127.0.0.1:\(port)",
                                                      eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
            let registry = RunnerRegistry(processor: CommandProcessor(seed: 3), store: GameStore(redis: redis), timing: AuthorityTiming(),
                                          metrics: AuthorityMetrics(), logger: quiet)
            await registry.start()
            await registry.dispatch(envelope("create", id: "c", seat: String(repeating: "a", count: 64), fields: ["name": .string("Alice")]))
            #expect(await poll(timeout: .seconds(10)) { (try? await isListed(admin, game)) == true })
            _ = try await admin.send(["ACL", "SETUSER", "authority", "resetkeys", "~monopoly:{*"])
            // Alice leaves: the lobby is closed (committed), but its entry cannot be removed.
            await registry.dispatch(envelope("leave", id: "l", player: "p1"))
            #expect(await poll(timeout: .seconds(10)) { await seq(admin) == 2 })
            #expect(try await isListed(admin, game))
            #expect(await registry.loadedGames == 1)
            // Once it can, the runner removes it by itself (no command will ever come), then goes.
            _ = try await admin.send(["ACL", "SETUSER", "authority", "allkeys"])
            #expect(await poll(timeout: .seconds(10)) { (try? await isListed(admin, game)) == false })
            #expect(try await !isActive(admin, game))
            #expect(await poll(timeout: .seconds(10)) { await registry.loadedGames == 0 })
            await registry.stopAll()
            await redis.close()
        }
    }
}
