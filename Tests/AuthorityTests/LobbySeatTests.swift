import Monopoly
import RelayProtocol
import Testing
@testable import Authority

/// Lobby seats whose connection is gone (ghosts: a connection that joins and closes) and the host
/// role: given up after the grace while someone is there, so that nobody can fill a lobby with them.
@Suite struct LobbySeatTests {
    let game = GameID(rawValue: "GHOST2")!

    func envelope(_ type: String, connection: String, player: String? = nil, seat: String? = nil, name: String? = nil) -> CommandEnvelope {
        var message: [String: JSONValue] = ["type": .string(type)]
        if let name { message["name"] = .string(name) }
        return CommandEnvelope(id: "gw1-\(type)-\(connection)", gateway: "gw1", connection: connection, game: game, player: player, seat: seat,
                               message: .wire(message))
    }

    func token(_ n: Int) -> String { String(repeating: String(n % 10), count: 64) }

    func step(_ processor: inout CommandProcessor, _ envelope: CommandEnvelope, _ record: GameRecord?, now: Double) throws -> GameRecord {
        let outcome = processor.handle(envelope, record: record, now: now)
        return try #require(outcome.record, "\(envelope.type) was rejected: \(outcome.replies.map(\.reply.code))")
    }

    /// The reviewer's attack: the host creates; seven connections join and close at `now` 0.
    func lobbyFullOfGhosts(_ processor: inout CommandProcessor) throws -> GameRecord {
        var record = try step(&processor, envelope("create", connection: "host", seat: token(0), name: "Host"), nil, now: 0)
        for n in 1...7 {
            record = try step(&processor, envelope("join", connection: "g\(n)", seat: token(n), name: "ghost\(n)"), record, now: 0)
            record = try step(&processor, envelope("disconnect", connection: "g\(n)"), record, now: 0)
        }
        #expect(record.state.players.count == 8)
        return record
    }

    func names(_ record: GameRecord) -> [String] { record.state.players.map(\.name) }

    @Test func ghostsAreGivenUpAfterTheGraceAndAFriendGetsIn() throws {
        var processor = CommandProcessor(seed: 1)
        var record = try lobbyFullOfGhosts(&processor)
        // Within the grace a seat waits for its refresh.
        let early = processor.handle(envelope("join", connection: "friend", seat: token(8), name: "Friend"), record: record, now: 5)
        #expect(early.replies.first?.reply.code == .gameFull)
        #expect(processor.nextSeatRelease(record) == 15)
        #expect(processor.releasingAbsentSeats(record, now: 14.9).record == nil)
        let released = processor.releasingAbsentSeats(record, now: 15)
        record = try #require(released.record)
        #expect(names(record) == ["Host"] && record.seats.count == 1 && record.isListed)
        #expect(record.lobbyEntry["players"] == .number(1))
        let message = try WireJSON.decode(JSONValue.self, from: try #require(released.stateMessage))
        #expect(message["cmd"] == .object(["id": .null, "type": .string("release"), "player": .null]))
        #expect(processor.nextSeatRelease(record) == nil)
        record = try step(&processor, envelope("join", connection: "friend", seat: token(8), name: "Friend"), record, now: 16)
        #expect(names(record) == ["Host", "Friend"])
        // A ghost's token holds no seat any more.
        let back = processor.handle(envelope("rejoin", connection: "g9", seat: token(1)), record: record, now: 17)
        #expect(back.replies.first?.reply.code == .invalidToken)
    }

    @Test func aFullLobbyTakesAJoinerInPlaceOfSeatsPastTheGrace() throws {
        var processor = CommandProcessor(seed: 1)
        var record = try lobbyFullOfGhosts(&processor)
        // No timer ran (a runner just loaded it, say): the join itself gives the seats up.
        let joined = processor.handle(envelope("join", connection: "friend", seat: token(8), name: "Friend"), record: record, now: 15)
        record = try #require(joined.record)
        #expect(names(record) == ["Host", "Friend"])
        #expect(joined.replies.map(\.reply.kind) == [.welcome])
        let message = try WireJSON.decode(JSONValue.self, from: try #require(joined.stateMessage))
        guard case .array(let events) = message["events"] else { Issue.record("no events"); return }
        #expect(events.count == 8 && events.last?["text"] == .string("Friend joined."))
    }

    @Test func aRefreshWithinTheGraceKeepsTheSeat() throws {
        var processor = CommandProcessor(seed: 1)
        var record = try step(&processor, envelope("create", connection: "1", seat: token(1), name: "Host"), nil, now: 0)
        record = try step(&processor, envelope("join", connection: "2", seat: token(2), name: "Bob"), record, now: 0)
        record = try step(&processor, envelope("disconnect", connection: "2"), record, now: 10)
        record = try step(&processor, envelope("rejoin", connection: "3", seat: token(2)), record, now: 12)
        #expect(processor.nextSeatRelease(record) == nil)
        #expect(processor.releasingAbsentSeats(record, now: 1000).record == nil)
        #expect(names(record) == ["Host", "Bob"])
        // The host refreshing keeps the host role too.
        record = try step(&processor, envelope("disconnect", connection: "1"), record, now: 20)
        record = try step(&processor, envelope("join", connection: "4", seat: token(4), name: "Carol"), record, now: 21)
        record = try step(&processor, envelope("rejoin", connection: "5", seat: token(1)), record, now: 22)
        #expect(record.state.host == "p1" && names(record) == ["Host", "Bob", "Carol"])
    }

    @Test func aLobbyNobodyIsConnectedToKeepsItsSeatsForItsPeople() throws {
        var processor = CommandProcessor(seed: 1)
        var record = try step(&processor, envelope("create", connection: "1", seat: token(1), name: "Host"), nil, now: 0)
        record = try step(&processor, envelope("join", connection: "2", seat: token(2), name: "Bob"), record, now: 0)
        record = try step(&processor, envelope("disconnect", connection: "2"), record, now: 0)
        record = try step(&processor, envelope("disconnect", connection: "1"), record, now: 0)
        // The host's phone slept while sharing the link: the lobby waits (until LOBBY_IDLE_SECONDS).
        #expect(processor.nextSeatRelease(record) == nil)
        #expect(processor.releasingAbsentSeats(record, now: 200).record == nil)
        // Back after the grace: the one still away gives the seat up then.
        record = try step(&processor, envelope("rejoin", connection: "3", seat: token(1)), record, now: 200)
        #expect(processor.nextSeatRelease(record) == 15)
        record = try #require(processor.releasingAbsentSeats(record, now: 201).record)
        #expect(names(record) == ["Host"] && record.state.host == "p1")
    }

    /// The host (p1), a bot (p2) and a ghost (p3, gone at `now` 0).
    func hostBotAndGhost(_ processor: inout CommandProcessor) throws -> GameRecord {
        var record = try step(&processor, envelope("create", connection: "1", seat: token(1), name: "Host"), nil, now: 0)
        record = try step(&processor, envelope("add_bot", connection: "1", player: "p1"), record, now: 0)
        record = try step(&processor, envelope("join", connection: "g", seat: token(3), name: "Ghost"), record, now: 0)
        return try step(&processor, envelope("disconnect", connection: "g"), record, now: 0)
    }

    @Test func theHostRolePassesToAPersonConnectedNeverToAGhostOrABot() throws {
        var processor = CommandProcessor(seed: 1)
        var record = try hostBotAndGhost(&processor)
        record = try step(&processor, envelope("join", connection: "4", seat: token(4), name: "Friend"), record, now: 1)
        #expect(names(record) == ["Host", "Bot 1", "Ghost", "Friend"])
        // The host leaves: not the bot, not the ghost, the friend.
        var left = try step(&processor, envelope("leave", connection: "1", player: "p1"), record, now: 2)
        #expect(left.state.host == "p4" && names(left) == ["Friend", "Bot 1", "Ghost"])
        left = try step(&processor, envelope("start", connection: "4", player: "p4"), left, now: 3)
        #expect(left.state.phase == .playing)
        // The host's seat given up after the grace: the same.
        record = try step(&processor, envelope("disconnect", connection: "1"), record, now: 2)
        record = try #require(processor.releasingAbsentSeats(record, now: 17).record)
        #expect(record.state.host == "p4" && names(record) == ["Friend", "Bot 1"])
    }

    @Test func withNobodyConnectedTheRolePassesToAPersonAndOnToTheFirstWhoComes() throws {
        var processor = CommandProcessor(seed: 1)
        var record = try hostBotAndGhost(&processor)
        record = try step(&processor, envelope("leave", connection: "1", player: "p1"), record, now: 1)
        // Only the ghost is a person: never the bot.
        #expect(record.state.host == "p3" && record.state.phase == .lobby)
        // A friend joins past the ghost's grace: the ghost goes, the friend hosts, not the bot.
        record = try step(&processor, envelope("join", connection: "4", seat: token(4), name: "Friend"), record, now: 20)
        #expect(record.state.host == "p4" && names(record) == ["Friend", "Bot 1"])
    }
}
