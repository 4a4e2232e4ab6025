import Foundation
import Monopoly

/// What a gateway publishes on `monopoly:{GAME}:cmd`: the client's message wrapped with who sent it.
///
/// `player` comes from the gateway's connection table (set by a `welcome`), never from the client;
/// `seat` is the SHA-256 of the client's seat token, so the token itself never crosses Redis.
public struct CommandEnvelope: Sendable, Equatable, Encodable {
    /// How many of a seat's last applied requests the authority remembers (`RecentCommand`), and
    /// so how many of its connection's commands may follow one the gateway sends again
    /// (`PendingCommand.remembered`): one number for both sides, or a resend could apply twice.
    public static let rememberedPerSeat = 8

    /// Unique per gateway instance ("gw1.3fa9c2d1-42", see `GatewayIdentity`): the authority's acknowledgement names it.
    public var id: String
    public var gateway: String
    public var connection: String
    public var game: GameID
    public var player: String?
    public var seat: String?
    /// The client's address as the gateway knows it (its peer, or the one the load balancer's PROXY
    /// header names), on `create` only: the authority counts open games per address.
    public var client: String?
    /// The client's own request `id` as text (see `CommandEnvelope.key(of:)`): the authority answers a
    /// seated player's command that repeats one of its last few (same key, same message) as it did
    /// the first time, without applying it again: a client retries with the same id.
    public var key: String?
    /// The client's message, decoded and checked by the gateway (or its own `disconnect`); on the
    /// wire `{"type":"bid","amount":120}`, only the type's own fields.
    public var message: EnvelopeMessage

    public init(id: String, gateway: String, connection: String, game: GameID,
                player: String? = nil, seat: String? = nil, client: String? = nil, key: String? = nil, message: EnvelopeMessage) {
        self.key = key
        self.id = id
        self.gateway = gateway
        self.connection = connection
        self.game = game
        self.player = player
        self.seat = seat
        self.client = client
        self.message = message
    }

    enum CodingKeys: String, CodingKey {
        case id, gateway, connection = "conn", game, player, seat, client, key, message = "msg"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(gateway, forKey: .gateway)
        try container.encode(connection, forKey: .connection)
        try container.encode(game, forKey: .game)
        try container.encode(player, forKey: .player)
        try container.encode(seat, forKey: .seat)
        try container.encodeIfPresent(client, forKey: .client)
        try container.encodeIfPresent(key, forKey: .key)
        try container.encode(message, forKey: .message)
    }

    public var type: String { message.type }

    /// A client request id as a dedupe key: a string as it is, an integer as its digits; none for null.
    public static func key(of requestID: JSONValue) -> String? {
        switch requestID {
        case .string(let text): "s:" + text
        case .number(let number): Int64(exactly: number).map { "n:\($0)" }
        default: nil
        }
    }
}

/// What the authority publishes to one gateway's reply channel. Every command gets exactly one.
public struct AuthorityReply: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable {
        /// The command produced the state with `seq` (published on the game's state channel first).
        case ack
        /// `join`, `create` or `rejoin` seated `player` with the state `seq` (nil from an authority
        /// before 2026-12-07); the gateway adds the token it minted.
        case welcome
        /// The command was rejected; nothing changed.
        case error
        /// Another connection took this seat: the gateway forgets the seat of `connection`.
        case revoke
    }

    public var kind: Kind
    public var command: String?
    public var connection: String
    public var game: GameID
    public var seq: Int?
    /// The epoch of the state `seq` (an `ack` or `welcome` from authorities since 2026-12-07; absent
    /// before, and on an ack repeated for a deduplicated command): gateways order it by (epoch,
    /// seq) against the states they sent (`ReplyHolds`). Written only when present; read leniently
    /// (one out of bounds is taken as absent, the reply kept), so either side may be upgraded first.
    public var epoch: StateEpoch?
    public var player: String?
    public var code: ErrorCode?
    public var message: String?

    public init(kind: Kind, command: String?, connection: String, game: GameID, seq: Int? = nil, epoch: StateEpoch? = nil,
                player: String? = nil, code: ErrorCode? = nil, message: String? = nil) {
        self.kind = kind
        self.command = command
        self.connection = connection
        self.game = game
        self.seq = seq
        self.epoch = epoch
        self.player = player
        self.code = code
        self.message = message
    }

    enum CodingKeys: String, CodingKey {
        case kind = "type", command = "cmd", connection = "conn", game, seq, epoch, player, code, message
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        kind = try container.decode(Kind.self, forKey: .kind)
        command = try container.decodeIfPresent(String.self, forKey: .command)
        connection = try container.decode(String.self, forKey: .connection)
        game = try container.decode(GameID.self, forKey: .game)
        seq = try container.decodeIfPresent(Int.self, forKey: .seq)
        epoch = (try? container.decodeIfPresent(StateEpoch.self, forKey: .epoch)) ?? nil
        player = try container.decodeIfPresent(String.self, forKey: .player)
        code = try container.decodeIfPresent(ErrorCode.self, forKey: .code)
        message = try container.decodeIfPresent(String.self, forKey: .message)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(kind, forKey: .kind)
        try container.encode(command, forKey: .command)
        try container.encode(connection, forKey: .connection)
        try container.encodeIfPresent(epoch, forKey: .epoch)
        try container.encode(game, forKey: .game)
        try container.encode(seq, forKey: .seq)
        try container.encode(player, forKey: .player)
        try container.encode(code, forKey: .code)
        try container.encode(message, forKey: .message)
    }
}

/// Hand-written (see `JSONWritable`): one or more per command.
extension AuthorityReply: JSONWritable {
    public func writeJSON(to out: inout JSONOutput) {
        out.object { o in
            o.field("cmd", command)
            o.field("code", code?.rawValue)
            o.field("conn", connection)
            if let epoch { o.field("epoch", epoch) }
            o.field("game", game.rawValue)
            o.field("message", message)
            o.field("player", player)
            o.field("seq", seq)
            o.field("type", kind.rawValue)
        }
    }
}

/// One-line JSON for Redis payloads and client frames: sorted keys so operators see a stable shape.
public enum WireJSON {
    public static func encode<T: Encodable>(_ value: T) -> String {
        // The game state and what carries it write their own JSON, several times faster.
        if let writable = value as? any JSONWritable { return JSONOutput.encode(writable) }
        return encodeWithFoundation(value)
    }

    /// Through `JSONEncoder`: the reference `JSONWritable` conformances are checked against.
    public static func encodeWithFoundation<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding our own value types cannot fail; a failure here is a programming error.
        let data = try! encoder.encode(value)
        return String(decoding: data, as: UTF8.self)
    }

    /// Through our own scanner, in one pass (see `JSONValue`): for texts our processes wrote.
    public static func decode(_ type: JSONValue.Type, from bytes: [UInt8]) throws -> JSONValue {
        try JSONValue(parsing: bytes, limits: .document)
    }

    public static func decode(_ type: JSONValue.Type, from text: some StringProtocol) throws -> JSONValue {
        try JSONValue(parsing: text.utf8, limits: .document)
    }

    public static func decode<T: Decodable>(_ type: T.Type, from text: some StringProtocol) throws -> T {
        try JSONDecoder().decode(type, from: Data(text.utf8))
    }

    public static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        try JSONDecoder().decode(type, from: Data(bytes))
    }
}
