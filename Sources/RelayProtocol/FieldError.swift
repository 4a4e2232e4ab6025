/// A `DecodingError` told in one sentence that names the field, for whoever sent the message:
/// `"amount" must be an integer`, `"give.properties[1]" must be an integer`, `bid needs "amount"`.
struct FieldError: Error {
    /// The field's path: keys joined by ".", array positions as "[n]".
    var path: [String]
    var message: String

    init(_ error: DecodingError, type: String) {
        switch error {
        case .typeMismatch(let expected, let context), .valueNotFound(let expected, let context):
            path = Self.components(context.codingPath)
            message = "\"\(Self.join(path))\" must be \(Self.noun(for: expected))"
        case .keyNotFound(let key, let context):
            path = Self.components(context.codingPath + [key])
            message = "\(type) needs \"\(Self.join(path))\""
        case .dataCorrupted(let context):
            path = Self.components(context.codingPath)
            // `Command` refuses a type it does not know through its `type` field.
            message = path.last == "type" ? "unknown message type \"\(type.prefix(32))\"" : "\"\(Self.join(path))\" is out of range"
        @unknown default:
            path = []
            message = "\(type) is malformed"
        }
    }

    private static func components(_ codingPath: [any CodingKey]) -> [String] {
        codingPath.map { key in key.intValue.map { "[\($0)]" } ?? key.stringValue }
    }

    private static func join(_ path: [String]) -> String {
        path.reduce("") { joined, part in
            joined.isEmpty || part.hasPrefix("[") ? joined + part : joined + "." + part
        }
    }

    private static func noun(for type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        case is any BinaryInteger.Type: "an integer"
        case is any BinaryFloatingPoint.Type: "a number"
        default:
            "\(type)".hasPrefix("Array") ? "an array" : "an object"
        }
    }
}
