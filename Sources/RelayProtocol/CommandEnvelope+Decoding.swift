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
    public var code: String
    public var message: String
    public var replyTo: Header?

    public var description: String { message }
}

extension CommandEnvelope: Decodable {
    public init(from decoder: any Decoder) throws {
        let fields = try decoder.container(keyedBy: CodingKeys.self)
        self.init(id: try fields.decode(String.self, forKey: .id),
                  gateway: try fields.decode(String.self, forKey: .gateway),
                  connection: try fields.decode(String.self, forKey: .connection),
                  game: try fields.decode(GameID.self, forKey: .game),
                  player: try fields.decodeIfPresent(String.self, forKey: .player),
                  seat: try fields.decodeIfPresent(String.self, forKey: .seat),
                  client: try fields.decodeIfPresent(String.self, forKey: .client),
                  message: try fields.decode(EnvelopeMessage.self, forKey: .message))
    }

    /// The authority's one decode of a payload from a command channel. Redis input is hostile like
    /// a client's: the shape-checking scanner reads it first (one pass, within `JSONLimits.message`),
    /// then one typed decode, no text round trip. Never traps.
    public static func decode(_ payload: [UInt8]) -> Result<CommandEnvelope, EnvelopeError> {
        let badRequest = RequestError.Code.badRequest.rawValue
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
            return .failure(EnvelopeError(code: violation.code.rawValue, message: violation.message, replyTo: header))
        } catch let error as DecodingError {
            let field = FieldError(error, type: value["msg"]?["type"]?.stringValue ?? "the envelope")
            return .failure(EnvelopeError(code: badRequest, message: field.message, replyTo: header))
        } catch {
            return .failure(EnvelopeError(code: badRequest, message: "\(error)", replyTo: header))
        }
    }
}
