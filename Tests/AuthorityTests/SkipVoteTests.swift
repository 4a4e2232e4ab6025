import Foundation
import Monopoly
import RelayProtocol
import Testing
@testable import Authority

/// `vote_skip` through the authority's pure core: seats and connections decide who is there, a
/// carried vote hands the turn to the bot at once (`expired_turn`), as the turn clock's expiry does.
@Suite struct SkipVoteAuthorityTests {
    let game = GameID(rawValue: "SKIP17")!

    func envelope(_ type: String, player: String? = nil, connection: String, seat: String? = nil,
                  fields: [String: JSONValue] = [:], id: String? = nil) -> CommandEnvelope {
        var message = fields
        message["type"] = .string(type)
        return CommandEnvelope(id: id ?? "gw1-\(type)-\(connection)", gateway: "gw1", connection: connection, game: game, player: player,
                               seat: seat, message: .wire(message))
    }

    static func seat(_ k: Int) -> String { String(repeating: String(k), count: 64) }

    /// `players` people (p1 on connection 1, p2 on 2, ...) in a started game with a turn clock,
    /// then Alice (p1, on her turn) loses the connection.
    func aliceAway(_ processor: inout CommandProcessor, players: Int) throws -> GameRecord {
        var record = try #require(processor.handle(envelope("create", connection: "1", seat: Self.seat(1),
                                                            fields: ["name": .string("Alice"), "options": .object(["turn_seconds": .number(60)])]),
                                                   record: nil, now: 0).record)
        for k in 2...players {
            record = try #require(processor.handle(envelope("join", connection: "\(k)", seat: Self.seat(k), fields: ["name": .string("P\(k)")]),
                                                   record: record, now: 0).record)
        }
        record = try #require(processor.handle(envelope("start", player: "p1", connection: "1"), record: record, now: 1000).record)
        return try #require(processor.handle(envelope("disconnect", connection: "1"), record: record, now: 1001).record)
    }

    func vote(_ processor: inout CommandProcessor, _ record: GameRecord, by k: Int, turn: Int? = nil, now: Double = 1002) -> Outcome {
        processor.handle(envelope("vote_skip", player: "p\(k)", connection: "\(k)", fields: ["turn": .number(Double(turn ?? record.state.turnNumber))],
                                  id: "gw1-vote-\(k)-\(now)"),
                         record: record, now: now)
    }

    func events(_ outcome: Outcome) throws -> [JSONValue] {
        let message = try WireJSON.decode(JSONValue.self, from: try #require(outcome.stateMessage))
        guard case .array(let events) = message["events"] else { return [] }
        return events
    }

    @Test func aMajorityHandsTheTurnToTheBotAtOnce() throws {
        var processor = CommandProcessor(dice: SharedDiceScript([1, 2]), seed: 1)
        var record = try aliceAway(&processor, players: 3)
        #expect(record.state.skipVotesNeeded == 2)
        #expect(record.state.turnDeadline == 1060)

        let first = vote(&processor, record, by: 2)
        record = try #require(first.record)
        #expect(record.state.skipVotes == ["p2"])
        #expect(record.expiredTurn == nil && record.state.turnDeadline == 1060)
        #expect(first.replies.map(\.reply.kind) == [.ack])
        #expect(try events(first).map { $0["type"] } == [.string("skip_vote")])

        // The same vote again (another request): acknowledged, nothing published.
        let again = vote(&processor, record, by: 2, now: 1003)
        #expect(again.record == nil && again.stateMessage == nil)
        #expect(again.replies.map(\.reply.kind) == [.ack] && again.replies.first?.reply.seq == nil)

        let second = vote(&processor, record, by: 3)
        record = try #require(second.record)
        #expect(try events(second).map { $0["type"] } == [.string("skip_vote"), .string("turn_skipped")])
        #expect(record.expiredTurn == 1)
        #expect(record.state.turnDeadline == nil)
        #expect(record.seats["p1"]?.timeouts == 0)  // no timeout of hers
        // Every member sees the votes in the state.
        let message = try WireJSON.decode(JSONValue.self, from: try #require(second.stateMessage))
        #expect(message["state"]?["skip_votes"] == .array([.string("p2"), .string("p3")]))
        #expect(message["state"]?["skip_votes_needed"] == .number(2))

        // The bot plays her whole turn; its moves start no new clock; the next turn has its own.
        record = try #require(processor.apply(.roll, by: "p1", to: record, cause: nil, now: 1004).record)
        #expect(record.state.turnDeadline == nil)
        record = try #require(processor.apply(.buy, by: "p1", to: record, cause: nil, now: 1005).record)
        record = try #require(processor.apply(.endTurn, by: "p1", to: record, cause: nil, now: 1006).record)
        #expect(record.state.current == "p2" && record.state.skipVotes.isEmpty)
        #expect(record.state.turnDeadline == 1066)
    }

    @Test func refusalsNameWhy() throws {
        var processor = CommandProcessor(seed: 1)
        var record = try aliceAway(&processor, players: 3)
        let stale = vote(&processor, record, by: 2, turn: 0)
        #expect(stale.record == nil && stale.replies.first?.reply.code == .staleTurn)
        // Alice is back: nothing to vote on.
        record = try #require(processor.handle(envelope("rejoin", connection: "9", seat: Self.seat(1)), record: record, now: 1003).record)
        let here = vote(&processor, record, by: 2)
        #expect(here.replies.first?.reply.code == .playerConnected)
        #expect(here.replies.first?.reply.message?.contains("Alice") == true)
        // Without a seat on this connection: not seated, whatever the message says.
        let stranger = processor.handle(envelope("vote_skip", player: "p2", connection: "5", fields: ["turn": .number(1)]), record: record, now: 1004)
        #expect(stranger.replies.first?.reply.code == .notSeated)
    }

    @Test func theAbsentPlayerBackClearsTheVotes() throws {
        var processor = CommandProcessor(seed: 1)
        var record = try aliceAway(&processor, players: 4)
        record = try #require(vote(&processor, record, by: 2).record)
        #expect(record.state.skipVotes == ["p2"])
        record = try #require(processor.handle(envelope("rejoin", connection: "9", seat: Self.seat(1)), record: record, now: 1003).record)
        #expect(record.state.skipVotes.isEmpty && record.state.skipVotesNeeded == nil && record.expiredTurn == nil)
    }

    /// 5 players, 4 there: 3 votes carry. With 2 cast, a voter who did not vote leaves: 2 of the 3 left carry.
    @Test func aVoterLeavingCanCarryTheVote() throws {
        var processor = CommandProcessor(seed: 1)
        var record = try aliceAway(&processor, players: 5)
        record = try #require(vote(&processor, record, by: 2).record)
        record = try #require(vote(&processor, record, by: 3).record)
        #expect(record.expiredTurn == nil)
        let gone = processor.handle(envelope("disconnect", connection: "5"), record: record, now: 1003)
        record = try #require(gone.record)
        #expect(try events(gone).map { $0["type"] } == [.string("left"), .string("turn_skipped")])
        #expect(record.expiredTurn == 1 && record.state.turnDeadline == nil)
    }

    /// A vote that carries after the clock ran out hands over nothing more: the bot has the turn already.
    @Test func aTurnTheClockExpiredIsNotSkippedTwice() throws {
        var processor = CommandProcessor(seed: 1)
        var record = try aliceAway(&processor, players: 2)
        record = try #require(CommandProcessor.expireTurnClock(record, now: 1060))
        let late = vote(&processor, record, by: 2, now: 1061)
        #expect(try events(late).map { $0["type"] } == [.string("skip_vote")])
        #expect(late.record?.seats["p1"]?.timeouts == 1)
    }

    /// What crosses Redis: the typed command, encoded from its type.
    @Test func theVoteCrossesRedisTyped() throws {
        #expect(WireJSON.encode(EnvelopeMessage.command(.voteSkip(turn: 7))) == #"{"turn":7,"type":"vote_skip"}"#)
    }
}
