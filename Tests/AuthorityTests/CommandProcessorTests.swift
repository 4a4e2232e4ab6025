import Foundation
import Monopoly
import RelayProtocol
import Testing
@testable import Authority

/// The relay rules of the authority's pure core: seats, tokens, identity. No Redis needed.
@Suite struct CommandProcessorTests {
    let game = GameID(rawValue: "TEST23")!
    let aliceSeat = String(repeating: "a", count: 64)
    let bobSeat = String(repeating: "b", count: 64)

    func envelope(_ type: String, connection: String = "1", gateway: String = "gw1", player: String? = nil,
                  seat: String? = nil, fields: [String: JSONValue] = [:], id: String = "gw1-1") -> CommandEnvelope {
        var message = fields
        message["type"] = .string(type)
        return CommandEnvelope(id: id, gateway: gateway, connection: connection, game: game, player: player, seat: seat, message: .wire(message))
    }

    /// Alice creates on gw1 connection 1, Bob joins on gw2 connection 7.
    func twoPlayerLobby(_ processor: inout CommandProcessor) -> GameRecord {
        let created = processor.handle(envelope("create", seat: aliceSeat, fields: ["name": .string("Alice")]), record: nil, now: 0)
        let joined = processor.handle(envelope("join", connection: "7", gateway: "gw2", seat: bobSeat, fields: ["name": .string("Bob")], id: "gw2-1"),
                                      record: created.record, now: 0)
        return joined.record!
    }

    @Test func createSeatsTheCreatorAsHostAndPublishesSeqOne() throws {
        var processor = CommandProcessor(seed: 1)
        let outcome = processor.handle(envelope("create", seat: aliceSeat, fields: ["name": .string("Alice")]), record: nil, now: 0)
        let record = try #require(outcome.record)
        #expect(record.seq == 1)
        #expect(record.state.host == "p1")
        #expect(record.seats["p1"]?.tokenHash == SeatProof.stored(aliceSeat))
        #expect(outcome.replies.map(\.reply.kind) == [.welcome])
        #expect(outcome.replies.first?.reply.player == "p1")
        // The welcome names the state that seated the player (the gateway sends it right after).
        #expect(outcome.replies.first?.reply.seq == 1)
        let message = try WireJSON.decode(JSONValue.self, from: try #require(outcome.stateMessage))
        #expect(message["type"] == .string("state"))
        #expect(message["seq"] == .number(1))
        #expect(message["cmd"]?["type"] == .string("create"))
    }

    /// An ack and a welcome name the state they made by its epoch too (the gateway orders them by
    /// (epoch, seq) against the states it sent): the state message's `epoch` and `seq`. An ack
    /// naming no state names no epoch.
    @Test func acksAndWelcomesNameTheEpochOfTheirState() throws {
        var processor = CommandProcessor(seed: 1)
        processor.newGameEpoch = StateEpoch(rawValue: 1_765_000_000_000)!
        func named(_ outcome: Outcome) throws -> (JSONValue?, JSONValue?) {
            let message = try WireJSON.decode(JSONValue.self, from: try #require(outcome.stateMessage))
            return (message["epoch"], message["seq"])
        }
        let created = processor.handle(envelope("create", seat: aliceSeat, fields: ["name": .string("Alice")]), record: nil, now: 0)
        let welcome = try #require(created.replies.first?.reply)
        #expect(welcome.epoch == StateEpoch(rawValue: 1_765_000_000_000))
        #expect(try named(created) == (.number(1_765_000_000_000), .number(1)))
        let bot = processor.handle(envelope("add_bot", player: "p1", id: "gw1-2"), record: created.record, now: 0)
        let ack = try #require(bot.replies.first?.reply)
        #expect(ack.kind == .ack)
        #expect(try named(bot) == (.number(Double(try #require(ack.epoch).rawValue)), .number(Double(try #require(ack.seq)))))
        let chat = processor.handle(envelope("chat", player: "p1", fields: ["text": .string("hi")], id: "gw1-3"), record: bot.record, now: 0)
        #expect(chat.replies.first?.reply.seq == nil && chat.replies.first?.reply.epoch == nil)
        // A reply without an epoch (an authority from before) reads as before; one out of bounds
        // reads as none, the reply kept; and the epoch is written only when present.
        let old = try WireJSON.decode(AuthorityReply.self, from: #"{"cmd":"c","conn":"1","game":"TEST23","seq":3,"type":"ack"}"#)
        #expect(old.seq == 3 && old.epoch == nil)
        let bad = try WireJSON.decode(AuthorityReply.self, from: #"{"cmd":"c","conn":"1","epoch":-4,"game":"TEST23","seq":3,"type":"ack"}"#)
        #expect(bad.seq == 3 && bad.epoch == nil)
        #expect(try WireJSON.decode(AuthorityReply.self, from: JSONOutput.encode(ack)) == ack)
        #expect(!JSONOutput.encode(old).contains("epoch"))
    }

    @Test func stateSentToClientsHidesTheGeneratorAndDecks() throws {
        var processor = CommandProcessor(seed: 42)
        let outcome = processor.handle(envelope("create", seat: aliceSeat, fields: ["name": .string("Alice")]), record: nil, now: 0)
        let message = try WireJSON.decode(JSONValue.self, from: try #require(outcome.stateMessage))
        #expect(message["state"]?["chance_deck"] == .array([]))
        #expect(message["state"]?["rng_state"] == .string("0000000000000000"))
        // ...while the persisted record keeps them, so a restarted authority resumes exactly.
        #expect(outcome.record?.state.rng == SplitMix64(seed: 42))
    }

    @Test func commandsCarryTheEnvelopesPlayerNotThePayloads() throws {
        var processor = CommandProcessor(seed: 1)
        var record = twoPlayerLobby(&processor)
        // Bob's connection claims to be p1 (the host) to start the game: the seat check refuses.
        let impersonation = processor.handle(envelope("start", connection: "7", gateway: "gw2", player: "p1"), record: record, now: 0)
        #expect(impersonation.record == nil)
        #expect(impersonation.replies.first?.reply.code == .notSeated)
        // Bob as himself is not the host.
        let notHost = processor.handle(envelope("start", connection: "7", gateway: "gw2", player: "p2"), record: record, now: 0)
        #expect(notHost.replies.first?.reply.code == .notHost)
        let started = processor.handle(envelope("start", player: "p1"), record: record, now: 0)
        record = try #require(started.record)
        #expect(record.state.phase == .playing)
        #expect(record.seq == 3)
    }

    @Test func rejoinWithTheTokenMovesTheSeatAndRevokesTheOldConnection() throws {
        var processor = CommandProcessor(seed: 1)
        let record = twoPlayerLobby(&processor)
        let rejoined = processor.handle(envelope("rejoin", connection: "99", gateway: "gw1", seat: bobSeat, id: "gw1-9"), record: record, now: 0)
        let updated = try #require(rejoined.record)
        #expect(updated.seats["p2"]?.gateway == "gw1")
        #expect(updated.seats["p2"]?.connection == "99")
        #expect(rejoined.replies.map(\.reply.kind) == [.welcome, .revoke])
        #expect(rejoined.replies[0].reply.seq == updated.seq)
        #expect(rejoined.replies[1].gateway == "gw2")
        #expect(rejoined.replies[1].reply.connection == "7")
        // The old connection can no longer act for p2.
        let stale = processor.handle(envelope("roll", connection: "7", gateway: "gw2", player: "p2"), record: updated, now: 0)
        #expect(stale.replies.first?.reply.code == .notSeated)
    }

    @Test func rejoinWithAWrongTokenOrGameIsRejected() {
        var processor = CommandProcessor(seed: 1)
        let record = twoPlayerLobby(&processor)
        let wrong = processor.handle(envelope("rejoin", connection: "5", seat: String(repeating: "c", count: 64)), record: record, now: 0)
        #expect(wrong.record == nil)
        #expect(wrong.replies.first?.reply.code == .invalidToken)
        let noGame = processor.handle(envelope("rejoin", connection: "5", seat: aliceSeat), record: nil, now: 0)
        #expect(noGame.replies.first?.reply.code == .unknownGame)
    }

    /// The snapshot keeps the SHA-256 of the seat's proof: presented in a rejoin (as read from
    /// Redis, `v2:` and all, or its hex alone) it is hashed again and holds no seat.
    @Test func theValueStoredInTheSnapshotDoesNotTakeTheSeat() throws {
        var processor = CommandProcessor(seed: 1)
        let record = twoPlayerLobby(&processor)
        let stored = try #require(record.seats["p2"]?.tokenHash)
        #expect(stored == SeatProof.stored(bobSeat) && stored.hasPrefix("v2:") && !stored.contains(bobSeat))
        for presented in [stored, String(stored.dropFirst(3))] {
            let replayed = processor.handle(envelope("rejoin", connection: "5", seat: presented), record: record, now: 0)
            #expect(replayed.record == nil)
            #expect(replayed.replies.first?.reply.code == .invalidToken)
        }
        let rejoined = processor.handle(envelope("rejoin", connection: "5", seat: bobSeat), record: record, now: 0)
        #expect(rejoined.replies.first?.reply.kind == .welcome)
    }

    /// A record from before (a bare SHA-256 of the token, which a rejoin presented as is): its
    /// seats cannot be taken back, and the refusal says why.
    @Test func aSeatStoredBeforeProofsWereHashedIsRefusedWithAClearMessage() throws {
        var processor = CommandProcessor(seed: 1)
        var record = twoPlayerLobby(&processor)
        record.seats["p2"]?.tokenHash = bobSeat
        let old = processor.handle(envelope("rejoin", connection: "5", seat: bobSeat), record: record, now: 0)
        #expect(old.record == nil)
        #expect(old.replies.first?.reply.code == .invalidToken)
        #expect(old.replies.first?.reply.message?.contains("join again") == true)
    }

    @Test func aStolenGameIdWithoutASeatChangesNothing() {
        var processor = CommandProcessor(seed: 1)
        let record = twoPlayerLobby(&processor)
        let outcome = processor.handle(envelope("roll", connection: "666", gateway: "gw1"), record: record, now: 0)
        #expect(outcome.record == nil)
        #expect(outcome.replies.first?.reply.code == .notSeated)
    }

    @Test func disconnectKeepsTheSeatAndMarksThePlayer() throws {
        var processor = CommandProcessor(seed: 1)
        let record = twoPlayerLobby(&processor)
        let outcome = processor.handle(envelope("disconnect", connection: "7", gateway: "gw2", player: "p2"), record: record, now: 1234)
        let updated = try #require(outcome.record)
        #expect(updated.state.player("p2")?.connected == false)
        #expect(updated.seats["p2"]?.disconnectedAt == 1234)
        #expect(updated.seats["p2"]?.tokenHash == SeatProof.stored(bobSeat))
        #expect(outcome.replies.isEmpty)
    }

    @Test func oneConnectionCannotTakeTwoSeats() {
        var processor = CommandProcessor(seed: 1)
        let record = twoPlayerLobby(&processor)
        let outcome = processor.handle(envelope("join", connection: "7", gateway: "gw2", seat: String(repeating: "d", count: 64),
                                                fields: ["name": .string("Again")]), record: record, now: 0)
        #expect(outcome.replies.first?.reply.code == .alreadySeated)
    }

    @Test func illegalGameCommandsAreRejectedWithTheRulesCode() {
        var processor = CommandProcessor(seed: 1)
        var record = twoPlayerLobby(&processor)
        record = processor.handle(envelope("start", player: "p1"), record: record, now: 0).record!
        let current = record.state.current!
        let other = current == "p1" ? ("p2", "7", "gw2") : ("p1", "1", "gw1")
        let outOfTurn = processor.handle(envelope("roll", connection: other.1, gateway: other.2, player: other.0), record: record, now: 0)
        #expect(outOfTurn.record == nil)
        #expect(outOfTurn.replies.first?.reply.code == .notYourTurn)
        let system = processor.handle(envelope("auction_timeout", connection: other.1, gateway: other.2, player: other.0), record: record, now: 0)
        #expect(system.replies.first?.reply.code == .badRequest)
    }

    @Test func chatIsBroadcastWithoutChangingState() {
        var processor = CommandProcessor(seed: 1)
        let record = twoPlayerLobby(&processor)
        let outcome = processor.handle(envelope("chat", player: "p1", fields: ["text": .string("hello")]), record: record, now: 0)
        #expect(outcome.record == nil)
        #expect(outcome.broadcast?.contains("\"text\":\"hello\"") == true)
        #expect(outcome.replies.first?.reply.kind == .ack)
    }

    /// Defense in depth: text the gateway refuses, published straight on Redis, is refused here too.
    @Test(arguments: ["", "   ", "a" + String(repeating: "\u{0301}", count: 20_000), String(repeating: "x", count: 301), "buy\u{202E}lles", "x\u{200B}"])
    func chatTheGatewayWouldRefuseIsRefused(_ text: String) {
        var processor = CommandProcessor(seed: 1)
        let record = twoPlayerLobby(&processor)
        let outcome = processor.handle(envelope("chat", player: "p1", fields: ["text": .string(text)]), record: record, now: 0)
        #expect(outcome.broadcast == nil)
        #expect(outcome.replies.first?.reply.code == .badRequest)
    }

    @Test func chatIsBroadcastTrimmedAndNormalized() {
        var processor = CommandProcessor(seed: 1)
        let record = twoPlayerLobby(&processor)
        let outcome = processor.handle(envelope("chat", player: "p1", fields: ["text": .string("  Cafe\u{0301}  ")]), record: record, now: 0)
        #expect(outcome.broadcast?.contains("\"text\":\"Caf\u{00E9}\"") == true)
    }

    @Test(arguments: ["a" + String(repeating: "\u{0301}", count: 20_000), String(repeating: "x", count: 25), "Bob\u{202E}", "Bo\nb", " ",
                      "\u{3164}", "\u{0301}\u{0301}", "Bob\u{3164}"])
    func namesTheGatewayWouldRefuseAreRefused(_ name: String) {
        var processor = CommandProcessor(seed: 1)
        let created = processor.handle(envelope("create", seat: aliceSeat, fields: ["name": .string(name)]), record: nil, now: 0)
        #expect(created.record == nil)
        #expect(created.replies.first?.reply.code == .badRequest)
        let lobby = processor.handle(envelope("create", seat: aliceSeat, fields: ["name": .string("Alice")]), record: nil, now: 0).record
        let joined = processor.handle(envelope("join", connection: "7", gateway: "gw2", seat: bobSeat, fields: ["name": .string(name)]),
                                      record: lobby, now: 0)
        #expect(joined.record == nil)
        #expect(joined.replies.first?.reply.code == .badRequest)
    }

    /// A publisher past the gateway gets the same answer: the option named, nothing created. The
    /// answer comes from the envelope's decoder (a value the typed options cannot hold; the
    /// authority answers it) or from the processor (a value they hold, out of range).
    @Test(arguments: [
        ("turn_seconds", "10000000000000000", "turn_seconds must be an integer between 10 and 3600"),
        ("turn_seconds", "3601", "turn_seconds must be between 10 and 3600"),
        ("auction_seconds", "1000000000000000", "auction_seconds must be between 5 and 120"),
        ("auction_seconds", "1e30", "auction_seconds must be an integer between 5 and 120"),
        ("starting_cash", "-1", "starting_cash must be between 1 and 100000"),
        ("turn_limit", "0.5", "turn_limit must be an integer between 1 and 10000"),
        ("max_players", #""8""#, "max_players must be an integer between 2 and 8"),
    ])
    func createWithAnOptionOutOfRangeNamesIt(_ field: String, _ value: String, _ message: String) {
        var processor = CommandProcessor(seed: 1)
        let text = #"{"conn":"1","game":"TEST23","gateway":"gw1","id":"gw1-1","player":null,"seat":"\#(aliceSeat)","#
            + #""msg":{"type":"create","name":"Alice","options":{"\#(field)":\#(value)}}}"#
        switch CommandEnvelope.decode(Array(text.utf8)) {
        case .success(let envelope):
            let outcome = processor.handle(envelope, record: nil, now: 0)
            #expect(outcome.record == nil)
            #expect(outcome.replies.first?.reply.code == .invalidOptions)
            #expect(outcome.replies.first?.reply.message == message)
        case .failure(let error):
            #expect(error.replyTo?.id == "gw1-1")
            #expect(error.code == .invalidOptions)
            #expect(error.message == message)
        }
    }

    /// Numbers and shapes a publisher past the gateway can put in every field: each envelope is
    /// refused when read (`CommandEnvelope.decode`: 1e300, 2^63, fractions and strings are no
    /// `Int`; 2^63 - 1024 is the largest that is), or answered by the processor with an error or
    /// applied, never a trap.
    static let extremeValues: [JSONValue] = [
        .number(1e300), .number(-1e300), .number(Double(Int.max)), .number(9_223_372_036_854_774_784), .number(-9_223_372_036_854_775_808),
        .number(18_446_744_073_709_551_616), .number(0.5), .number(-1), .number(40), .number(1e16),
        .string("1"), .null, .bool(true), .array([.number(1), .number(1)]), .object(["cash": .number(1e300)]),
    ]

    @Test(arguments: extremeValues)
    func extremeFieldValuesInEveryCommandAreAnsweredWithoutATrap(_ value: JSONValue) throws {
        var processor = CommandProcessor(seed: 1)
        var record = twoPlayerLobby(&processor)
        record = try #require(processor.handle(envelope("start", player: "p1"), record: record, now: 1000).record)
        let offers: [JSONValue] = [value, .object(["cash": value]), .object(["properties": value]), .object(["jail_cards": value]),
                                   .object(["properties": .array([value, value])])]
        var messages: [[String: JSONValue]] = ["bid": "amount", "build": "square", "sell": "square", "mortgage": "square",
                                               "unmortgage": "square", "lift_mortgage": "square", "keep_mortgage": "square",
                                               "trade_accept": "trade", "trade_reject": "trade", "chat": "text", "roll": "x", "end_turn": "x",
                                               "vote_skip": "turn"]
            .map { type, field in ["type": .string(type), field: value] }
        for offer in offers {
            messages.append(["type": .string("trade_propose"), "to": .string("p2"), "give": offer, "get": .object(["cash": .number(1)])])
            messages.append(["type": .string("trade_propose"), "to": .string("p2"), "give": .object(["cash": .number(1)]), "get": offer])
            messages.append(["type": .string("trade_propose"), "to": value, "give": offer, "get": offer])
        }
        messages.append(["type": .string("create"), "name": value, "options": .object(["turn_seconds": value])])
        messages.append(["type": .string("create"), "name": .string("Eve"), "options": .object(["starting_cash": value, "auctions": value])])
        messages.append(["type": .string("join"), "name": value])
        for message in messages {
            let text = WireJSON.encode(JSONValue.object([
                "id": .string("x"), "gateway": .string("gw1"), "conn": .string("1"), "game": .string(game.rawValue), "player": .string("p1"),
                "seat": .string(aliceSeat),
                "msg": .object(message),
            ]))
            guard case .success(let env) = CommandEnvelope.decode(Array(text.utf8)) else { continue }
            let outcome = processor.handle(env, record: env.type == "create" ? nil : record, now: 1000)
            #expect(outcome.record != nil || outcome.broadcast != nil || outcome.replies.first?.reply.kind == .error, "\(message)")
            if let next = outcome.record { #expect(next.state.checkInvariants().isEmpty, "\(message)") }
        }
    }

    @Test func theJoinEventNamesThePlayerAsStored() throws {
        var processor = CommandProcessor(seed: 1)
        let outcome = processor.handle(envelope("create", seat: aliceSeat, fields: ["name": .string("  Zoe\u{0308}  ")]), record: nil, now: 0)
        #expect(try #require(outcome.stateMessage).contains("\"text\":\"Zo\u{00EB} created the game.\""))
    }

    @Test func aBotTheHostAddsIsMarkedAsABotInTheState() throws {
        var processor = CommandProcessor(seed: 1)
        let created = processor.handle(envelope("create", seat: aliceSeat, fields: ["name": .string("Alice")]), record: nil, now: 0)
        let added = processor.handle(envelope("add_bot", player: "p1", id: "gw1-2"), record: created.record, now: 0)
        let record = try #require(added.record)
        #expect(record.state.player("p2")?.bot == true)
        #expect(record.state.player("p1")?.bot == false)
        // The browser's badge reads the published state.
        let message = try WireJSON.decode(JSONValue.self, from: try #require(added.stateMessage))
        guard case .array(let players) = message["state"]?["players"] else { Issue.record("no players"); return }
        #expect(players.map { $0["bot"] } == [.bool(false), .bool(true)])
    }

    /// A player named like one in the game already is refused (before, two "Alice"s could play);
    /// a bot takes the next number no player took ("Bot 1" was a person's name: two "Bot 1"s).
    @Test func namesInAGameAreUniqueAndABotSkipsANameAPlayerTook() throws {
        var processor = CommandProcessor(seed: 1)
        let created = processor.handle(envelope("create", seat: aliceSeat, fields: ["name": .string("Bot 1")]), record: nil, now: 0)
        let lobby = try #require(created.record)
        let twin = processor.handle(envelope("join", connection: "7", gateway: "gw2", seat: bobSeat, fields: ["name": .string("bot  1")]),
                                    record: lobby, now: 0)
        #expect(twin.record == nil)
        #expect(twin.replies.first?.reply.code == .nameTaken)
        let added = processor.handle(envelope("add_bot", player: "p1", id: "gw1-2"), record: lobby, now: 0)
        let record = try #require(added.record)
        #expect(record.state.players.map(\.name) == ["Bot 1", "Bot 2"])
        #expect(added.stateMessage?.contains("\"text\":\"Bot 2 joined.\"") == true)
    }

    @Test func scriptedDiceAreConsumedByRollsAcrossGames() throws {
        var processor = CommandProcessor(dice: SharedDiceScript([1, 2]), seed: 1)
        var record = twoPlayerLobby(&processor)
        record = processor.handle(envelope("start", player: "p1"), record: record, now: 0).record!
        let current = record.state.current!
        let seat = current == "p1" ? ("1", "gw1") : ("7", "gw2")
        let rolled = processor.handle(envelope("roll", connection: seat.0, gateway: seat.1, player: current), record: record, now: 0)
        #expect(rolled.record?.state.dice == [1, 2])
        #expect(rolled.record?.state.player(current)?.position == 3)
        #expect(processor.dice.remaining == 0)
    }
}

/// Games nobody attends: the vacancy clock the record keeps, and how the authority closes them.
@Suite struct VacancyTests {
    let game = GameID(rawValue: "IDLE23")!

    func envelope(_ type: String, player: String? = nil, connection: String = "1", seat: String? = nil, name: String? = nil) -> CommandEnvelope {
        var message: [String: JSONValue] = ["type": .string(type)]
        if let name { message["name"] = .string(name) }
        return CommandEnvelope(id: "gw1-\(type)-\(connection)", gateway: "gw1", connection: connection, game: game, player: player, seat: seat,
                               message: .wire(message))
    }

    func step(_ processor: inout CommandProcessor, _ envelope: CommandEnvelope, _ record: GameRecord?, now: Double) throws -> GameRecord {
        let outcome = processor.handle(envelope, record: record, now: now)
        return try #require(outcome.record, "\(envelope.type) was rejected: \(outcome.replies.map(\.reply.code))")
    }

    @Test func theClockRunsWhileNoPlayerIsConnectedAndBotsDoNotCount() throws {
        var processor = CommandProcessor(seed: 1)
        var record = try step(&processor, envelope("create", seat: String(repeating: "a", count: 64), name: "Alice"), nil, now: 10)
        #expect(record.vacantSince == nil)
        record = try step(&processor, envelope("add_bot", player: "p1"), record, now: 11)
        record = try step(&processor, envelope("disconnect"), record, now: 20)
        #expect(record.vacantSince == 20)
        #expect(record.closing(lobbyIdle: 300, abandoned: 900)?.deadline == 320)
        #expect(record.closing(lobbyIdle: 300, abandoned: 900)?.reason == "lobby_idle")
        // A player coming back stops it.
        record = try step(&processor, envelope("rejoin", connection: "2", seat: String(repeating: "a", count: 64)), record, now: 40)
        #expect(record.vacantSince == nil && record.closing(lobbyIdle: 300, abandoned: 900) == nil)
        // In play the abandonment time counts.
        record = try step(&processor, envelope("start", player: "p1", connection: "2"), record, now: 50)
        record = try step(&processor, envelope("disconnect", connection: "2"), record, now: 60)
        #expect(record.closing(lobbyIdle: 300, abandoned: 900)?.deadline == 960)
        #expect(record.closing(lobbyIdle: 300, abandoned: 900)?.reason == "abandoned")
        // The moves the authority makes meanwhile do not restart it.
        let moved = processor.apply(.roll, by: try #require(record.state.current), to: record, cause: nil, now: 70)
        #expect(try #require(moved.record).vacantSince == 60)
    }

    @Test func aConnectedPlayerWhoResignedDoesNotKeepTheBotsPlaying() throws {
        var processor = CommandProcessor(seed: 1)
        var record = try step(&processor, envelope("create", seat: String(repeating: "a", count: 64), name: "Alice"), nil, now: 0)
        record = try step(&processor, envelope("add_bot", player: "p1"), record, now: 0)
        record = try step(&processor, envelope("add_bot", player: "p1"), record, now: 0)
        record = try step(&processor, envelope("start", player: "p1"), record, now: 0)
        // Alice resigns but stays connected (watching, or gone to another game on this connection).
        record = try step(&processor, envelope("leave", player: "p1"), record, now: 5)
        #expect(record.state.phase == .playing && record.seats["p1"]?.connection == "1")
        #expect(record.vacantSince == 5)
    }

    @Test func closingEndsTheGameWithoutAWinnerAndTheReasonInTheState() throws {
        var processor = CommandProcessor(seed: 1)
        var record = try step(&processor, envelope("create", seat: String(repeating: "a", count: 64), name: "Alice"), nil, now: 0)
        record = try step(&processor, envelope("add_bot", player: "p1"), record, now: 0)
        record = try step(&processor, envelope("start", player: "p1"), record, now: 0)
        record = try step(&processor, envelope("disconnect"), record, now: 0)
        let outcome = processor.close(record, reason: "abandoned", now: 900)
        let closed = try #require(outcome.record)
        #expect(closed.seq == record.seq + 1)
        #expect(closed.state.phase == .finished && closed.state.winner == nil && closed.state.endReason == "abandoned")
        #expect(closed.state.turnDeadline == nil && !closed.isListed)
        #expect(closed.state.checkInvariants().isEmpty)
        let message = try WireJSON.decode(JSONValue.self, from: try #require(outcome.stateMessage))
        #expect(message["state"]?["end_reason"] == .string("abandoned"))
        #expect(message["cmd"] == .object(["id": .null, "type": .string("close"), "player": .null]))
        #expect(outcome.replies.isEmpty)
        // Closing a finished game changes nothing.
        #expect(processor.close(closed, reason: "abandoned", now: 1000).record == nil)
    }

    @Test func aLobbyItsLastPersonLeavesIsClosedAtOnceEvenWithBotsLeft() throws {
        var processor = CommandProcessor(seed: 1)
        var record = try step(&processor, envelope("create", seat: String(repeating: "a", count: 64), name: "Alice"), nil, now: 0)
        record = try step(&processor, envelope("join", connection: "2", seat: String(repeating: "b", count: 64), name: "Bob"), record, now: 0)
        record = try step(&processor, envelope("add_bot", player: "p1"), record, now: 0)
        record = try step(&processor, envelope("leave", player: "p1"), record, now: 0)
        #expect(record.state.phase == .lobby && record.isListed)
        record = try step(&processor, envelope("leave", player: "p2", connection: "2"), record, now: 0)
        #expect(record.state.phase == .finished && record.state.endReason == "lobby_empty" && !record.isListed)
    }
}

@Suite struct LeavingTests {
    @Test func leavingAFinishedGameIsAcknowledgedSoTheConnectionCanJoinAnother() throws {
        let game = GameID(rawValue: "DONE23")!
        var processor = CommandProcessor(seed: 1)
        func envelope(_ type: String, player: String?, connection: String, seat: String? = nil, name: String? = nil) -> CommandEnvelope {
            var message: [String: JSONValue] = ["type": .string(type)]
            if let name { message["name"] = .string(name) }
            return CommandEnvelope(id: "gw1-\(type)", gateway: "gw1", connection: connection, game: game, player: player, seat: seat, message: .wire(message))
        }
        var record = try #require(processor.handle(envelope("create", player: nil, connection: "1", seat: String(repeating: "a", count: 64), name: "A"), record: nil, now: 0).record)
        record = try #require(processor.handle(envelope("join", player: nil, connection: "2", seat: String(repeating: "b", count: 64), name: "B"), record: record, now: 0).record)
        record = try #require(processor.handle(envelope("start", player: "p1", connection: "1"), record: record, now: 0).record)
        record = try #require(processor.handle(envelope("leave", player: "p2", connection: "2"), record: record, now: 0).record)
        #expect(record.state.phase == .finished)
        let outcome = processor.handle(envelope("leave", player: "p1", connection: "1"), record: record, now: 0)
        #expect(outcome.record == nil)
        #expect(outcome.replies.map(\.reply.kind) == [.ack])
    }
}
