/// Server side of the opening handshake (RFC 6455 section 4.2): validates the client's Upgrade
/// request and computes the response. The shell parses HTTP; this only judges it.
public enum OpeningHandshake {
    /// Fixed by section 1.3; appended to the client's key before hashing.
    static let guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    /// base64(SHA-1(key + GUID)): proves to the client that the server understood the handshake.
    public static func acceptValue(forKey key: String) -> String {
        Base64.encode(SHA1.hash(Array((key + guid).utf8)))
    }

    /// Judges an Upgrade request.
    ///
    /// - Parameter originPolicy: which pages may connect (403 otherwise); nil disables the check
    ///   (conformance and benchmark endpoints).
    public static func evaluate(
        method: String, httpVersion: (major: Int, minor: Int),
        headers: [HTTPHeaderField], originPolicy: OriginPolicy? = nil
    ) -> OpeningHandshakeResult {
        guard method == "GET" else {
            return .reject(status: 405, reason: "WebSocket upgrade requires GET", responseHeaders: [HTTPHeaderField(name: "Allow", value: "GET")])
        }
        guard httpVersion.major > 1 || (httpVersion.major == 1 && httpVersion.minor >= 1) else {
            return badRequest("WebSocket upgrade requires HTTP/1.1 or later")
        }
        guard tokens(of: "Upgrade", in: headers).contains("websocket") else {
            return badRequest("missing Upgrade: websocket")
        }
        guard tokens(of: "Connection", in: headers).contains("upgrade") else {
            return badRequest("missing Connection: upgrade")
        }
        let versions = values(of: "Sec-WebSocket-Version", in: headers)
        guard versions.count == 1, trimmed(versions[0]) == "13" else {
            // Section 4.2.2: tell the client which version we speak.
            return .reject(
                status: 426, reason: "unsupported WebSocket version, 13 expected",
                responseHeaders: [HTTPHeaderField(name: "Sec-WebSocket-Version", value: "13")]
            )
        }
        let keys = values(of: "Sec-WebSocket-Key", in: headers)
        guard keys.count == 1 else { return badRequest("exactly one Sec-WebSocket-Key expected") }
        let key = trimmed(keys[0])
        // Section 4.1: the key is a base64-encoded random 16-byte value.
        guard let nonce = Base64.decode(key), nonce.count == 16 else {
            return badRequest("Sec-WebSocket-Key is not base64 of 16 bytes")
        }
        if let originPolicy {
            let origins = values(of: "Origin", in: headers)
            let hosts = values(of: "Host", in: headers)
            if origins.count > 1 { return badRequest("more than one Origin") }
            if hosts.count > 1 { return badRequest("more than one Host") }
            if !originPolicy.allows(origin: origins.first, host: hosts.first) {
                return .reject(status: 403, reason: "origin not allowed", responseHeaders: [])
            }
        }
        return .accept(responseHeaders: [
            HTTPHeaderField(name: "Upgrade", value: "websocket"),
            HTTPHeaderField(name: "Connection", value: "Upgrade"),
            HTTPHeaderField(name: "Sec-WebSocket-Accept", value: acceptValue(forKey: key)),
        ])
    }

    private static func badRequest(_ reason: String) -> OpeningHandshakeResult {
        .reject(status: 400, reason: reason, responseHeaders: [])
    }

    /// Values of every header named `name` (names are case-insensitive, section 4.2.1).
    private static func values(of name: String, in headers: [HTTPHeaderField]) -> [String] {
        let lowered = name.lowercased()
        return headers.filter { $0.name.lowercased() == lowered }.map(\.value)
    }

    /// Lowercased comma-separated tokens over all lines of a header (`Connection: keep-alive, Upgrade`).
    private static func tokens(of name: String, in headers: [HTTPHeaderField]) -> Set<String> {
        var result = Set<String>()
        for value in values(of: name, in: headers) {
            for token in value.split(separator: ",") {
                result.insert(trimmed(String(token)).lowercased())
            }
        }
        return result
    }

    static func trimmed(_ text: String) -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        return String(text.drop(while: isSpace).reversed().drop(while: isSpace).reversed())
    }
}
