import Monopoly

/// One message from a browser, decoded once by the gateway into its type before anything reaches
/// Redis: names and chat checked (`PlayerText`), options validated, game commands typed
/// (`Command`). Fields the type does not name are dropped. Who sends a command is never taken from
/// the payload: the gateway's connection table names the player.
public struct ClientRequest: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case lobby
        case create(name: String, options: GameOptions)
        case join(game: GameID, name: String)
        case spectate(game: GameID)
        case rejoin(game: GameID, token: String)
        case leave
        case chat(text: String)
        case addBot
        /// A rules command (`start`, `roll`, `bid`, `trade_propose`, ...).
        case command(Command)
    }

    public var kind: Kind
    /// The client's own correlation id, echoed as `re` in the answer or error: null, a string of
    /// at most `maximumIDBytes` bytes or an integer a browser holds exactly.
    public var id: JSONValue

    /// `patches: true|false` on `lobby`, `create`, `join`, `spectate` or `rejoin`: from then on
    /// this connection gets `patch` messages (`StatePatch`) where it can; nil leaves it as it was.
    public var patches: Bool?

    public static let maximumIDBytes = 64

    public init(kind: Kind, id: JSONValue = .null, patches: Bool? = nil) {
        self.kind = kind
        self.id = id
        self.patches = patches
    }

    /// Decodes one text frame. Errors carry the `re` to echo when the frame had a readable `id`.
    public static func parse(_ text: String) -> Result<ClientRequest, RequestError> {
        parse(bytes: text.utf8)
    }

    /// One pass of the shape-checking scanner builds the value (a text past a limit is refused
    /// where the limit is passed, nothing decoded), then one typed decode reads the fields its
    /// `type` names from it.
    public static func parse(bytes: some Collection<UInt8>) -> Result<ClientRequest, RequestError> {
        let value: JSONValue
        do {
            value = try JSONValue(parsing: bytes, limits: .message)
        } catch {
            return .failure(RequestError(code: error.isSyntax ? .invalidJSON : .badRequest, message: error.message))
        }
        guard case .object = value, let decoded = try? ClientRequestDecoding(from: JSONValueDecoder(value)) else {
            return .failure(RequestError(code: .invalidJSON, message: "the message is not a JSON object"))
        }
        return decoded.result
    }
}

/// Seat tokens are 128 random bits as 32 lowercase hex digits; anything else is rejected early.
public enum SeatTokenFormat {
    public static func isWellFormed(_ token: String) -> Bool {
        token.utf8.count == 32 && token.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }
}

public struct RequestError: Error, Sendable, Equatable {
    public var code: ErrorCode
    public var message: String
    public var re: JSONValue

    public init(code: ErrorCode, message: String, re: JSONValue = .null) {
        self.code = code
        self.message = message
        self.re = re
    }
}
