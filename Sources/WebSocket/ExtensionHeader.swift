/// One element of a `Sec-WebSocket-Extensions` list: an extension name and its parameters, in the
/// order written (RFC 6455 section 9.1). A parameter without `=` has a nil value; a quoted value is
/// already unescaped.
public struct ExtensionOffer: Sendable, Equatable {
    public var name: String
    public var parameters: [(name: String, value: String?)]

    public init(name: String, parameters: [(name: String, value: String?)] = []) {
        self.name = name
        self.parameters = parameters
    }

    public static func == (lhs: ExtensionOffer, rhs: ExtensionOffer) -> Bool {
        lhs.name == rhs.name && lhs.parameters.count == rhs.parameters.count
            && zip(lhs.parameters, rhs.parameters).allSatisfy { $0.name == $1.name && $0.value == $1.value }
    }
}

/// Parses `Sec-WebSocket-Extensions` (RFC 6455 section 9.1, with RFC 2616's implied linear white
/// space and empty list elements):
///
///     extension-list = 1#extension
///     extension      = token *( ";" extension-param )
///     extension-param = token [ "=" (token | quoted-string) ]
///
/// A quoted value must still be a token once unescaped. Names are lowercased (they are compared
/// case-insensitively, like every HTTP token we read). Anything that does not fit gives nil: the
/// server then ignores the header as a whole and answers without extensions.
public enum ExtensionHeader {
    /// Every header line's elements, in order; nil when any line is malformed.
    public static func parse(_ values: [String]) -> [ExtensionOffer]? {
        var offers: [ExtensionOffer] = []
        for value in values {
            var scanner = Scanner(Array(value.utf8))
            guard let parsed = scanner.list() else { return nil }
            offers += parsed
        }
        return offers
    }

    /// Bounds what one header may cost to parse: a browser sends one or two short offers.
    static let maxLength = 4096

    private struct Scanner {
        let bytes: [UInt8]
        var position = 0

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        var atEnd: Bool { position >= bytes.count }
        var current: UInt8? { atEnd ? nil : bytes[position] }

        mutating func skipSpace() {
            while let byte = current, byte == 0x20 || byte == 0x09 { position += 1 }
        }

        mutating func list() -> [ExtensionOffer]? {
            guard bytes.count <= ExtensionHeader.maxLength else { return nil }
            var offers: [ExtensionOffer] = []
            while true {
                skipSpace()
                if atEnd { return offers }
                if current == UInt8(ascii: ",") {
                    position += 1
                    continue
                }
                guard let offer = element() else { return nil }
                offers.append(offer)
                skipSpace()
                if atEnd { return offers }
                guard current == UInt8(ascii: ",") else { return nil }
                position += 1
            }
        }

        mutating func element() -> ExtensionOffer? {
            guard let name = token() else { return nil }
            var offer = ExtensionOffer(name: name)
            while true {
                skipSpace()
                guard current == UInt8(ascii: ";") else { return offer }
                position += 1
                skipSpace()
                guard let parameter = token() else { return nil }
                skipSpace()
                var value: String?
                if current == UInt8(ascii: "=") {
                    position += 1
                    skipSpace()
                    guard let parsed = current == UInt8(ascii: "\"") ? quotedToken() : token() else { return nil }
                    value = parsed
                }
                offer.parameters.append((parameter, value))
            }
        }

        mutating func token() -> String? {
            let start = position
            while let byte = current, Self.isTokenByte(byte) { position += 1 }
            guard position > start else { return nil }
            return String(decoding: bytes[start..<position], as: UTF8.self).lowercased()
        }

        /// A quoted-string whose unescaped content is a token (section 9.1).
        mutating func quotedToken() -> String? {
            position += 1 // the opening quote
            var content: [UInt8] = []
            while let byte = current {
                position += 1
                switch byte {
                case UInt8(ascii: "\""):
                    guard !content.isEmpty, content.allSatisfy(Self.isTokenByte) else { return nil }
                    return String(decoding: content, as: UTF8.self).lowercased()
                case UInt8(ascii: "\\"):
                    guard let escaped = current else { return nil }
                    position += 1
                    content.append(escaped)
                default:
                    content.append(byte)
                }
            }
            return nil // unterminated
        }

        /// RFC 2616 token characters: visible ASCII except separators.
        static func isTokenByte(_ byte: UInt8) -> Bool {
            guard byte > 0x20, byte < 0x7F else { return false }
            switch byte {
            case UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "@"),
                 UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: ":"), UInt8(ascii: "\\"), UInt8(ascii: "\""),
                 UInt8(ascii: "/"), UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "?"), UInt8(ascii: "="),
                 UInt8(ascii: "{"), UInt8(ascii: "}"):
                return false
            default:
                return true
            }
        }
    }
}
