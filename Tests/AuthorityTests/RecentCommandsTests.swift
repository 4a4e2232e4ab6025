import Monopoly
import RelayProtocol
import Testing
@testable import Authority

/// A seated player's request id is a dedupe key (`RecentCommand`): a retry is answered, not applied.
@Suite struct RecentCommandsTests {
    let game = GameID(rawValue: "RETRY2")!

    func envelope(_ id: String, key: String?, _ message: EnvelopeMessage, player: String? = "p1") -> CommandEnvelope {
        CommandEnvelope(id: id, gateway: "gw1", connection: "1", game: game, player: player,
                        seat: player == nil ? String(repeating: "a", count: 64) : nil, key: key, message: message)
    }

    func lobby(_ processor: inout CommandProcessor) throws -> GameRecord {
        try #require(processor.handle(envelope("c", key: "s:1", .create(name: "Alice", options: GameOptions()), player: nil),
                                      record: nil, now: 0).record)
    }

    @Test func aRetryGetsTheFirstAnswerAndChangesNothing() throws {
        var processor = CommandProcessor(seed: 1)
        let record = try lobby(&processor)
        let first = processor.handle(envelope("gw1-2", key: "s:c9", .addBot), record: record, now: 0)
        let added = try #require(first.record)
        let retry = processor.handle(envelope("gw1-3", key: "s:c9", .addBot), record: added, now: 0)
        #expect(retry.record == nil && retry.stateMessage == nil)
        #expect(retry.replies.map(\.reply.kind) == [.ack] && retry.replies.first?.reply.seq == added.seq)
        #expect(retry.replies.first?.reply.command == "gw1-3")
        // Without a key (a client sending no id), nothing is remembered: each one applies.
        let keyless = processor.handle(envelope("gw1-4", key: nil, .addBot), record: added, now: 0)
        #expect(keyless.record?.seq == added.seq + 1)
    }

    @Test func onlyTheLastFewAreRememberedAndTheStoredListIsBounded() throws {
        var processor = CommandProcessor(seed: 1)
        var record = try lobby(&processor)
        for index in 0..<(RecentCommand.limit + 3) {
            var outcome = Outcome()
            record.seq += 1
            outcome.record = record
            processor.remember(envelope("gw1-\(index)", key: "n:\(index)", .command(.roll)), player: "p1", in: &outcome)
            record = try #require(outcome.record)
        }
        #expect(record.seats["p1"]?.recent?.map(\.key) == (3..<(RecentCommand.limit + 3)).map { "n:\($0)" })
        #expect(record.storedValueViolations().isEmpty)
        var hostile = record
        hostile.seats["p1"]?.recent = Array(repeating: RecentCommand(key: "k", message: "0", seq: 1), count: RecentCommand.limit + 1)
        #expect(!hostile.storedValueViolations().isEmpty)
    }
}
