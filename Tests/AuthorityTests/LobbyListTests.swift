import Foundation
import Monopoly
import RelayProtocol
import Testing
@testable import Authority

/// The lobby list lists games waiting for players and running ones; the authority rewrites a
/// game's entry only when it changes (phase, seats), never for an ordinary move.
@Suite struct LobbyListTests {
    let game = GameID(rawValue: "LOBBY2")!

    func envelope(_ type: String, player: String? = nil, connection: String, seat: String? = nil, name: String? = nil) -> CommandEnvelope {
        var message: [String: JSONValue] = ["type": .string(type)]
        if let name { message["name"] = .string(name) }
        return CommandEnvelope(id: "gw1-\(type)-\(connection)", gateway: "gw1", connection: connection, game: game, player: player, seat: seat,
                               message: .wire(message))
    }

    /// Applies a command and returns the new record and whether the lobby list must be rewritten.
    func step(_ processor: inout CommandProcessor, _ envelope: CommandEnvelope, _ record: GameRecord?) throws -> (GameRecord, Bool) {
        let outcome = processor.handle(envelope, record: record, now: 0)
        let next = try #require(outcome.record, "\(envelope.type) was rejected: \(outcome.replies.map(\.reply.code))")
        return (next, next.lobbyEntryChanged(since: record))
    }

    @Test func onlyPhaseAndSeatChangesRewriteTheEntry() throws {
        var processor = CommandProcessor(dice: SharedDiceScript([1, 2]), seed: 1)
        var (record, changed) = try step(&processor, envelope("create", connection: "1", seat: String(repeating: "a", count: 64), name: "Alice"), nil)
        #expect(changed && record.isListed)
        (record, changed) = try step(&processor, envelope("join", connection: "2", seat: String(repeating: "b", count: 64), name: "Bob"), record)
        #expect(changed)
        (record, changed) = try step(&processor, envelope("join", connection: "3", seat: String(repeating: "c", count: 64), name: "Carol"), record)
        #expect(changed)
        (record, changed) = try step(&processor, envelope("start", player: "p1", connection: "1"), record)
        #expect(changed && record.isListed)
        #expect(record.lobbyEntry == .object([
            "game": .string("LOBBY2"), "host": .string("Alice"), "players": .number(3),
            "names": .array([.string("Alice"), .string("Bob"), .string("Carol")]), "max_players": .number(8), "phase": .string("playing"),
        ]))
        for type in ["roll", "buy", "end_turn"] {
            (record, changed) = try step(&processor, envelope(type, player: "p1", connection: "1"), record)
            #expect(!changed, "\(type) rewrote the lobby entry")
        }
        (record, changed) = try step(&processor, envelope("disconnect", connection: "2"), record)
        #expect(!changed)
        // A resignation keeps the seat (bankrupt): the game goes on with the same entry.
        (record, changed) = try step(&processor, envelope("leave", player: "p3", connection: "3"), record)
        #expect(!changed && record.state.phase == .playing)
        // The last opponent resigns: finished games leave the list.
        (record, changed) = try step(&processor, envelope("leave", player: "p1", connection: "1"), record)
        #expect(changed && record.state.phase == .finished && !record.isListed)
    }

    @Test func aLobbyEveryoneLeftIsNoLongerListed() throws {
        var processor = CommandProcessor(seed: 1)
        var (record, _) = try step(&processor, envelope("create", connection: "1", seat: String(repeating: "a", count: 64), name: "Alice"), nil)
        var changed: Bool
        (record, changed) = try step(&processor, envelope("leave", player: "p1", connection: "1"), record)
        #expect(changed && record.state.players.isEmpty && !record.isListed)
    }
}
