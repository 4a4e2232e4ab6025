import Atomics
import NIOConcurrencyHelpers
import NIOCore

/// Every live connection of one server, across event loops: enforces the connection limits (in
/// total and per client address) and lets graceful shutdown reach every client.
final class ConnectionRegistry: Sendable {
    private struct HTTPEntry {
        var channel: any Channel
        /// The client's limit key, set once the client is known (at accept, or after a trusted
        /// proxy's header).
        var clientKey: String?
    }

    private struct State {
        var draining = false
        var httpChannels: [ObjectIdentifier: HTTPEntry] = [:]
        var webSockets: [ConnectionID: WebSocketConnection] = [:]
        /// Slots reserved by accepted handshakes whose handler is not installed yet.
        var reservedSlots = 0
        /// Not-yet-upgraded connections and WebSockets (reserved or registered) per client
        /// address; an address leaves its table when its count drops to zero, so the tables hold
        /// at most one entry per open connection.
        var httpPerClient = ClientCounts()
        var webSocketsPerClient = ClientCounts()
    }

    private let state = NIOLockedValueBox(State())
    private let nextID = ManagedAtomic<UInt64>(1)
    let maxConnections: Int
    let maxHTTPConnections: Int
    let maxConnectionsPerClient: Int

    init(maxConnections: Int, maxHTTPConnections: Int, maxConnectionsPerClient: Int = .max) {
        self.maxConnections = maxConnections
        self.maxHTTPConnections = maxHTTPConnections
        self.maxConnectionsPerClient = maxConnectionsPerClient
    }

    func makeConnectionID() -> ConnectionID {
        ConnectionID(rawValue: nextID.loadThenWrappingIncrement(ordering: .relaxed))
    }

    enum Admission { case admitted, full, perClient, draining }

    /// A freshly accepted TCP connection (not yet a WebSocket), before its client is known.
    func admitHTTP(_ channel: any Channel) -> Admission {
        state.withLockedValue { state in
            if state.draining { return .draining }
            if state.httpChannels.count >= maxHTTPConnections { return .full }
            state.httpChannels[ObjectIdentifier(channel)] = HTTPEntry(channel: channel)
            return .admitted
        }
    }

    /// Names the client of an admitted connection; `.perClient` when that address already has
    /// `maxConnectionsPerClient` connections that have not upgraded (the caller closes it).
    func identifyHTTP(_ channel: any Channel, clientAddress: String) -> Admission {
        let clientKey = IPAddress.limitKey(ofClient: clientAddress)
        return state.withLockedValue { state in
            let key = ObjectIdentifier(channel)
            guard state.httpChannels[key] != nil else { return .draining }
            guard state.httpPerClient.count(of: clientKey) < maxConnectionsPerClient else { return .perClient }
            state.httpChannels[key]?.clientKey = clientKey
            state.httpPerClient.add(clientKey)
            return .admitted
        }
    }

    func removeHTTP(_ channel: any Channel) {
        state.withLockedValue { state in
            guard let entry = state.httpChannels.removeValue(forKey: ObjectIdentifier(channel)) else { return }
            if let clientKey = entry.clientKey { state.httpPerClient.remove(clientKey) }
        }
    }

    /// Reserves a WebSocket slot before the 101 is written.
    func reserveWebSocket(clientAddress: String) -> Admission {
        let clientKey = IPAddress.limitKey(ofClient: clientAddress)
        return state.withLockedValue { state in
            if state.draining { return .draining }
            if state.webSocketsPerClient.count(of: clientKey) >= maxConnectionsPerClient { return .perClient }
            if state.webSockets.count + state.reservedSlots >= maxConnections { return .full }
            state.reservedSlots += 1
            state.webSocketsPerClient.add(clientKey)
            return .admitted
        }
    }

    func cancelReservation(clientAddress: String) {
        let clientKey = IPAddress.limitKey(ofClient: clientAddress)
        state.withLockedValue { state in
            state.reservedSlots -= 1
            state.webSocketsPerClient.remove(clientKey)
        }
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
        state.withLockedValue { state in
            guard state.webSockets.removeValue(forKey: connection.id) != nil else { return }
            state.webSocketsPerClient.remove(connection.limitKey)
        }
    }

    /// Open WebSocket connections, counting those whose 101 is out but whose handler is not yet
    /// installed.
    var webSocketCount: Int { state.withLockedValue { $0.webSockets.count + $0.reservedSlots } }
    var httpCount: Int { state.withLockedValue { $0.httpChannels.count } }
    var isDraining: Bool { state.withLockedValue { $0.draining } }
    /// Client addresses with at least one open connection of either kind (tests: the tables shrink).
    var trackedClientAddresses: Int {
        state.withLockedValue { $0.httpPerClient.addresses + $0.webSocketsPerClient.addresses }
    }

    /// Starts draining: no more admissions. Returns everything that is still open.
    func beginDraining() -> (http: [any Channel], webSockets: [WebSocketConnection]) {
        state.withLockedValue { state in
            state.draining = true
            return (state.httpChannels.values.map(\.channel), Array(state.webSockets.values))
        }
    }

    var isEmpty: Bool {
        state.withLockedValue { $0.httpChannels.isEmpty && $0.webSockets.isEmpty && $0.reservedSlots == 0 }
    }
}

/// Open connections per client address, without entries at zero.
private struct ClientCounts {
    private var counts: [String: Int] = [:]

    var addresses: Int { counts.count }

    func count(of address: String) -> Int { counts[address] ?? 0 }

    mutating func add(_ address: String) {
        counts[address, default: 0] += 1
    }

    mutating func remove(_ address: String) {
        guard let count = counts[address] else { return }
        counts[address] = count > 1 ? count - 1 : nil
    }
}
