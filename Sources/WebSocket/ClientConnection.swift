/// The client side of one WebSocket connection, sans-IO, for `monopoly bench` and tests: the same
/// decoder, assembler and close handshake as `ServerConnection`, in the client role (RFC 6455
/// section 5.1: server frames must be unmasked, and the control frames we answer with are masked).
/// Data frames are encoded by the caller with `WebSocketFrameEncoder.maskedFrame`.
public struct ClientConnection: Sendable {
    private var connection: ServerConnection

    /// - Parameter deflate: the permessage-deflate agreement the server's response stated, if any:
    ///   compressed server messages are then inflated.
    public init(configuration: WebSocketConfiguration = .init(), deflate: PerMessageDeflate? = nil) {
        connection = ServerConnection(configuration: configuration, role: .client, deflate: deflate)
    }

    public var state: ServerConnection.State { connection.state }

    /// Open, between messages with nothing buffered or waiting, and no compression context carried
    /// over from earlier messages: the next message received is a function of its bytes alone, so
    /// bytes identical to a frame decoded before (on a connection with the same agreement) are the
    /// same message (the load generator decodes a state once for many spectators).
    public var decodesNextMessageAlone: Bool { connection.decodesNextMessageAlone }

    /// How many of `bytes` the frame they start with takes (header and payload), when all of it is
    /// there: nil while it is incomplete. Only the length is read; `receive` checks the frame.
    public static func wholeFrameLength(in bytes: UnsafeRawBufferPointer) -> Int? {
        FrameDecoder.wholeFrameLength(in: bytes)
    }

    /// Appends bytes received after the opening handshake (any split).
    public mutating func receive(_ bytes: UnsafeRawBufferPointer) {
        connection.receive(bytes)
    }

    public mutating func receive(_ bytes: [UInt8]) {
        connection.receive(bytes)
    }

    /// Next action (message, pong or close reply to write, close TCP), or nil when more bytes are needed.
    public mutating func nextAction() -> ServerConnectionAction? {
        connection.nextAction()
    }

    /// Client-initiated close: the masked close frame to write, or nil when one was already sent.
    public mutating func close(code: WebSocketCloseCode = .normalClosure, reason: String = "") -> [UInt8]? {
        connection.close(code: code, reason: reason)
    }

    /// A masking key from the system generator (section 5.3: unpredictable per frame).
    public static func randomMaskingKey() -> (UInt8, UInt8, UInt8, UInt8) {
        let word = UInt32.random(in: .min ... .max)
        return (UInt8(truncatingIfNeeded: word), UInt8(truncatingIfNeeded: word >> 8),
                UInt8(truncatingIfNeeded: word >> 16), UInt8(truncatingIfNeeded: word >> 24))
    }
}

/// Client side of the opening handshake (section 4.1): the request, and the check of the answer.
public enum ClientHandshake {
    /// A fresh Sec-WebSocket-Key: 16 random bytes, base64.
    public static func makeKey() -> String {
        Base64.encode((0..<16).map { _ in UInt8.random(in: 0 ... 255) })
    }

    /// - Parameter extensions: a `Sec-WebSocket-Extensions` offer, e.g. `PerMessageDeflate.clientOffer`.
    public static func request(host: String, path: String, key: String, extensions: String? = nil) -> String {
        "GET \(path) HTTP/1.1\r\nHost: \(host)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: \(key)\r\nSec-WebSocket-Version: 13\r\n"
            + (extensions.map { "Sec-WebSocket-Extensions: \($0)\r\n" } ?? "") + "\r\n"
    }

    /// The value of header `name` in a response head (the bytes up to `headLength`), if present.
    public static func header(_ name: String, inResponse bytes: some Collection<UInt8>, headLength: Int) -> String? {
        let head = String(decoding: Array(bytes.prefix(headLength)), as: UTF8.self)
        for line in head.split(separator: "\r\n").dropFirst() {
            guard let colon = line.firstIndex(of: ":"), line[..<colon].lowercased() == name.lowercased() else { continue }
            return OpeningHandshake.trimmed(String(line[line.index(after: colon)...]))
        }
        return nil
    }

    public enum Verdict: Sendable, Equatable {
        /// More bytes are needed (the response head has not ended yet).
        case incomplete
        /// 101 with the right accept value; `headLength` bytes belong to the handshake, anything
        /// after them is already WebSocket data.
        case accepted(headLength: Int)
        case rejected(String)
    }

    /// Judges the bytes received so far in answer to `request(... key:)`.
    public static func evaluate(response bytes: some Collection<UInt8>, key: String) -> Verdict {
        let bytes = Array(bytes)
        guard bytes.count >= 4 else { return .incomplete }
        var end = -1
        for i in 0...(bytes.count - 4) where bytes[i] == 13 && bytes[i + 1] == 10 && bytes[i + 2] == 13 && bytes[i + 3] == 10 {
            end = i + 4
            break
        }
        guard end > 0 else { return bytes.count > 16 << 10 ? .rejected("response head too long") : .incomplete }
        let head = String(decoding: bytes[..<end], as: UTF8.self)
        let lines = head.split(separator: "\r\n")
        guard let status = lines.first, status.hasPrefix("HTTP/1.1 101") else {
            return .rejected(String(lines.first ?? "empty response"))
        }
        let expected = OpeningHandshake.acceptValue(forKey: key)
        let accepted = lines.dropFirst().contains { line in
            guard let colon = line.firstIndex(of: ":") else { return false }
            return line[..<colon].lowercased() == "sec-websocket-accept"
                && OpeningHandshake.trimmed(String(line[line.index(after: colon)...])) == expected
        }
        return accepted ? .accepted(headLength: end) : .rejected("wrong Sec-WebSocket-Accept")
    }
}
