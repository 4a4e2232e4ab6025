import Foundation

/// Why a payload on a command channel was not read as an envelope.
public struct EnvelopeError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

extension CommandEnvelope {
    /// The authority's one decode of a payload from a command channel. Redis input is hostile like
    /// a client's: the shape check bounds what the decoder is given before it sees a byte.
    public static func decode(_ payload: [UInt8]) -> Result<CommandEnvelope, EnvelopeError> {
        if let violation = JSONShape.check(payload, limits: .message) {
            return .failure(EnvelopeError(message: violation.message))
        }
        do {
            return .success(try JSONDecoder().decode(CommandEnvelope.self, from: Data(payload)))
        } catch {
            return .failure(EnvelopeError(message: "not an envelope: \(error)"))
        }
    }
}
