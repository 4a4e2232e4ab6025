import NIOConcurrencyHelpers
import NIOCore
import Testing
import WebSocket
@testable import Gateway

/// Records the client address of every connection it sees.
final class AddressRecorder: WebSocketEndpoint {
    let addresses = NIOLockedValueBox<[String]>([])
    func connectionOpened(_ connection: WebSocketConnection) {
        addresses.withLockedValue { $0.append(connection.clientAddress) }
    }
    func connection(_ connection: WebSocketConnection, received message: WebSocketMessage) {}
}

@Suite("Client address: per connection, without the port")
struct ClientAddressTests {
    @Test(arguments: [
        ("127.0.0.1", "127.0.0.1"),
        ("::1", "::1"),
        ("2001:db8::7", "2001:db8::7"),
        ("::ffff:10.1.2.3", "10.1.2.3"),
    ])
    func textOfASocketAddress(_ ip: String, _ expected: String) throws {
        #expect(try SocketAddress(ipAddress: ip, port: 43_210).clientAddressText == expected)
    }

    @Test func everyConnectionKnowsItsClientAddress() async throws {
        let recorder = AddressRecorder()
        try await withServer(routes: [WebSocketRoute(path: "/ws", endpoint: recorder)]) { _, port in
            try await offload {
                let client = try TestClient(port: port)
                try client.upgrade(path: "/ws")
            }
            #expect(await eventually { recorder.addresses.withLockedValue { $0 } == ["127.0.0.1"] })
        }
    }
}
