import Monopoly

/// The one decode of a client's message (after the shape check): the `id` first, so every later
/// error can echo it, then the fields its `type` names; any other field is never read.
struct ClientRequestDecoding: Decodable {
    let result: Result<ClientRequest, RequestError>

    enum Field: String, CodingKey { case type, id, name, game, token, options, text, patches }

    init(from decoder: any Decoder) throws {
        let fields = try decoder.container(keyedBy: Field.self)
        guard let id = Self.requestID(fields) else {
            result = .failure(RequestError(code: .badRequest, message:
                "\"id\" must be null, an integer or a string of at most \(ClientRequest.maximumIDBytes) bytes"))
            return
        }
        guard let type = try? fields.decode(String.self, forKey: .type) else {
            result = .failure(RequestError(code: .badRequest, message: "the message has no string \"type\"", re: id))
            return
        }
        do {
            let kind = try Self.kind(type, fields, decoder)
            result = .success(ClientRequest(kind: kind, id: id, patches: try Self.patches(kind, fields)))
        } catch var error as RequestError {
            error.re = id
            result = .failure(error)
        } catch let error as RuleViolation {
            // `GameOptions` names the option and its range itself.
            result = .failure(RequestError(code: .invalidOptions, message: error.message, re: id))
        } catch let error as DecodingError {
            let field = FieldError(error, type: type)
            // Inside `options`, what is wrong is an option; `options` itself not an object is a bad request.
            let code: ErrorCode = field.path.first == Field.options.stringValue && field.path.count > 1 ? .invalidOptions : .badRequest
            result = .failure(RequestError(code: code, message: field.message, re: id))
        }
    }

    /// Nil when the id is not one a client may send.
    private static func requestID(_ fields: KeyedDecodingContainer<Field>) -> JSONValue? {
        guard fields.contains(.id), (try? fields.decodeNil(forKey: .id)) == false else { return .null }
        if let text = try? fields.decode(String.self, forKey: .id) {
            return text.utf8.count <= ClientRequest.maximumIDBytes ? .string(text) : nil
        }
        if let number = try? fields.decode(Int64.self, forKey: .id), let exact = Double(exactly: number),
           abs(exact) <= JSONValue.maximumExactInteger {
            return .number(exact)
        }
        return nil
    }

    private static func kind(_ type: String, _ fields: KeyedDecodingContainer<Field>, _ decoder: any Decoder) throws -> ClientRequest.Kind {
        func game() throws(RequestError) -> GameID {
            guard let raw = try? fields.decode(String.self, forKey: .game), let game = GameID(rawValue: raw) else {
                throw RequestError(code: .invalidGame, message: "\(type) needs a valid \"game\" code")
            }
            return game
        }
        func text(_ field: Field, _ check: (String) -> Result<String, PlayerTextViolation>) throws -> String {
            guard fields.contains(field) else { throw RequestError(code: .badRequest, message: "\(type) needs \"\(field.stringValue)\"") }
            switch check(try fields.decode(String.self, forKey: field)) {
            case .success(let text): return text
            case .failure(let violation): throw RequestError(code: .badRequest, message: violation.message)
            }
        }

        switch MessageType(rawValue: type) {
        case .lobby: return .lobby
        case .leave: return .leave
        case .addBot: return .addBot
        case .create:
            let name = try text(.name, PlayerText.name)
            let options = try fields.decodeIfPresent(GameOptions.self, forKey: .options) ?? GameOptions()
            do {
                return .create(name: name, options: try options.validated())
            } catch {
                throw RequestError(code: .invalidOptions, message: error.message)
            }
        case .join:
            let game = try game()
            return .join(game: game, name: try text(.name, PlayerText.name))
        case .spectate:
            return .spectate(game: try game())
        case .rejoin:
            let game = try game()
            guard let token = try? fields.decode(String.self, forKey: .token), SeatTokenFormat.isWellFormed(token) else {
                throw RequestError(code: .badRequest, message: "rejoin needs the \"token\" received in welcome")
            }
            return .rejoin(game: game, token: token)
        case .chat:
            return .chat(text: try text(.text, PlayerText.chat))
        case .disconnect:
            throw Self.unknownType(type)  // the gateway's own, never a client's
        case nil:
            let command: Command
            do {
                command = try Command(from: decoder)
            } catch DecodingError.dataCorrupted(let context) where context.codingPath.last?.stringValue == Field.type.stringValue {
                throw Self.unknownType(type)
            }
            // The authority's own commands, and `resign` (a client says `leave`), are not a client's to send.
            guard !command.isSystem, command != .resign else { throw Self.unknownType(type) }
            return .command(command)
        }
    }

    /// `patches` (a boolean, on the messages that enter a game or the lobby): whether this
    /// connection wants `patch` messages instead of whole states. Ignored elsewhere, like any field.
    private static func patches(_ kind: ClientRequest.Kind, _ fields: KeyedDecodingContainer<Field>) throws -> Bool? {
        switch kind {
        case .lobby, .create, .join, .spectate, .rejoin:
            guard fields.contains(.patches), (try? fields.decodeNil(forKey: .patches)) == false else { return nil }
            guard let wanted = try? fields.decode(Bool.self, forKey: .patches) else {
                throw RequestError(code: .badRequest, message: "\"patches\" must be a boolean")
            }
            return wanted
        default:
            return nil
        }
    }

    private static func unknownType(_ type: String) -> RequestError {
        let shown = type.utf8.count <= 32 ? type : String(decoding: type.utf8.prefix(32), as: UTF8.self) + "…"
        return RequestError(code: .unknownType, message: "unknown message type \"\(shown)\"")
    }
}
