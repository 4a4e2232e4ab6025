import RelayProtocol

/// A published command awaiting the authority's reply.
public struct PendingCommand: Sendable, Equatable {
    public var connection: UInt64
    /// The client's correlation id, echoed in the answer.
    public var re: JSONValue
    public var game: GameID
    public var type: String
    /// The token minted for (or given with) a `create`/`join`/`rejoin`, handed over with the welcome.
    public var token: String?
    /// What was published, kept to publish it again (same id) while its shard has no holder.
    public var envelope: CommandEnvelope?
    /// The command's number: the order its connection sent it in.
    public var order: UInt64
    /// Published once more after its acknowledgement timed out unapplied (`mayBeSentAgain`).
    public var resent = false
    /// Its connection's count of published commands once it was published (`Session.published`).
    public var sent: UInt64 = 0
    /// Its connection's client address (`RelayPeer.limitKey`): what the handover holds count per
    /// address, known after the connection closed.
    public var address = ""

    /// The authority remembers a seat's last 8 applied requests (`RecentCommand.limit`): a copy
    /// sent again after 8 more of its connection's commands may find itself forgotten and be
    /// applied a second time, so it is not sent again then.
    public static let remembered = UInt64(CommandEnvelope.rememberedPerSeat)

    public init(connection: UInt64, re: JSONValue, game: GameID, type: String, token: String?,
                envelope: CommandEnvelope? = nil, order: UInt64 = 0) {
        self.connection = connection
        self.re = re
        self.game = game
        self.type = type
        self.token = token
        self.envelope = envelope
        self.order = order
    }

    /// A seat request holds an interest in its game (subscribed before it was published) until answered.
    public var isSeatRequest: Bool { token != nil }

    /// A command the authority deduplicates (a seated player's rules command or `add_bot` with the
    /// client's id as its key: `RecentCommands`) may be published again with the same id and key
    /// when its acknowledgement timed out and the stored state does not show it applied: an
    /// authority killed between receiving and committing it lost it; a copy that was applied after
    /// all is answered with its first answer, never applied twice, as long as the seat still
    /// remembers it: fewer than `remembered` commands of its connection (`published` in all) followed it.
    public func mayBeSentAgain(published: UInt64) -> Bool {
        guard !resent, let envelope, envelope.key != nil, published &- sent < Self.remembered else { return false }
        switch envelope.message {
        case .command, .addBot: return true
        default: return false
        }
    }
}

/// Commands awaiting their acknowledgement, by command id, and which connections have a seat
/// request among them (one at a time each).
public struct PendingAcknowledgements: Sendable {
    private var commands: [String: PendingCommand] = [:]
    private var seatRequests: Set<UInt64> = []

    public init() {}

    public var count: Int { commands.count }
    public subscript(command: String) -> PendingCommand? { commands[command] }

    public func hasSeatRequest(of connection: UInt64) -> Bool { seatRequests.contains(connection) }

    public mutating func register(_ command: String, _ pending: PendingCommand) {
        commands[command] = pending
        if pending.isSeatRequest { seatRequests.insert(pending.connection) }
    }

    public mutating func markResent(_ command: String) {
        commands[command]?.resent = true
    }

    /// Removes and returns the command (nil: answered or given up already).
    public mutating func take(_ command: String) -> PendingCommand? {
        guard let pending = commands.removeValue(forKey: command) else { return nil }
        if pending.isSeatRequest { seatRequests.remove(pending.connection) }
        return pending
    }

    /// The authority's reply to `command` when `stored` (its game's last state) names it: a seat
    /// request's welcome (the state names the seated player), any other command's ack. Pub/sub is
    /// at-most-once: around a Redis reconnect a reply can be lost while its state was stored.
    public static func recoveredReply(to command: String, _ pending: PendingCommand, from stored: [UInt8]) -> AuthorityReply? {
        guard let header = try? WireJSON.decode(StateHeader.self, from: stored), let cause = header.cmd, cause.id == command,
              let seq = header.seq else { return nil }
        let connection = "\(pending.connection)"
        guard pending.isSeatRequest else {
            return AuthorityReply(kind: .ack, command: command, connection: connection, game: pending.game, seq: seq)
        }
        guard let player = cause.player else { return nil }
        return AuthorityReply(kind: .welcome, command: command, connection: connection, game: pending.game, player: player)
    }

    struct StateHeader: Decodable {
        struct Cause: Decodable {
            var id: String?
            /// The player the command was applied for: for a seat request, the seat it got.
            var player: String?
        }
        var type: String
        var seq: Int?
        var cmd: Cause?
    }
}
