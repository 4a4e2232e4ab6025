/// Why a payload on a command channel was not read as an envelope.
public struct EnvelopeError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

extension CommandEnvelope {
    /// The authority's one decode of a payload from a command channel. Redis input is hostile like
    /// a client's: the shape check bounds what the decoder is given before it sees a byte.
    public static func decode(_ payload: [UInt8]) -> Result<CommandEnvelope, EnvelopeError> {
        let value: JSONValue
        do {
            value = try JSONValue(parsing: payload, limits: .message)
        } catch {
            return .failure(EnvelopeError(message: error.message))
        }
        do {
            return .success(try value.decode(CommandEnvelope.self))
        } catch let error as DecodingError {
            return .failure(EnvelopeError(message: "not an envelope: \(FieldError(error, type: "the envelope").message)"))
        } catch {
            return .failure(EnvelopeError(message: "not an envelope: \(error)"))
        }
    }
}
