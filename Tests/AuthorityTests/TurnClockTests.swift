import Foundation
import Monopoly
import RelayProtocol
import Testing
@testable import Authority

/// The turn clock's deadline lives in the state (`turn_deadline`, wall clock seconds), set by the
/// authority's pure core: clients count down to it and a restarted authority keeps it.
@Suite struct TurnClockTests {
    let game = GameID(rawValue: "CLOCK2")!
    /// (player, connection, gateway): Alice p1 on gw1/1, Bob p2 on gw2/7.
    let seats = ["p1": ("1", "gw1"), "p2": ("7", "gw2")]

    func envelope(_ type: String, player: String? = nil, connection: String = "1", gateway: String = "gw1", seat: String? = nil,
                  fields: [String: JSONValue] = [:]) -> CommandEnvelope {
        var message = fields
        message["type"] = .string(type)
        return CommandEnvelope(id: "\(gateway)-\(type)", gateway: gateway, connection: connection, game: game, player: player, seat: seat,
                               message: .wire(message))
    }

    /// A command from a seated player, through `handle` as the runner does.
    func send(_ type: String, by player: String, _ record: GameRecord, _ processor: inout CommandProcessor, now: Double) throws -> GameRecord {
        let (connection, gateway) = seats[player]!
        let outcome = processor.handle(envelope(type, player: player, connection: connection, gateway: gateway), record: record, now: now)
        return try #require(outcome.record, "\(type) by \(player) was rejected: \(outcome.replies.map(\.reply.code))")
    }

    /// Alice and Bob in a lobby with the given options, started at `now`.
    func started(_ processor: inout CommandProcessor, options: [String: JSONValue], at now: Double) throws -> GameRecord {
        var record = try #require(processor.handle(envelope("create", seat: String(repeating: "a", count: 64),
                                                            fields: ["name": .string("Alice"), "options": .object(options)]), record: nil, now: 0).record)
        record = try #require(processor.handle(envelope("join", connection: "7", gateway: "gw2", seat: String(repeating: "b", count: 64),
                                                        fields: ["name": .string("Bob")]), record: record, now: 0).record)
        #expect(record.state.turnDeadline == nil)
        return try send("start", by: "p1", record, &processor, now: now)
    }

    @Test func startingTheGameStartsTheClockAndTheStateCarriesTheDeadline() throws {
        var processor = CommandProcessor(seed: 1)
        #expect(try started(&processor, options: [:], at: 1000).state.turnDeadline == nil) // no turn_seconds, no clock
        let record = try started(&processor, options: ["turn_seconds": .number(30)], at: 1000)
        #expect(record.state.turnDeadline == 1030)
        // What clients receive, and what a restarted authority reads back.
        let encoded = try WireJSON.decode(JSONValue.self, from: WireJSON.encode(StateMessage(
            game: game, seq: record.seq, state: record.state, events: [], cause: .init(id: nil, type: "start", player: "p1"))))
        #expect(encoded["state"]?["turn_deadline"] == .number(1030))
        #expect(try WireJSON.decode(GameRecord.self, from: WireJSON.encode(record)) == record)
    }

    @Test func theDeadlineHoldsForTheWholeTurnAndIsRenewedForTheNext() throws {
        var processor = CommandProcessor(dice: SharedDiceScript([1, 2, 2, 4]), seed: 1)
        var record = try started(&processor, options: ["turn_seconds": .number(30)], at: 1000)
        record = try send("roll", by: "p1", record, &processor, now: 1005)
        record = try send("buy", by: "p1", record, &processor, now: 1010)
        #expect(record.state.turnDeadline == 1030)
        record = try send("end_turn", by: "p1", record, &processor, now: 1012)
        #expect(record.state.current == "p2")
        #expect(record.state.turnDeadline == 1042)
    }

    @Test func theClockStopsWhenTheGameEnds() throws {
        var processor = CommandProcessor(seed: 1)
        var record = try started(&processor, options: ["turn_seconds": .number(30)], at: 1000)
        record = try send("leave", by: "p2", record, &processor, now: 1001)
        #expect(record.state.phase == .finished)
        #expect(record.state.turnDeadline == nil)
    }

    @Test func expiryHandsTheTurnToTheBotAndTwoInARowMarkThePlayerAway() throws {
        var processor = CommandProcessor(dice: SharedDiceScript([1, 2, 2, 4, 3, 4]), seed: 1)
        var record = try started(&processor, options: ["turn_seconds": .number(30)], at: 1000)
        #expect(CommandProcessor.expireTurnClock(record, now: 1029.9) == nil)
        record = try #require(CommandProcessor.expireTurnClock(record, now: 1030))
        #expect(record.state.turnDeadline == nil)
        #expect(record.expiredTurn == 1)
        #expect(record.seats["p1"]?.timeouts == 1)
        #expect(record.state.player("p1")?.away == false)
        #expect(CommandProcessor.expireTurnClock(record, now: 2000) == nil) // once per turn
        // The bot's moves for the rest of the turn start no new clock, even after a restart.
        record = try #require(processor.apply(.roll, by: "p1", to: record, cause: nil, now: 1031).record)
        #expect(record.state.turnDeadline == nil)
        var reloaded = try WireJSON.decode(GameRecord.self, from: WireJSON.encode(record))
        CommandProcessor.updateTurnClock(&reloaded, previousTurn: reloaded.state.turnNumber, now: 1032)
        #expect(reloaded.state.turnDeadline == nil)
        record = try #require(processor.apply(.buy, by: "p1", to: record, cause: nil, now: 1032).record)
        record = try #require(processor.apply(.endTurn, by: "p1", to: record, cause: nil, now: 1033).record)
        // Bob's turn has its own clock; he plays in time.
        #expect(record.state.turnDeadline == 1063)
        record = try send("roll", by: "p2", record, &processor, now: 1040)
        record = try send("buy", by: "p2", record, &processor, now: 1041)
        record = try send("end_turn", by: "p2", record, &processor, now: 1042)
        // Alice's second timeout in a row: away.
        record = try #require(CommandProcessor.expireTurnClock(record, now: 1072))
        #expect(record.seats["p1"]?.timeouts == 2)
        #expect(record.state.player("p1")?.away == true)
    }

    @Test func aRecordSavedWithoutADeadlineGetsOneWhenLoaded() throws {
        var processor = CommandProcessor(seed: 1)
        var record = try started(&processor, options: ["turn_seconds": .number(30)], at: 1000)
        record.state.turnDeadline = nil
        CommandProcessor.updateTurnClock(&record, previousTurn: record.state.turnNumber, now: 5000)
        #expect(record.state.turnDeadline == 5030)
        // A deadline already set is kept: a restarted authority continues the same clock.
        CommandProcessor.updateTurnClock(&record, previousTurn: record.state.turnNumber, now: 5010)
        #expect(record.state.turnDeadline == 5030)
    }

    /// Deadlines come from records in Redis: whatever they hold, the runner's timer gets a delay
    /// between zero and a day (it used to convert `(deadline - wall) * 1000` to Int64 and trap).
    @Test(arguments: [
        (1e300 as Double, GameLoop.maximumDelay as Duration), (-1e300, .zero), (.infinity, GameLoop.maximumDelay), (-.infinity, .zero),
        (.nan, GameLoop.maximumDelay), (1000 + 1e16, GameLoop.maximumDelay), (Double.greatestFiniteMagnitude, GameLoop.maximumDelay),
        (1000.25, .milliseconds(250)), (999, .zero),
    ] as [(Double, Duration)])
    func aWakeDelayIsClampedWhateverTheDeadline(_ deadline: Double, _ delay: Duration) {
        #expect(GameLoop.delay(until: deadline, from: 1000) == delay)
    }

    /// A game stored before options had ranges keeps its clocks within them.
    @Test(arguments: [(Int.max, 3600.0), (10_000_000_000_000_000, 3600.0), (Int.min, 10.0), (-1, 10.0), (0, 10.0), (45, 45.0)] as [(Int, Double)])
    func aStoredClockLengthIsClampedToItsRange(_ seconds: Int, _ clamped: Double) {
        #expect(CommandProcessor.clock(seconds, within: GameOptions.turnSecondsRange) == clamped)
    }
}
