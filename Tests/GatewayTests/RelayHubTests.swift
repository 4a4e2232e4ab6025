import Foundation
import Logging
import Monopoly
import NIOConcurrencyHelpers
import NIOPosix
import Redis
import RelayCore
import RelayProtocol
import TestSupport
import Testing
@testable import Gateway

/// The relay against a real redis-server, with a scripted authority (`ScriptedAuthority`, speaking
/// the Redis channels itself) standing in for the authority process. The test decides when each command is
/// applied and which replies get through, so the races around acknowledgements (one arriving after
/// a hang-up, one lost around a Redis reconnect) happen on every run instead of one run in many.
@Suite("relay hub against a real Redis", .serialized)
struct RelayHubTests {
    @Test func leaveAcknowledgedAfterTheHangUpKeepsTheSpectatorSubscribed() async throws {
        try await withRelayStack(acknowledgementTimeout: .seconds(60)) { stack in
            let authority = stack.authority
            let (player, game) = try await stack.hostNewGame()

            let spectator = try await stack.spectate(game)
            #expect(await stack.interest(game) == 2)
            // Bob joins through another gateway (a lobby its last person leaves is closed).
            try await authority.apply(CommandEnvelope(id: "gw2-1", gateway: "gw2", connection: "1", game: game,
                                                      seat: SeatToken.proof(SeatToken.mint(), secret: nil),
                                                      message: .join(name: "Bob")))
            #expect(try await spectator.nextMessage()["seq"]?.intValue == 2)

            // The player leaves and hangs up at once; the authority applies the leave, but its
            // acknowledgement reaches the gateway only after the gateway has seen the hang-up.
            try await player.request(#"{"type":"leave"}"#)
            let leave = try await authority.next("leave")
            let acknowledgement = try await authority.apply(leave, deliver: false)
            try await offload { try player.sendClose(code: 1000) }
            #expect(await eventually { await stack.inspect { $0.sessionCount } == 1 })
            try await authority.apply(try await authority.next("disconnect"))
            for reply in acknowledgement { try await authority.send(reply) }
            #expect(await eventually { await stack.inspect { $0.pendingCount == 0 } == true })

            // A second release would drop the count to 0 and unsubscribe within milliseconds.
            #expect(await !eventually(timeout: .seconds(1)) { await stack.interest(game) != 1 })
            #expect(try await stack.stateSubscribers(game) == 1)
            // The spectator still gets the game's states: the leave's, then a join through another gateway.
            try await authority.apply(CommandEnvelope(id: "gw2-2", gateway: "gw2", connection: "2", game: game,
                                                      seat: SeatToken.proof(SeatToken.mint(), secret: nil),
                                                      message: .join(name: "Cleo")))
            #expect(try await spectator.nextMessage()["seq"]?.intValue == 3)
            #expect(try await spectator.nextMessage()["seq"]?.intValue == 4)
        }
    }

    @Test func revokedSeatGivesBackItsInterestOnceAndTheHangUpAfterItNothing() async throws {
        try await withRelayStack(acknowledgementTimeout: .seconds(60)) { stack in
            let authority = stack.authority
            let (player, game) = try await stack.hostNewGame()
            let spectator = try await stack.spectate(game)

            // The seat's token comes back through another gateway: this one gets a revoke.
            let seat = try #require(authority.seats(in: game).first)
            try await authority.apply(CommandEnvelope(id: "gw2-1", gateway: "gw2", connection: "1", game: game,
                                                      seat: seat.value.tokenHash, message: .rejoin))
            #expect(try await player.nextMessage()["seq"]?.intValue == 2)
            #expect(try await player.nextMessage()["code"]?.stringValue == ErrorCode.seatTaken.rawValue)
            #expect(await eventually { await stack.interest(game) == 1 })
            try await offload { try player.sendClose(code: 1000) }
            #expect(await eventually { await stack.inspect { $0.sessionCount } == 1 })

            #expect(await !eventually(timeout: .seconds(1)) { await stack.interest(game) != 1 })
            #expect(try await stack.stateSubscribers(game) == 1)
            #expect(try await spectator.nextMessage()["seq"]?.intValue == 2)
        }
    }

    @Test func lostWelcomeIsRecoveredFromTheStoredState() async throws {
        try await withRelayStack(acknowledgementTimeout: .seconds(1)) { stack in
            let authority = stack.authority
            let player = try await stack.connect()
            try await player.request(#"{"type":"create","name":"Ann","id":7}"#)
            let create = try await authority.next("create")
            let lost = try await authority.apply(create, deliver: false)
            let seated = try #require(lost.first?.reply.player)

            let welcome = try await player.nextMessage()
            #expect(welcome["type"]?.stringValue == "welcome")
            #expect(welcome["player"]?.stringValue == seated)
            #expect(welcome["re"]?.intValue == 7)
            // The token handed over is the one whose hash the authority stored for the seat.
            let token = try #require(welcome["token"]?.stringValue)
            #expect(authority.seats(in: create.game)[seated]?.tokenHash == SeatToken.proof(token, secret: nil))
            #expect(try await player.nextMessage()["seq"]?.intValue == 1)

            // Seated: the next command carries the player, and its lost acknowledgement is recovered too.
            try await player.request(#"{"type":"add_bot","id":8}"#)
            let addBot = try await authority.next("add_bot")
            #expect(addBot.player == seated)
            try await authority.apply(addBot, deliver: false)
            #expect(try await player.nextMessage()["seq"]?.intValue == 2)
            let ack = try await player.nextMessage()
            #expect(ack["type"]?.stringValue == "ack")
            #expect(ack["seq"]?.intValue == 2)
            #expect(ack["re"]?.intValue == 8)
        }
    }

    /// On a Redis Cluster the reply (PUBLISH on the reply channel's node) can reach the gateway
    /// before its state (SPUBLISH on the game's node): played here on one Redis by publishing the
    /// replies first. The client still gets the state, then the ack naming it; a joiner its
    /// welcome, then the state that seated it (not the one before); and an ack whose state was
    /// lost comes after the hold's 500 ms, well before the acknowledgement timeout.
    @Test func repliesThatArriveBeforeTheirStateReachTheClientAfterIt() async throws {
        try await withRelayStack(acknowledgementTimeout: .seconds(60)) { stack in
            let authority = stack.authority
            let (player, game) = try await stack.hostNewGame()
            try await player.request(#"{"type":"add_bot","id":8}"#)
            try await authority.apply(try await authority.next("add_bot"), repliesFirst: true)
            let state = try await player.nextMessage()
            #expect(state["type"]?.stringValue == "state")
            #expect(state["seq"]?.intValue == 2)
            let ack = try await player.nextMessage()
            #expect(ack["type"]?.stringValue == "ack")
            #expect(ack["seq"]?.intValue == 2)
            #expect(ack["re"]?.intValue == 8)

            let joiner = try await stack.connect()
            try await joiner.request(#"{"type":"join","game":"\#(game)","name":"Bob","id":1}"#)
            try await authority.apply(try await authority.next("join"), repliesFirst: true)
            #expect(try await joiner.nextMessage()["type"]?.stringValue == "welcome")
            let seating = try await joiner.nextMessage()
            #expect(seating["seq"]?.intValue == 3)
            #expect(seating["state"]?["players"]?.elements?.count == 3)
            #expect(try await player.nextMessage()["seq"]?.intValue == 3)

            try await player.request(#"{"type":"add_bot","id":9}"#)
            let start = ContinuousClock.now
            try await authority.apply(try await authority.next("add_bot"), publishState: false)
            let late = try await player.nextMessage()
            #expect(late["type"]?.stringValue == "ack")
            #expect(late["seq"]?.intValue == 4)
            let waited = ContinuousClock.now - start
            #expect(waited >= .milliseconds(450) && waited < .seconds(30))
            #expect(await stack.inspect { $0.repliesWaitingForState } == 0)
        }
    }

    @Test func leaveWhoseAcknowledgementIsLostStillFreesTheConnection() async throws {
        try await withRelayStack(acknowledgementTimeout: .seconds(1)) { stack in
            let authority = stack.authority
            let (player, game) = try await stack.hostNewGame()

            try await player.request(#"{"type":"leave","id":9}"#)
            try await authority.apply(try await authority.next("leave"), deliver: false)
            #expect(try await player.nextMessage()["seq"]?.intValue == 2)
            let ack = try await player.nextMessage()
            #expect(ack["type"]?.stringValue == "ack")
            #expect(ack["re"]?.intValue == 9)

            #expect(await stack.inspect { $0.gamesWithMembers } == 0)
            #expect(await eventually { await stack.interest(game) == 0 })
            #expect(await eventually { (try? await stack.stateSubscribers(game)) == 0 })
            // Free again: a new game is forwarded, not refused with already_seated.
            try await player.request(#"{"type":"create","name":"Ann"}"#)
            _ = try await authority.next("create")
        }
    }
    @Test func aSecondSeatRequestWhileTheFirstAwaitsItsWelcomeIsRefused() async throws {
        try await withRelayStack(acknowledgementTimeout: .seconds(60)) { stack in
            let authority = stack.authority
            let player = try await stack.connect()
            // Two seat requests back to back: the first is published and awaits its welcome, so the
            // connection is not in a game yet when the second is handled.
            try await player.request(#"{"type":"create","name":"Ann","id":1}"#)
            try await player.request(#"{"type":"create","name":"Ann","id":2}"#)
            let refused = try await player.nextMessage()
            #expect(refused["type"]?.stringValue == "error")
            #expect(refused["code"]?.stringValue == ErrorCode.alreadySeated.rawValue)
            #expect(refused["re"]?.intValue == 2)

            let create = try await authority.next("create")
            try await authority.apply(create)
            let welcome = try await player.nextMessage()
            #expect(welcome["type"]?.stringValue == "welcome")
            #expect(welcome["re"]?.intValue == 1)
            #expect(try await player.nextMessage()["seq"]?.intValue == 1)
            // Only one seat reached the authority, and the connection is a member of one game only.
            #expect(authority.waiting == 0)
            #expect(await stack.inspect { $0.gamesWithMembers } == 1)

            // Hanging up frees everything: no game keeps the closed connection or its subscription.
            try await offload { try player.sendClose(code: 1000) }
            try await authority.apply(try await authority.next("disconnect"))
            #expect(await eventually { await stack.inspect { $0.followedGames == 0 && $0.sessionCount == 0 } == true })
        }
    }

    @Test func aSeatRequestGivenUpAfterTheTimeoutIsReportedDisconnected() async throws {
        try await withRelayStack(acknowledgementTimeout: .seconds(1)) { stack in
            let authority = stack.authority
            let (host, game) = try await stack.hostNewGame()
            let player = try await stack.connect()
            try await player.request(#"{"type":"join","game":"\#(game)","name":"Bob","id":5}"#)
            // The authority seats Bob but its welcome is lost, and the game moves on before the
            // gateway gives up, so the stored last state no longer names the join.
            let join = try await authority.next("join")
            let lost = try await authority.apply(join, deliver: false)
            let bob = try #require(lost.first?.reply.player)
            try await authority.apply(CommandEnvelope(id: "gw2-1", gateway: "gw2", connection: "1", game: game,
                                                      seat: SeatToken.proof(SeatToken.mint(), secret: nil),
                                                      message: .join(name: "Cy")))
            let answer = try await player.nextMessage()
            #expect(answer["code"]?.stringValue == ErrorCode.authorityUnavailable.rawValue)
            #expect(answer["re"]?.intValue == 5)

            // The client holds no seat as far as the gateway knows: the authority must not keep one
            // "connected" for it (nobody would ever play it, and this connection's next join would
            // be refused as already seated).
            let disconnect = try await authority.next("disconnect")
            #expect(disconnect.connection == join.connection)
            try await authority.apply(disconnect)
            let seats = authority.seats(in: game)
            #expect(seats[bob] != nil && seats[bob]?.connection == nil)
            #expect(seats[bob]?.disconnectedAt != nil)
            // And the client can take a seat again.
            try await player.request(#"{"type":"join","game":"\#(game)","name":"Bob","id":6}"#)
            try await authority.apply(try await authority.next("join"))
            let welcome = try await player.nextMessage()
            #expect(welcome["type"]?.stringValue == "welcome")
            #expect(welcome["re"]?.intValue == 6)
            withExtendedLifetime(host) {}
        }
    }

    @Test func aWelcomeArrivingAfterTheHangUpReportsTheSeatDisconnected() async throws {
        try await withRelayStack(acknowledgementTimeout: .seconds(60)) { stack in
            let authority = stack.authority
            let player = try await stack.connect()
            try await player.request(#"{"type":"create","name":"Ann"}"#)
            let create = try await authority.next("create")
            // The client hangs up before the authority seats it.
            try await offload { try player.sendClose(code: 1000) }
            #expect(await eventually { await stack.inspect { $0.sessionCount } == 0 })
            try await authority.apply(create)

            // The seat's connection is gone: the authority must hear of it, or the seat stays
            // "connected" for ever and nobody (no bot after the grace period) plays its turns.
            let disconnect = try await authority.next("disconnect")
            #expect(disconnect.connection == create.connection)
            try await authority.apply(disconnect)
            let seat = try #require(authority.seats(in: create.game).values.first)
            #expect(seat.connection == nil)
            #expect(seat.disconnectedAt != nil)
            #expect(await eventually { await stack.interest(create.game) == 0 })
        }
    }
}

/// Lobby changes in bursts: the gateway reads the list a few times, not once per change.
extension RelayHubTests {
    @Test func aBurstOfLobbyChangesIsAFewReadsOfTheListNotOneEach() async throws {
        try await withRelayStack(acknowledgementTimeout: .seconds(60)) { stack in
            let redis = stack.authority.redis
            _ = try await redis.send(["HSET", RedisArgument(RedisChannels.lobbyKey), "ABC234",
                                      #"{"game":"ABC234","phase":"lobby","players":1}"#])
            let watcher = try await stack.connect()
            try await watcher.request(#"{"type":"lobby"}"#)
            #expect(try await watcher.nextMessage()["type"]?.stringValue == "lobby")
            @Sendable func listReads() async throws -> Int { try await stack.lobbyReads() }
            let before = try await listReads()
            // 50 games start at once: 50 lobby_changed messages reach the gateway together.
            _ = try await redis.pipeline((0..<50).map { _ in
                ["PUBLISH", RedisArgument(RedisChannels.lobby), #"{"type":"lobby_changed"}"#]
            })
            #expect(try await watcher.nextMessage()["type"]?.stringValue == "lobby")
            #expect(await !eventually(timeout: .seconds(1)) { (try? await listReads()) ?? 0 > before + 5 })
            // One read, and one more for the changes that came during it (a few more if the burst
            // reaches the gateway in several pieces), never one per change.
            let reads = try await listReads() - before
            #expect(reads >= 1 && reads <= 5, "\(reads) reads of the lobby list for one burst")
        }
    }
}

/// The lobby list is served from the gateway's cache.
extension RelayHubTests {
    func lobby(_ client: TestClient) async throws -> [JSONValue] {
        try await client.request(#"{"type":"lobby","id":"l"}"#)
        let answer = try await client.nextMessage()
        #expect(answer["type"]?.stringValue == "lobby" && answer["re"]?.stringValue == "l")
        return answer["games"]?.elements ?? []
    }

    /// A client that asked for the lobby while it listed one game.
    func watcherOfALobbyOfOne(_ stack: RelayStack) async throws -> TestClient {
        try await stack.list("ABC234", phase: "lobby")
        let client = try await stack.connect()
        #expect(try await lobby(client).count == 1)
        return client
    }

    @Test func lobbyRequestsAreAnsweredFromTheCacheAndAChangeIsOneReadPushedToWatchers() async throws {
        try await withRelayStack(acknowledgementTimeout: .seconds(60)) { stack in
            let client = try await watcherOfALobbyOfOne(stack)
            let before = try await stack.lobbyReads()
            for _ in 0..<20 { #expect(try await lobby(client).count == 1) }
            #expect(try await stack.lobbyReads() == before)

            // A game appears: the change is announced, read once and pushed to the watcher.
            try await stack.list("XYZ234", phase: "playing")
            _ = try await stack.authority.redis.publish(RedisChannels.lobby, #"{"type":"lobby_changed","game":"XYZ234","phase":"playing"}"#)
            let pushed = try await client.nextMessage()
            #expect(pushed["re"] == .null && pushed["games"]?.elements?.count == 2)
            for _ in 0..<5 { #expect(try await lobby(client).count == 2) }
            #expect(try await stack.lobbyReads() == before + 1)
        }
    }

    @Test func aSubscriberReconnectReadsTheListAgain() async throws {
        try await withRelayStack(acknowledgementTimeout: .seconds(60)) { stack in
            let client = try await watcherOfALobbyOfOne(stack)
            // A game appears while the gateway's subscriber is away: its announcement is lost.
            try await stack.list("XYZ234", phase: "lobby")
            _ = try await stack.authority.redis.send(["CLIENT", "KILL", "TYPE", "pubsub"])
            // Back, the gateway reads the list again and pushes it; requests get the new one.
            var games: [JSONValue] = []
            while games.count != 2 { games = try await client.nextMessage()["games"]?.elements ?? [] }
            #expect(try await lobby(client).count == 2)
        }
    }
}

/// Games per client address: the gateway names the address, and limits the rate of creates.
extension RelayHubTests {
    @Test func createsCarryTheClientsAddressAndBeyondTheRateAreRefusedAtTheGateway() async throws {
        try await withRelayStack(acknowledgementTimeout: .seconds(60), configure: { $0.createsPerMinute = 2 }) { stack in
            let authority = stack.authority
            let client = try await stack.connect()
            for round in 1...2 {
                try await client.request(#"{"type":"create","name":"Ann"}"#)
                let create = try await authority.next("create")
                // The authority counts open games per address: the create names it (and only the create).
                #expect(create.client == "127.0.0.1")
                try await authority.apply(create)
                #expect(try await client.nextMessage()["type"]?.stringValue == "welcome")
                #expect(try await client.nextMessage()["seq"]?.intValue == 1)
                try await client.request(#"{"type":"leave"}"#)
                let leave = try await authority.next("leave")
                #expect(leave.client == nil, "round \(round)")
                try await authority.apply(leave)
                #expect(try await client.nextMessage()["seq"]?.intValue == 2)
                #expect(try await client.nextMessage()["type"]?.stringValue == "ack")
            }
            // The third create within the minute is refused here; the authority never sees it.
            try await client.request(#"{"type":"create","name":"Ann","id":"third"}"#)
            let refused = try await client.nextMessage()
            #expect(refused["code"]?.stringValue == ErrorCode.rateLimited.rawValue && refused["re"]?.stringValue == "third")
            #expect(authority.waiting == 0)
        }
    }
}

/// A gateway serving `/ws` through its relay, a real redis-server, and the scripted authority.
struct RelayStack {
    let relay: Relay
    let port: Int
    let authority: ScriptedAuthority
    var hub: RelayHub { relay.hub }

    /// The game's interest count at this gateway (0 once it no longer follows the game).
    func interest(_ game: GameID) async -> Int {
        await inspect { $0.interest(in: game) } ?? -1
    }

    /// Reads the relay's core on its executor (nil if the gateway is gone).
    func inspect<T: Sendable>(_ read: @escaping @Sendable (RelayHub.Core) -> T) async -> T? {
        try? await hub.inspect(read)
    }

    /// Writes a lobby entry for `game` as the authority would (without announcing it).
    func list(_ game: String, phase: String) async throws {
        _ = try await authority.redis.send(["HSET", RedisArgument(RedisChannels.lobbyKey), RedisArgument(game),
                                            RedisArgument(#"{"game":"\#(game)","phase":"\#(phase)"}"#)])
    }

    /// Reads of the lobby hash Redis has served so far (`INFO commandstats`).
    func lobbyReads() async throws -> Int {
        let stats = try await authority.redis.send(["INFO", "commandstats"]).string ?? ""
        let line = stats.split(whereSeparator: \.isNewline).first { $0.hasPrefix("cmdstat_hvals:") } ?? ""
        return Int(line.split(separator: ",").first?.split(separator: "=").last ?? "0") ?? 0
    }

    /// Subscribers of the game's state channel, as Redis counts them.
    func stateSubscribers(_ game: GameID) async throws -> Int {
        let reply = try await authority.redis.send(["PUBSUB", "NUMSUB", RedisArgument(RedisChannels.state(game))])
        return reply.array?.last?.int ?? -1
    }

    /// A connection that created a game and got its welcome and first state.
    func hostNewGame() async throws -> (TestClient, GameID) {
        let player = try await connect()
        try await player.request(#"{"type":"create","name":"Ann"}"#)
        let create = try await authority.next("create")
        try await authority.apply(create)
        #expect(try await player.nextMessage()["type"]?.stringValue == "welcome")
        #expect(try await player.nextMessage()["seq"]?.intValue == 1)
        return (player, create.game)
    }

    /// A connection watching `game`, past its welcome and first state.
    func spectate(_ game: GameID) async throws -> TestClient {
        let spectator = try await connect()
        try await spectator.request(#"{"type":"spectate","game":"\#(game)"}"#)
        #expect(try await spectator.nextMessage()["type"]?.stringValue == "welcome")
        #expect(try await spectator.nextMessage()["seq"]?.intValue == 1)
        return spectator
    }

    func connect() async throws -> TestClient {
        try await offload { [port] in
            let client = try TestClient(port: port, timeout: 10)
            try client.upgrade(path: "/ws")
            return client
        }
    }
}

func withRelayStack(acknowledgementTimeout: Duration, configure: (inout RelayConfiguration) -> Void = { _ in },
                    _ body: (RelayStack) async throws -> Void) async throws {
    let redis = try RedisServerProcess()
    defer { redis.stop() }
    var configuration = RelayConfiguration(redisURL: redis.url, gatewayID: "gw1")
    configuration.acknowledgementTimeout = acknowledgementTimeout
    configure(&configuration)
    var logger = Logger(label: "relay-test")
    logger.logLevel = .critical
    let relay = try Relay(configuration: configuration, logger: logger)
    let running = Task { try? await relay.run() }
    let authority: ScriptedAuthority
    do {
        authority = try await ScriptedAuthority(url: redis.url)
    } catch {
        running.cancel()
        await running.value
        throw error
    }
    var failure: (any Error)?
    do {
        guard await eventually({ await relay.hub.currentLink() != nil }) else { throw ScriptedAuthority.Unexpected(description: "the relay did not connect") }
        try await withServer(routes: [.game(endpoint: RelayEndpoint(relay: relay))]) { _, port in
            try await body(RelayStack(relay: relay, port: port, authority: authority))
        }
    } catch {
        failure = error
    }
    running.cancel()
    await running.value
    await authority.close()
    if let failure { throw failure }
}

extension TestClient {
    func request(_ text: String) async throws {
        try await offload { try self.sendText(text) }
    }

    /// The next JSON text message from the server.
    func nextMessage() async throws -> JSONValue {
        let frame = try await offload { try self.readDataOrClose() }
        guard frame.opcode == 1 else { throw Failure.protocolError("expected a text frame, got opcode \(frame.opcode)") }
        return try WireJSON.decode(JSONValue.self, from: frame.payload)
    }
}

extension JSONValue {
    /// The elements of an array (nil for anything else).
    var elements: [JSONValue]? {
        if case .array(let elements) = self { elements } else { nil }
    }
}
