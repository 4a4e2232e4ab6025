import Monopoly

/// What a command envelope carries (`msg`): a client's request, decoded and checked at the gateway,
/// or the gateway's own `disconnect`. Encoded from the type, so only known fields ever reach Redis,
/// in the shape operators know: `{"type":"bid","amount":120}`.
public enum EnvelopeMessage: Sendable, Equatable {
    case create(name: String, options: GameOptions)
    case join(name: String)
    /// The seat is named by the envelope's `seat` (the token's hash).
    case rejoin
    case leave
    /// Sent by the gateway when it lost the connection.
    case disconnect
    case chat(text: String)
    case addBot
    /// A rules command (`roll`, `bid`, `trade_propose`, ...).
    case command(Command)

    /// The wire `type`: `join`, `bid`, ...
    public var type: String {
        switch self {
        case .create: MessageType.create.rawValue
        case .join: MessageType.join.rawValue
        case .rejoin: MessageType.rejoin.rawValue
        case .leave: MessageType.leave.rawValue
        case .disconnect: MessageType.disconnect.rawValue
        case .chat: MessageType.chat.rawValue
        case .addBot: MessageType.addBot.rawValue
        case .command(let command): command.type
        }
    }
}

extension EnvelopeMessage: Codable {
    enum CodingKeys: String, CodingKey { case type, name, options, text }

    public init(from decoder: any Decoder) throws {
        let fields = try decoder.container(keyedBy: CodingKeys.self)
        switch MessageType(rawValue: try fields.decode(String.self, forKey: .type)) {
        case .create:
            self = .create(name: try fields.decode(String.self, forKey: .name),
                           options: try fields.decodeIfPresent(GameOptions.self, forKey: .options) ?? GameOptions())
        case .join: self = .join(name: try fields.decode(String.self, forKey: .name))
        case .rejoin: self = .rejoin
        case .leave: self = .leave
        case .disconnect: self = .disconnect
        case .chat: self = .chat(text: try fields.decode(String.self, forKey: .text))
        case .addBot: self = .addBot
        case .lobby, .spectate, nil: self = .command(try Command(from: decoder))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        if case .command(let command) = self {
            try command.encode(to: encoder)
            return
        }
        var fields = encoder.container(keyedBy: CodingKeys.self)
        try fields.encode(type, forKey: .type)
        switch self {
        case .create(let name, let options):
            try fields.encode(name, forKey: .name)
            try fields.encode(options, forKey: .options)
        case .join(let name): try fields.encode(name, forKey: .name)
        case .chat(let text): try fields.encode(text, forKey: .text)
        case .rejoin, .leave, .disconnect, .addBot, .command: break
        }
    }
}

/// Hand-written (see `JSONWritable`): the command log writes one per command.
extension EnvelopeMessage: JSONWritable {
    public func writeJSON(to out: inout JSONOutput) {
        if case .command(let command) = self {
            command.writeJSON(to: &out)
            return
        }
        out.object { o in
            switch self {
            case .create(let name, let options):
                o.field("name", name)
                o.field("options", options)
            case .join(let name): o.field("name", name)
            case .chat(let text): o.field("text", text)
            case .rejoin, .leave, .disconnect, .addBot, .command: break
            }
            o.field("type", type)
        }
    }
}
