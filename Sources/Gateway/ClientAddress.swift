import NIOCore

extension SocketAddress {
    /// The IP as text without the port, as limits and logs key clients (see `IPAddress.text`: an
    /// IPv4 client reaching an IPv6 socket is written as its IPv4 address). A Unix socket peer is
    /// `"local"`.
    var clientAddressText: String {
        IPAddress(self)?.text ?? "local"
    }
}
