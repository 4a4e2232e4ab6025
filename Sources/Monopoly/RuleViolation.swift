/// Why a command was rejected. `code` is stable (wire protocol); `message` names the rule for people.
public struct RuleViolation: Error, Sendable, Equatable, Codable, CustomStringConvertible {

    public var code: ErrorCode
    public var message: String

    public init(_ code: ErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
