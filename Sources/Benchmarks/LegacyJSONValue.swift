import Foundation

/// The client message parse as it was before the shape check, kept only to be measured against
/// (`monopoly bench parse`): Foundation's `JSONDecoder` into a value whose `Decodable` tried each
/// kind in turn with `try?` at every level, a cost that grows with the cube of the nesting.
enum LegacyJSONValue: Decodable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([LegacyJSONValue])
    case object([String: LegacyJSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([LegacyJSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: LegacyJSONValue].self))
        }
    }

    /// What the old `ClientRequest.parse` did first: nil when the text is not a JSON object.
    static func parseMessage(_ text: String) -> [String: LegacyJSONValue]? {
        guard let value = try? JSONDecoder().decode(LegacyJSONValue.self, from: Data(text.utf8)),
              case .object(let fields) = value else { return nil }
        return fields
    }
}
