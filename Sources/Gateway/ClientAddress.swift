import NIOCore

extension SocketAddress {
    /// The IP as text without the port, as limits and logs key clients: an IPv4 client reaching an
    /// IPv6 socket (`::ffff:a.b.c.d`) is written as the IPv4 address, so it counts as one client
    /// whichever way it connected. A Unix socket peer is `"local"`.
    var clientAddressText: String {
        guard let ip = ipAddress else { return "local" }
        let mappedPrefix = "::ffff:"
        if case .v6 = self, ip.lowercased().hasPrefix(mappedPrefix), ip.contains(".") {
            return String(ip.dropFirst(mappedPrefix.count))
        }
        return ip
    }
}
