/// The parameters of a negotiated permessage-deflate (RFC 7692), as both ends apply them.
///
/// The server always asks for `server_no_context_takeover`: each message it sends is compressed on
/// its own, so one compressed frame can be written to every connection that negotiated the same
/// window, and it asks for `client_no_context_takeover`, so it holds no inflate window between a
/// client's messages (about 40 KiB per connection otherwise).
public struct PerMessageDeflate: Sendable, Equatable {
    /// LZ77 window of what the server compresses (8 to 15).
    public var serverMaxWindowBits: Int
    /// LZ77 window of what the client compresses (8 to 15).
    public var clientMaxWindowBits: Int
    public var serverNoContextTakeover: Bool
    public var clientNoContextTakeover: Bool

    public init(serverMaxWindowBits: Int = 15, clientMaxWindowBits: Int = 15,
                serverNoContextTakeover: Bool = true, clientNoContextTakeover: Bool = true) {
        self.serverMaxWindowBits = serverMaxWindowBits
        self.clientMaxWindowBits = clientMaxWindowBits
        self.serverNoContextTakeover = serverNoContextTakeover
        self.clientNoContextTakeover = clientNoContextTakeover
    }

    public static let extensionName = "permessage-deflate"
    static let windowBitsRange = 8...15

    /// The value of the server's `Sec-WebSocket-Extensions` for this agreement.
    public var responseHeaderValue: String {
        var value = Self.extensionName
        if serverNoContextTakeover { value += "; server_no_context_takeover" }
        if clientNoContextTakeover { value += "; client_no_context_takeover" }
        if serverMaxWindowBits != 15 { value += "; server_max_window_bits=\(serverMaxWindowBits)" }
        if clientMaxWindowBits != 15 { value += "; client_max_window_bits=\(clientMaxWindowBits)" }
        return value
    }

    /// The zlib window the server compresses with. zlib refuses a raw window of 8 bits; 9 bits with
    /// zlib never reaches back more than 250 bytes (its window minus the 262-byte lookahead), so
    /// what it writes inflates within an 8-bit window too.
    public var serverCompressionWindowBits: Int { max(serverMaxWindowBits, 9) }

    // MARK: server side

    /// The server's choice among the request's offers (section 5): the first permessage-deflate
    /// offer it can accept, or nil (answer without the extension). A malformed header is ignored
    /// as a whole; an offer with an unknown, repeated or invalid parameter is declined (section 5,
    /// 7.1) and the next one is considered.
    public static func negotiate(headers: [HTTPHeaderField]) -> PerMessageDeflate? {
        let values = headers.filter { $0.name.lowercased() == "sec-websocket-extensions" }.map(\.value)
        guard !values.isEmpty, let offers = ExtensionHeader.parse(values) else { return nil }
        for offer in offers where offer.name == extensionName {
            if let agreement = accept(offer) { return agreement }
        }
        return nil
    }

    /// Accepts one offer with our policy (both directions without context takeover), or declines it.
    static func accept(_ offer: ExtensionOffer) -> PerMessageDeflate? {
        var agreement = PerMessageDeflate()
        var seen = Set<String>()
        for (name, value) in offer.parameters {
            guard seen.insert(name).inserted else { return nil }
            switch name {
            case "server_no_context_takeover", "client_no_context_takeover":
                guard value == nil else { return nil }
            case "server_max_window_bits":
                // Section 7.1.2.1: a value is required; we compress with at most that window.
                guard let value, let bits = windowBits(value) else { return nil }
                agreement.serverMaxWindowBits = bits
            case "client_max_window_bits":
                // Section 7.1.2.2: with or without a value, the client only says it can limit its
                // window if asked; we inflate with the largest window, so we never ask.
                if let value, windowBits(value) == nil { return nil }
            default:
                return nil
            }
        }
        return agreement
    }

    /// 8 to 15 as decimal digits without leading zeros (section 7.1.2).
    static func windowBits(_ text: String) -> Int? {
        guard !text.hasPrefix("0"), text.utf8.count <= 2, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              let bits = Int(text), windowBitsRange.contains(bits) else { return nil }
        return bits
    }

    // MARK: client side (benchmarks and tests)

    /// What our client offers: no context takeover either way, like the server's policy.
    public static let clientOffer = "permessage-deflate; server_no_context_takeover; client_no_context_takeover; client_max_window_bits"

    /// The agreement a server's response header states, or nil when it is absent or not one our
    /// client can hold to (section 7.1: a client fails the connection then).
    public static func accepted(responseHeaderValue value: String) -> PerMessageDeflate? {
        guard let offers = ExtensionHeader.parse([value]), offers.count == 1, offers[0].name == extensionName else { return nil }
        var agreement = PerMessageDeflate(serverNoContextTakeover: false, clientNoContextTakeover: false)
        var seen = Set<String>()
        for (name, value) in offers[0].parameters {
            guard seen.insert(name).inserted else { return nil }
            switch name {
            case "server_no_context_takeover", "client_no_context_takeover":
                guard value == nil else { return nil }
                if name == "server_no_context_takeover" { agreement.serverNoContextTakeover = true } else { agreement.clientNoContextTakeover = true }
            case "server_max_window_bits", "client_max_window_bits":
                guard let value, let bits = windowBits(value) else { return nil }
                if name == "server_max_window_bits" { agreement.serverMaxWindowBits = bits } else { agreement.clientMaxWindowBits = bits }
            default:
                return nil
            }
        }
        return agreement
    }
}
