import Monopoly
import RelayCore
import RelayProtocol

/// A connection as the core's tests name it.
struct TestPeer: RelayPeer, Equatable {
    var number: UInt64
    var limitKey: String
}

/// A core with frames as text, fed events one at a time; its actions come back as one line each.
struct Harness {
    typealias Core = RelayCore<TestPeer, String>
    var core: Core
    let now = ContinuousClock.now
    private var minted = 0

    /// The authority is alive unless a test says otherwise.
    init(configuration: RelayCoreConfiguration = RelayCoreConfiguration(gatewayID: "gw"), authorityAlive: Bool = true) {
        core = Core(configuration: configuration)
        if authorityAlive { _ = core.handle(.authorityChecked(alive: true)) }
    }

    static func game(_ code: String) -> GameID { GameID(rawValue: code)! }

    func peer(_ number: UInt64, address: String = "192.0.2.1") -> TestPeer { TestPeer(number: number, limitKey: address) }

    @discardableResult
    mutating func on(_ event: Core.Event) -> [String] {
        core.handle(event).map(\.line)
    }

    @discardableResult
    mutating func open(_ number: UInt64, address: String = "192.0.2.1") -> [String] {
        on(.opened(peer(number, address: address), now: now))
    }

    /// A client message as text; a seat request gets token `tN`, hash `hN` and (create) game `GAMEN`.
    @discardableResult
    mutating func send(_ number: UInt64, _ text: String, address: String = "192.0.2.1",
                       at instant: ContinuousClock.Instant? = nil) -> [String] {
        let parsed = ClientRequest.parse(text)
        var credentials: SeatCredentials?
        if case .success(let request) = parsed {
            switch request.kind {
            case .create, .join:
                minted += 1
                credentials = SeatCredentials(token: "t\(minted)", tokenHash: "h\(minted)", newGame: Self.game("GAME\(minted)"))
            case .rejoin(let game, let token):
                credentials = SeatCredentials(token: token, tokenHash: "hash-of-\(token)", newGame: game)
            default:
                break
            }
        }
        return on(.received(peer(number, address: address), parsed, credentials: credentials, now: instant ?? now))
    }

    @discardableResult
    mutating func reply(_ kind: AuthorityReply.Kind, _ command: String?, to connection: UInt64, game: String,
                        seq: Int? = nil, epoch: Int? = nil, player: String? = nil, code: ErrorCode? = nil) -> [String] {
        on(.reply(AuthorityReply(kind: kind, command: command, connection: "\(connection)", game: Self.game(game),
                                 seq: seq, epoch: epoch.map { StateEpoch(rawValue: $0)! }, player: player, code: code)))
    }

    @discardableResult
    mutating func state(_ game: String, seq: Int?, epoch: Int = 0, payload: String = "") -> [String] {
        on(.state(Self.arrival(game, seq: seq, epoch: epoch, payload: payload)))
    }

    /// Frames are `sN` (`sN@E` in an epoch other than 0) and `chat`.
    static func arrival(_ game: String, seq: Int?, epoch: Int = 0, payload: String = "") -> StateArrival<String> {
        StateArrival(game: Self.game(game), seq: seq, epoch: StateEpoch(rawValue: epoch)!,
                     frame: seq.map { "s\($0)" + (epoch == 0 ? "" : "@\(epoch)") } ?? "chat", payload: Array(payload.utf8))
    }

    /// Connection `number` creates GAME-something and is welcomed as `player` with state 1.
    mutating func seat(_ number: UInt64, player: String = "p1", address: String = "192.0.2.1") -> (game: String, command: String) {
        open(number, address: address)
        let actions = send(number, #"{"type":"create","name":"Ann"}"#, address: address)
        let game = String(actions[0].dropFirst("subscribe ".count))
        let published = on(.subscribed(Self.game(game)))
        let command = String(published[0].dropFirst("schedule ".count))
        state(game, seq: 1)
        reply(.welcome, command, to: number, game: game, player: player)
        return (game, command)
    }
}

extension RelayAction where Peer == TestPeer, Frame == String {
    var line: String {
        switch self {
        case .send(let peer, let message): "send \(peer.number) \(message.line)"
        case .broadcast(let members, let frame, let game, let conflated):
            "broadcast \(game) \(frame) to \(members.map(\.number).sorted())" + (conflated ? "" : " unconflated")
        case .broadcastPatch(let members, let patch, let whole, let game):
            "broadcast \(game) patch \(patch) (whole \(whole)) to \(members.map(\.number).sorted())"
        case .pushLobby(let list, let watchers): "push lobby of \(list.games.count) to \(watchers.map(\.number).sorted())"
        case .publish(let envelope):
            "publish \(envelope.id) \(envelope.type) \(envelope.game)" + (envelope.player.map { " as \($0)" } ?? "")
                + (envelope.seat.map { " seat \($0)" } ?? "") + (envelope.client.map { " from \($0)" } ?? "")
        case .reportDisconnect(let envelope):
            "report disconnect \(envelope.game) conn \(envelope.connection)" + (envelope.player.map { " as \($0)" } ?? "")
        case .subscribe(let game): "subscribe \(game)"
        case .unsubscribe(let game): "unsubscribe \(game)"
        case .readLastState(let game, .spectator(let connection, _)): "read last \(game) for spectator \(connection)"
        case .readLastState(let game, .recovery(let command)): "read last \(game) to recover \(command)"
        case .readLastState(let game, .resynchronization): "read last \(game) to resynchronize"
        case .readLobby: "read lobby"
        case .checkAuthority: "check authority"
        case .schedule(.acknowledgement(let command), _): "schedule \(command)"
        case .cancel(.acknowledgement(let command)): "cancel \(command)"
        case .schedule(.handover(let connection), let delay): "retry \(connection) in \(delay.components.attoseconds / 1_000_000_000_000_000 + delay.components.seconds * 1000) ms"
        case .cancel(.handover(let connection)): "cancel retry \(connection)"
        case .schedule(.stateWait(let connection), let delay): "hold replies of \(connection) for \(delay.components.attoseconds / 1_000_000_000_000_000 + delay.components.seconds * 1000) ms"
        case .cancel(.stateWait(let connection)): "cancel hold of \(connection)"
        case .schedule(.welcomeWait(let command), _): "hold welcome \(command)"
        case .cancel(.welcomeWait(let command)): "cancel hold of welcome \(command)"
        case .close(let peer, let reason): "close \(peer.number) \(reason)"
        case .restart(let peer): "restart \(peer.number)"
        case .count(let metric): "count \(metric)"
        }
    }
}

extension ClientMessage where Frame == String {
    var line: String {
        switch self {
        case .welcome(let game, let player, let token, let re): "welcome \(game) \(player ?? "-") token \(token ?? "-") re \(re.text)"
        case .ack(let game, let seq, let re): "ack \(game) \(seq.map(String.init) ?? "-") re \(re.text)"
        case .error(let code, _, let re): "error \(code.rawValue) re \(re.text)"
        case .lobby(let list, let re): "lobby of \(list.games.count) re \(re.text)"
        case .state(let frame): "state \(frame)"
        }
    }
}

extension JSONValue {
    var text: String { WireJSON.encode(self) }
}
