import NIOCore

/// An IPv4 (4 bytes) or IPv6 (16 bytes) address, in network order. Keys per-address limits (as
/// `limitKey`) and matches trusted proxies; an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) is the IPv4
/// address, so a client counts once whichever way it connected.
struct IPAddress: Hashable, Sendable, CustomStringConvertible {
    /// 4 or 16 bytes.
    let bytes: [UInt8]

    /// nil unless `bytes` has 4 or 16 elements.
    init?(bytes: some Collection<UInt8>) {
        let bytes = Array(bytes)
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        self.bytes = Self.isMappedIPv4(bytes) ? Array(bytes[12...]) : bytes
    }

    /// Dotted IPv4 or textual IPv6 (no zone, no brackets); nil for anything else.
    init?(_ text: some StringProtocol) {
        // Only address characters: no zone (`%eth0`), brackets, port or host name.
        guard !text.isEmpty, text.utf8.count <= 45,
              text.utf8.allSatisfy({ $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: ".") || Character(Unicode.Scalar($0)).isHexDigit }),
              let address = try? SocketAddress(ipAddress: String(text), port: 0) else { return nil }
        self.init(address)
    }

    /// The IP of a socket address; nil for a Unix domain socket.
    init?(_ address: SocketAddress) {
        switch address {
        case .v4(let v4): self.init(bytes: withUnsafeBytes(of: v4.address.sin_addr) { Array($0) })
        case .v6(let v6): self.init(bytes: withUnsafeBytes(of: v6.address.sin6_addr) { Array($0) })
        case .unixDomainSocket: return nil
        }
    }

    var isIPv4: Bool { bytes.count == 4 }

    /// `a.b.c.d`, or IPv6 in the RFC 5952 form (lower case, the longest run of two or more zero
    /// groups as `::`, the first one on a tie).
    var text: String {
        if isIPv4 { return bytes.map(String.init).joined(separator: ".") }
        let groups = (0..<8).map { UInt16(bytes[2 * $0]) << 8 | UInt16(bytes[2 * $0 + 1]) }
        var best = (start: -1, length: 0)
        var run = (start: -1, length: 0)
        for (index, group) in groups.enumerated() {
            if group == 0 {
                run = run.start < 0 ? (index, 1) : (run.start, run.length + 1)
                if run.length > best.length { best = run }
            } else {
                run = (-1, 0)
            }
        }
        func hex(_ range: Range<Int>) -> String {
            groups[range].map { String($0, radix: 16) }.joined(separator: ":")
        }
        guard best.length >= 2 else { return hex(0..<8) }
        return hex(0..<best.start) + "::" + hex((best.start + best.length)..<8)
    }

    var description: String { text }

    /// What per-address limits count: IPv4 as is (/32), IPv6 as its /64 (`2001:db8:0:1::/64`).
    /// One host is routinely given a whole /64, so keying on the /128 would let it take
    /// unlimited connections and games.
    var limitKey: String {
        if isIPv4 { return text }
        guard let network = IPAddress(bytes: bytes[0..<8] + repeatElement(0, count: 8)) else { return text }
        return network.text + "/64"
    }

    /// The limit key of a client address as `clientAddressText` writes it; anything that is not
    /// an address (`local`, `unknown`) keys as itself.
    static func limitKey(ofClient clientAddress: String) -> String {
        IPAddress(clientAddress)?.limitKey ?? clientAddress
    }

    private static func isMappedIPv4(_ bytes: [UInt8]) -> Bool {
        bytes.count == 16 && bytes[0..<10].allSatisfy { $0 == 0 } && bytes[10] == 0xFF && bytes[11] == 0xFF
    }
}
