import Monopoly
import RelayProtocol
import Testing
@testable import Authority

/// Which seats a heartbeat poll finds bound to a dead gateway (`GatewayBindings`), and the seat
/// checks that keep a restarted gateway (same name, a new instance) from matching old bindings.
@Suite struct GatewayBindingsTests {
    let game = GameID(rawValue: "LIVE23")!, other = GameID(rawValue: "LIVE45")!
    let aliceSeat = String(repeating: "a", count: 64), bobSeat = String(repeating: "b", count: 64)

    func envelope(_ type: String, gateway: String, connection: String = "1", player: String? = nil, seat: String? = nil,
                  fields: [String: JSONValue] = [:]) -> CommandEnvelope {
        var message = fields
        message["type"] = .string(type)
        return CommandEnvelope(id: "\(gateway)-1", gateway: gateway, connection: connection, game: game, player: player, seat: seat,
                               message: .wire(message))
    }

    /// Alice on gw1.aaaaaaaa connection 1, Bob on gw2.bbbbbbbb connection 1.
    func lobby(_ processor: inout CommandProcessor) -> GameRecord {
        let created = processor.handle(envelope("create", gateway: "gw1.aaaaaaaa", seat: aliceSeat, fields: ["name": .string("Alice")]),
                                       record: nil, now: 0)
        return processor.handle(envelope("join", gateway: "gw2.bbbbbbbb", seat: bobSeat, fields: ["name": .string("Bob")]),
                                record: created.record, now: 0).record!
    }

    func bindings(_ record: GameRecord) -> GatewayBindings {
        var bindings = GatewayBindings()
        bindings.set(game, record: record)
        return bindings
    }

    @Test(arguments: [
        // name -> the instance its key names (nil: no key); a name left out was not read.
        ([("gw1", "gw1.aaaaaaaa"), ("gw2", "gw2.bbbbbbbb")], [String]()),
        ([("gw1", nil), ("gw2", "gw2.bbbbbbbb")], ["p1"]),
        // Restarted under the same name: the key lives, for another instance.
        ([("gw1", "gw1.cccccccc"), ("gw2", "gw2.bbbbbbbb")], ["p1"]),
        ([("gw1", nil), ("gw2", nil)], ["p1", "p2"]),
        ([("gw2", nil)], ["p2"]),
        ([], []),
    ] as [([(String, String?)], [String])])
    func aSeatIsLostWhenItsGatewaysKeyIsGoneOrNamesAnotherInstance(_ holders: [(String, String?)], _ lost: [String]) {
        var processor = CommandProcessor(seed: 1)
        let current = bindings(lobby(&processor))
        #expect(current.gatewayNames == ["gw1", "gw2"])
        let table = Dictionary(holders, uniquingKeysWith: { first, _ in first })
        #expect(current.lost(holders: table).map(\.player) == lost)
    }

    @Test func onlyConnectedSeatsOfUnfinishedGamesAreBound() throws {
        var processor = CommandProcessor(seed: 1)
        var record = lobby(&processor)
        // Alice's connection closed: her seat is bound to nothing.
        record = try #require(processor.handle(envelope("disconnect", gateway: "gw1.aaaaaaaa"), record: record, now: 1).record)
        var current = bindings(record)
        #expect(current.games[game]?.map(\.player) == ["p2"])
        #expect(current.gatewayNames == ["gw2"])
        current.set(other, record: nil)
        current.set(game, record: nil)
        #expect(current == GatewayBindings())
    }

    @Test func aRestartedGatewaysConnectionIsNotTheSeatItsPredecessorBound() throws {
        var processor = CommandProcessor(seed: 1)
        let record = lobby(&processor)
        // Same name, same connection number, new instance: not Alice's seat...
        let forged = processor.handle(envelope("add_bot", gateway: "gw1.cccccccc", player: "p1"), record: record, now: 1)
        #expect(forged.record == nil)
        #expect(forged.replies.first?.reply.code == ErrorCode.notSeated)
        // ...its own seat is no "already seated" either...
        let carol = processor.handle(envelope("join", gateway: "gw1.cccccccc", seat: String(repeating: "c", count: 64),
                                              fields: ["name": .string("Carol")]), record: record, now: 1)
        #expect(carol.replies.first?.reply.kind == .welcome)
        // ...and its connection closing frees nothing of Alice's.
        let closed = processor.handle(envelope("disconnect", gateway: "gw1.cccccccc"), record: record, now: 1)
        #expect(closed.record == nil)
    }
}
