import Monopoly
import NIOConcurrencyHelpers
import RelayProtocol

/// Which gateway instance holds each connected seat of the games this authority runs (lobbies and
/// running games; a finished game's seats need nobody), and which of them a heartbeat poll finds
/// dead. Pure; `GatewayBindingsLedger` shares it between the runners and the liveness monitor.
struct GatewayBindings: Sendable, Equatable {
    struct Binding: Sendable, Hashable {
        var game: GameID
        var player: PlayerID
        /// The instance id (`NAME.BOOT`) and connection, exactly as the seat holds them.
        var gateway: String
        var connection: String
    }

    private(set) var games: [GameID: [Binding]] = [:]

    /// The seats of `record` that hold a connection now (none when the game is over or gone).
    mutating func set(_ game: GameID, record: GameRecord?) {
        let bound = record.map { record -> [Binding] in
            guard record.state.phase != .finished else { return [] }
            return record.seats.compactMap { player, seat in
                guard let gateway = seat.gateway, let connection = seat.connection else { return nil }
                return Binding(game: game, player: player, gateway: gateway, connection: connection)
            }
        } ?? []
        games[game] = bound.isEmpty ? nil : bound
    }

    /// The names whose heartbeat keys tell whether the bound instances live.
    var gatewayNames: Set<String> {
        Set(games.values.joined().map { GatewayIdentity.name(ofInstance: $0.gateway) })
    }

    /// The bindings whose instance is dead: its name's key is gone or names another instance (a
    /// restart under the same name). `holders`: name -> the key's value, nil when the key does not
    /// exist; a name left out (its read failed) is not judged.
    func lost(holders: [String: String?]) -> [Binding] {
        games.values.joined().filter { binding in
            guard let holder = holders[GatewayIdentity.name(ofInstance: binding.gateway)] else { return false }
            return holder != binding.gateway
        }.sorted { ($0.game.rawValue, $0.player) < ($1.game.rawValue, $1.player) }
    }
}

/// `GatewayBindings` behind a lock: each runner reports its game's bindings after every input.
final class GatewayBindingsLedger: Sendable {
    private let bindings = NIOLockedValueBox(GatewayBindings())

    init() {}

    func set(_ game: GameID, record: GameRecord?) {
        bindings.withLockedValue { $0.set(game, record: record) }
    }

    var snapshot: GatewayBindings { bindings.withLockedValue { $0 } }

    /// The lease is lost: the next holder's runners report for themselves.
    func removeAll() {
        bindings.withLockedValue { $0 = GatewayBindings() }
    }
}
