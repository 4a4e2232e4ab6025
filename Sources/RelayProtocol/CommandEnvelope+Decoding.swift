import Monopoly

/// Why a payload on a command channel was not read as an envelope, and, when it named enough of
/// itself (`replyTo`), the error its sender gets.
public struct EnvelopeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Who to answer: the envelope's header, when it was readable.
    public struct Header: Sendable, Equatable, Decodable {
        public var id: String
        public var gateway: String
        public var connection: String
        public var game: GameID

        enum CodingKeys: String, CodingKey { case id, gateway, connection = "conn", game }
    }

    /// `bad_request`, or the rules' code (`invalid_options`) when the message's options were refused.
    public var code: ErrorCode
    public var message: String
    public var replyTo: Header?

    public var description: String { message }
}

extension EnvelopeError.Header {
    public init(from decoder: any Decoder) throws {
        let fields = try decoder.container(keyedBy: CodingKeys.self)
        self.init(id: try fields.decodeBounded(.id), gateway: try fields.decodeBounded(.gateway),
                  connection: try fields.decodeBounded(.connection), game: try fields.decode(GameID.self, forKey: .game))
    }
}

/// A string field of the envelope past its bound: `"client" is longer than 128 bytes`.
struct EnvelopeFieldError: Error, CustomStringConvertible {
    var description: String
}

extension CommandEnvelope {
    /// The longest `id`, `gateway`, `conn`, `player`, `client` and `key` read, in bytes of UTF-8: far above
    /// what gateways write (`gw-HOSTNAME-PID-N`, a connection number, `p3`, an IP address), far
    /// below what would bloat a record (the creator is kept) or name a reply channel.
    public static let maximumFieldBytes = 128

    /// Whether `seat` is what gateways write: a SHA-256 as 64 lowercase hex digits.
    public static func isSeatHash(_ seat: String) -> Bool {
        seat.utf8.count == 64 && seat.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }
}

extension KeyedDecodingContainer {
    /// A string of at most `CommandEnvelope.maximumFieldBytes`.
    func decodeBounded(_ key: Key) throws -> String {
        try Self.bounded(decode(String.self, forKey: key), key)
    }

    func decodeBoundedIfPresent(_ key: Key) throws -> String? {
        try decodeIfPresent(String.self, forKey: key).map { try Self.bounded($0, key) }
    }

    private static func bounded(_ text: String, _ key: Key) throws -> String {
        guard text.utf8.count <= CommandEnvelope.maximumFieldBytes else {
            throw EnvelopeFieldError(description: "\"\(key.stringValue)\" is longer than \(CommandEnvelope.maximumFieldBytes) bytes")
        }
        return text
    }
}

extension CommandEnvelope: Decodable {
    /// Every string field is bounded (Redis input is hostile: a 60 KB `client` was stored as a
    /// record's creator) and `seat` must be a seat hash.
    public init(from decoder: any Decoder) throws {
        let fields = try decoder.container(keyedBy: CodingKeys.self)
        let seat = try fields.decodeIfPresent(String.self, forKey: .seat)
        if let seat, !Self.isSeatHash(seat) {
            throw EnvelopeFieldError(description: #""seat" must be 64 lowercase hex digits"#)
        }
        self.init(id: try fields.decodeBounded(.id),
                  gateway: try fields.decodeBounded(.gateway),
                  connection: try fields.decodeBounded(.connection),
                  game: try fields.decode(GameID.self, forKey: .game),
                  player: try fields.decodeBoundedIfPresent(.player),
                  seat: seat,
                  client: try fields.decodeBoundedIfPresent(.client),
                  key: try fields.decodeBoundedIfPresent(.key),
                  message: try fields.decode(EnvelopeMessage.self, forKey: .message))
    }

    /// The authority's one decode of a payload from a command channel. Redis input is hostile like
    /// a client's: the shape-checking scanner reads it first (one pass, within `JSONLimits.message`),
    /// then one typed decode, no text round trip. Never traps.
    public static func decode(_ payload: [UInt8]) -> Result<CommandEnvelope, EnvelopeError> {
        let badRequest = ErrorCode.badRequest
        let value: JSONValue
        do {
            value = try JSONValue(parsing: payload, limits: .message)
        } catch {
            return .failure(EnvelopeError(code: badRequest, message: error.message))
        }
        let header = try? value.decode(EnvelopeError.Header.self)
        do {
            return .success(try value.decode(CommandEnvelope.self))
        } catch let violation as RuleViolation {
            return .failure(EnvelopeError(code: violation.code, message: violation.message, replyTo: header))
        } catch let error as DecodingError {
            let field = FieldError(error, type: value["msg"]?["type"]?.stringValue ?? "the envelope")
            return .failure(EnvelopeError(code: badRequest, message: field.message, replyTo: header))
        } catch {
            return .failure(EnvelopeError(code: badRequest, message: "\(error)", replyTo: header))
        }
    }
}
