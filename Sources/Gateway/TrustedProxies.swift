import NIOCore

/// `TRUSTED_PROXIES`: the addresses and CIDR ranges (IPv4 and IPv6) of the load balancers whose
/// connections must start with a PROXY protocol header naming the client. Empty by default: then
/// no header is ever parsed and every client is its socket's peer.
public struct TrustedProxies: Sendable, Equatable, CustomStringConvertible {
    struct Range: Sendable, Equatable {
        var network: IPAddress
        var prefixLength: Int

        func contains(_ address: IPAddress) -> Bool {
            guard address.bytes.count == network.bytes.count else { return false }
            var bits = prefixLength
            for (a, b) in zip(address.bytes, network.bytes) where bits > 0 {
                let mask: UInt8 = bits >= 8 ? 0xFF : ~(0xFF >> UInt8(bits))
                if a & mask != b & mask { return false }
                bits -= 8
            }
            return true
        }
    }

    private(set) var ranges: [Range] = []

    public init() {}

    /// Comma-separated entries such as `10.0.0.5, 10.1.0.0/16, ::1, fd00::/8`; spaces around
    /// entries and empty entries are ignored. Throws naming the first entry that is neither.
    public init(parsing list: String) throws {
        for entry in list.split(separator: ",") {
            let entry = entry.trimmingSpaces
            guard !entry.isEmpty else { continue }
            let parts = entry.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
            guard let network = IPAddress(parts[0]) else { throw Invalid(entry: String(entry)) }
            let maxPrefix = network.bytes.count * 8
            var prefixLength = maxPrefix
            if parts.count == 2 {
                guard parts[1].count <= 3, parts[1].allSatisfy(\.isASCIIDigit), let value = Int(parts[1]),
                      value <= maxPrefix else { throw Invalid(entry: String(entry)) }
                prefixLength = value
            }
            ranges.append(Range(network: network, prefixLength: prefixLength))
        }
    }

    public var isEmpty: Bool { ranges.isEmpty }

    func contains(_ address: IPAddress) -> Bool {
        ranges.contains { $0.contains(address) }
    }

    func contains(_ address: SocketAddress) -> Bool {
        guard !ranges.isEmpty, let ip = IPAddress(address) else { return false }
        return contains(ip)
    }

    public var description: String {
        ranges.map { "\($0.network)/\($0.prefixLength)" }.joined(separator: ",")
    }

    public struct Invalid: Error, CustomStringConvertible {
        public let entry: String
        public var description: String { "not an IP address or CIDR range: \(entry)" }
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}

extension Substring {
    fileprivate var trimmingSpaces: Substring {
        var text = self
        while let first = text.first, first == " " || first == "\t" { text.removeFirst() }
        while let last = text.last, last == " " || last == "\t" { text.removeLast() }
        return text
    }
}
