import Atomics
import NIOConcurrencyHelpers
import NIOCore

/// Every live connection of one server, across event loops: enforces the connection limits and
/// lets graceful shutdown reach every client.
final class ConnectionRegistry: Sendable {
    private struct State {
        var draining = false
        var httpChannels: [ObjectIdentifier: any Channel] = [:]
        var webSockets: [ConnectionID: WebSocketConnection] = [:]
        /// Slots reserved by accepted handshakes whose handler is not installed yet.
        var reservedSlots = 0
    }

    private let state = NIOLockedValueBox(State())
    private let nextID = ManagedAtomic<UInt64>(1)
    let maxConnections: Int
    let maxHTTPConnections: Int

    init(maxConnections: Int, maxHTTPConnections: Int) {
        self.maxConnections = maxConnections
        self.maxHTTPConnections = maxHTTPConnections
    }

    func makeConnectionID() -> ConnectionID {
        ConnectionID(rawValue: nextID.loadThenWrappingIncrement(ordering: .relaxed))
    }

    enum Admission { case admitted, full, draining }

    /// A freshly accepted TCP connection (not yet a WebSocket).
    func admitHTTP(_ channel: any Channel) -> Admission {
        state.withLockedValue { state in
            if state.draining { return .draining }
            if state.httpChannels.count >= maxHTTPConnections { return .full }
            state.httpChannels[ObjectIdentifier(channel)] = channel
            return .admitted
        }
    }

    func removeHTTP(_ channel: any Channel) {
        _ = state.withLockedValue { $0.httpChannels.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    /// Reserves a WebSocket slot before the 101 is written.
    func reserveWebSocket() -> Admission {
        state.withLockedValue { state in
            if state.draining { return .draining }
            if state.webSockets.count + state.reservedSlots >= maxConnections { return .full }
            state.reservedSlots += 1
            return .admitted
        }
    }

    func cancelReservation() {
        state.withLockedValue { $0.reservedSlots -= 1 }
    }

    /// Turns a reservation into a registered connection. Returns false when shutdown began meanwhile.
    func register(_ connection: WebSocketConnection) -> Bool {
        state.withLockedValue { state in
            state.reservedSlots -= 1
            state.webSockets[connection.id] = connection
            return !state.draining
        }
    }

    func unregister(_ connection: WebSocketConnection) {
        _ = state.withLockedValue { $0.webSockets.removeValue(forKey: connection.id) }
    }

    /// Open WebSocket connections, counting those whose 101 is out but whose handler is not yet
    /// installed.
    var webSocketCount: Int { state.withLockedValue { $0.webSockets.count + $0.reservedSlots } }
    var httpCount: Int { state.withLockedValue { $0.httpChannels.count } }
    var isDraining: Bool { state.withLockedValue { $0.draining } }

    /// Starts draining: no more admissions. Returns everything that is still open.
    func beginDraining() -> (http: [any Channel], webSockets: [WebSocketConnection]) {
        state.withLockedValue { state in
            state.draining = true
            return (Array(state.httpChannels.values), Array(state.webSockets.values))
        }
    }

    var isEmpty: Bool {
        state.withLockedValue { $0.httpChannels.isEmpty && $0.webSockets.isEmpty && $0.reservedSlots == 0 }
    }
}
