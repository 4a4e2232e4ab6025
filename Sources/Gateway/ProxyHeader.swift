/// The PROXY protocol header a load balancer puts before a connection's bytes to name the client
/// it accepted (HAProxy's `doc/proxy-protocol.txt`): version 2, binary (`send-proxy-v2`), or
/// version 1, one text line (`send-proxy`). Pure: `parse` judges the bytes received so far.
struct ProxyHeader: Equatable, Sendable {
    enum Command: Equatable, Sendable {
        /// The proxy's own connection (health checks): the socket's peer stays the client.
        case local
        /// A relayed client connection.
        case proxy
    }

    struct Endpoint: Equatable, Sendable {
        var address: IPAddress
        var port: UInt16
    }

    var command: Command
    /// The client, for a relayed TCP connection over IPv4 or IPv6; nil for `local`, and for an
    /// unspecified (v2 UNSPEC, v1 UNKNOWN) or Unix-socket source, which leave the peer as the client.
    var source: Endpoint?

    enum ParseResult: Equatable, Sendable {
        /// Every byte so far fits a header; more are needed.
        case incomplete
        /// The header is the first `length` bytes; what follows belongs to the application.
        case complete(ProxyHeader, length: Int)
        case invalid(String)
    }

    static let v2Signature: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A]
    /// Addresses plus TLVs of a v2 header. HAProxy sends 12 (IPv4) or 36 (IPv6) bytes, plus a few
    /// TLVs when configured; anything longer is refused as soon as its length field arrives.
    static let maxV2PayloadLength = 1024
    /// The longest v1 line, CRLF included (the specification's bound).
    static let maxV1Length = 107
    /// Never more than this is needed to decide.
    static let maxLength = 16 + maxV2PayloadLength

    static func parse(_ bytes: [UInt8]) -> ParseResult {
        switch bytes.first {
        case nil: return .incomplete
        case v2Signature[0]: return parseV2(bytes)
        case UInt8(ascii: "P"): return parseV1(bytes)
        default: return .invalid("no PROXY protocol header")
        }
    }

    // MARK: version 2

    private static func parseV2(_ bytes: [UInt8]) -> ParseResult {
        let signatureBytes = min(bytes.count, v2Signature.count)
        guard bytes[..<signatureBytes].elementsEqual(v2Signature[..<signatureBytes]) else {
            return .invalid("not a PROXY v2 signature")
        }
        guard bytes.count > 12 else { return .incomplete }
        guard bytes[12] >> 4 == 2 else { return .invalid("PROXY protocol version \(bytes[12] >> 4)") }
        let command: Command
        switch bytes[12] & 0x0F {
        case 0: command = .local
        case 1: command = .proxy
        default: return .invalid("PROXY v2 command \(bytes[12] & 0x0F)")
        }
        guard bytes.count > 13 else { return .incomplete }
        let family = bytes[13]
        // Address sizes by family and transport: unspecified, TCP over IPv4, IPv6, Unix socket.
        // Datagrams cannot arrive on a TCP listener.
        let addressLength: Int
        switch (command, family) {
        case (.local, _): addressLength = 0
        case (.proxy, 0x00): addressLength = 0
        case (.proxy, 0x11): addressLength = 12
        case (.proxy, 0x21): addressLength = 36
        case (.proxy, 0x31): addressLength = 216
        default: return .invalid("PROXY v2 family/transport 0x\(String(family, radix: 16))")
        }
        guard bytes.count >= 16 else { return .incomplete }
        let payloadLength = Int(bytes[14]) << 8 | Int(bytes[15])
        guard payloadLength <= maxV2PayloadLength else {
            return .invalid("PROXY v2 header of \(payloadLength) bytes (at most \(maxV2PayloadLength))")
        }
        guard payloadLength >= addressLength else { return .invalid("PROXY v2 addresses truncated") }
        let length = 16 + payloadLength
        guard bytes.count >= length else { return .incomplete }
        // LOCAL: the specification says to discard the block unread.
        guard command == .proxy else { return .complete(ProxyHeader(command: .local), length: length) }
        if let error = checkTLVs(bytes[(16 + addressLength)..<length]) { return .invalid(error) }
        let block = bytes[16...]
        let source: Endpoint?
        switch family {
        case 0x11: source = endpoint(address: block.prefix(4), port: block.dropFirst(8))
        case 0x21: source = endpoint(address: block.prefix(16), port: block.dropFirst(32))
        default: source = nil
        }
        return .complete(ProxyHeader(command: .proxy, source: source), length: length)
    }

    private static func endpoint(address: ArraySlice<UInt8>, port: ArraySlice<UInt8>) -> Endpoint? {
        guard let ip = IPAddress(bytes: address) else { return nil }
        return Endpoint(address: ip, port: UInt16(port[port.startIndex]) << 8 | UInt16(port[port.startIndex + 1]))
    }

    /// Type-length-value entries must tile the rest of the header exactly.
    private static func checkTLVs(_ tlvs: ArraySlice<UInt8>) -> String? {
        var index = tlvs.startIndex
        while index < tlvs.endIndex {
            guard tlvs.endIndex - index >= 3 else { return "PROXY v2 TLV header truncated" }
            let valueLength = Int(tlvs[index + 1]) << 8 | Int(tlvs[index + 2])
            guard tlvs.endIndex - index - 3 >= valueLength else { return "PROXY v2 TLV longer than the header" }
            index += 3 + valueLength
        }
        return nil
    }

    // MARK: version 1

    private static let v1Prefix = Array("PROXY ".utf8)

    private static func parseV1(_ bytes: [UInt8]) -> ParseResult {
        let prefixBytes = min(bytes.count, v1Prefix.count)
        guard bytes[..<prefixBytes].elementsEqual(v1Prefix[..<prefixBytes]) else {
            return .invalid("not a PROXY v1 line")
        }
        let window = bytes.prefix(maxV1Length)
        guard let lineFeed = window.firstIndex(of: UInt8(ascii: "\n")) else {
            return bytes.count >= maxV1Length ? .invalid("PROXY v1 line longer than \(maxV1Length) bytes") : .incomplete
        }
        guard lineFeed > 0, bytes[lineFeed - 1] == UInt8(ascii: "\r") else { return .invalid("PROXY v1 line without CRLF") }
        let line = bytes[v1Prefix.count..<(lineFeed - 1)]
        guard line.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else { return .invalid("PROXY v1 line not printable ASCII") }
        let fields = String(decoding: line, as: UTF8.self).split(separator: " ", omittingEmptySubsequences: false)
        let length = lineFeed + 1
        if fields.first == "UNKNOWN" { return .complete(ProxyHeader(command: .proxy), length: length) }
        guard fields.count == 5, fields[0] == "TCP4" || fields[0] == "TCP6" else {
            return .invalid("PROXY v1 line is not TCP4/TCP6 with 4 fields")
        }
        let isIPv6 = fields[0] == "TCP6"
        guard let source = IPAddress(fields[1]), IPAddress(fields[2]) != nil,
              fields[1].contains(":") == isIPv6, fields[2].contains(":") == isIPv6,
              let sourcePort = port(fields[3]), port(fields[4]) != nil else {
            return .invalid("PROXY v1 addresses or ports malformed")
        }
        return .complete(ProxyHeader(command: .proxy, source: Endpoint(address: source, port: sourcePort)), length: length)
    }

    /// 0 to 65535 in decimal, without sign or leading zeros.
    private static func port(_ text: Substring) -> UInt16? {
        guard (1...5).contains(text.count), text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              text == "0" || !text.hasPrefix("0") else { return nil }
        return UInt16(text)
    }
}
