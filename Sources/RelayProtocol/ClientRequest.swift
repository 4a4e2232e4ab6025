import Foundation

/// One message from a browser, parsed and validated by the gateway before anything reaches Redis.
///
/// Game commands (`roll`, `buy`, `bid`, ...) are checked only for shape: the gateway forwards them
/// to the authority, which owns the rules. Who sends them is never taken from the payload: the
/// gateway's connection table names the player.
public struct ClientRequest: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case lobby
        case create(name: String, options: JSONValue)
        case join(game: GameID, name: String)
        case spectate(game: GameID)
        case rejoin(game: GameID, token: String)
        case leave
        /// A game command or chat, forwarded as `message` (its `type` plus its fields).
        case command(type: String, message: JSONValue)
    }

    public var kind: Kind
    /// The client's own correlation id, echoed as `re` in the answer or error.
    public var id: JSONValue

    public static let gameCommandTypes: Set<String> = [
        "start", "roll", "buy", "decline", "bid", "pass", "end_turn",
        "build", "sell", "mortgage", "unmortgage", "jail_pay", "jail_card",
        "trade_propose", "trade_accept", "trade_reject", "bankrupt", "chat",
        "add_bot", "lift_mortgage", "keep_mortgage",
    ]

    public static let maximumNameLength = 24
    public static let maximumChatLength = 300

    public init(kind: Kind, id: JSONValue = .null) {
        self.kind = kind
        self.id = id
    }

    /// Parses one text frame. Errors carry the `re` to echo when the frame had a readable `id`.
    public static func parse(_ text: String) -> Result<ClientRequest, RequestError> {
        let value: JSONValue
        do {
            value = try JSONValue(parsing: text.utf8, limits: .message)
        } catch {
            return .failure(RequestError(code: error.isSyntax ? .invalidJSON : .badRequest, message: error.message, re: .null))
        }
        guard case .object(var fields) = value else {
            return .failure(RequestError(code: .invalidJSON, message: "the message is not a JSON object", re: .null))
        }
        let id = fields.removeValue(forKey: "id") ?? .null
        func fail(_ code: RequestError.Code, _ message: String) -> Result<ClientRequest, RequestError> {
            .failure(RequestError(code: code, message: message, re: id))
        }
        guard let type = fields["type"]?.stringValue else {
            return fail(.badRequest, "the message has no string \"type\"")
        }
        func game() -> GameID? { fields["game"]?.stringValue.flatMap(GameID.init(rawValue:)) }
        func name() -> String? {
            guard let raw = fields["name"]?.stringValue else { return nil }
            let trimmed = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !trimmed.isEmpty, trimmed.count <= maximumNameLength,
                  !trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
            else { return nil }
            return trimmed
        }

        let kind: Kind
        switch type {
        case "lobby":
            kind = .lobby
        case "leave":
            kind = .leave
        case "create":
            guard let name = name() else { return fail(.badRequest, "create needs a \"name\" of 1 to \(maximumNameLength) characters") }
            let options = fields["options"] ?? .null
            if options != .null, case .object = options {} else if options != .null {
                return fail(.badRequest, "\"options\" must be an object")
            }
            kind = .create(name: name, options: options)
        case "join":
            guard let game = game() else { return fail(.invalidGame, "join needs a valid \"game\" code") }
            guard let name = name() else { return fail(.badRequest, "join needs a \"name\" of 1 to \(maximumNameLength) characters") }
            kind = .join(game: game, name: name)
        case "spectate":
            guard let game = game() else { return fail(.invalidGame, "spectate needs a valid \"game\" code") }
            kind = .spectate(game: game)
        case "rejoin":
            guard let game = game() else { return fail(.invalidGame, "rejoin needs a valid \"game\" code") }
            guard let token = fields["token"]?.stringValue, SeatTokenFormat.isWellFormed(token) else {
                return fail(.badRequest, "rejoin needs the \"token\" received in welcome")
            }
            kind = .rejoin(game: game, token: token)
        case let type where gameCommandTypes.contains(type):
            if type == "chat" {
                guard let text = fields["text"]?.stringValue, !text.isEmpty, text.count <= maximumChatLength else {
                    return fail(.badRequest, "chat needs a \"text\" of 1 to \(maximumChatLength) characters")
                }
            }
            // Identity comes from the connection, never from the payload.
            fields.removeValue(forKey: "player")
            fields.removeValue(forKey: "game")
            kind = .command(type: type, message: .object(fields))
        default:
            return fail(.unknownType, "unknown message type \"\(type)\"")
        }
        return .success(ClientRequest(kind: kind, id: id))
    }
}

/// Seat tokens are 128 random bits as 32 lowercase hex digits; anything else is rejected early.
public enum SeatTokenFormat {
    public static func isWellFormed(_ token: String) -> Bool {
        token.utf8.count == 32 && token.utf8.allSatisfy { ("0"..."9").contains(Character(UnicodeScalar($0))) || ("a"..."f").contains(Character(UnicodeScalar($0))) }
    }
}

public struct RequestError: Error, Sendable, Equatable {
    public enum Code: String, Sendable {
        case invalidJSON = "invalid_json"
        case badRequest = "bad_request"
        case unknownType = "unknown_type"
        case invalidGame = "invalid_game"
    }
    public var code: Code
    public var message: String
    public var re: JSONValue
}
