import NIOCore
import WebSocket

/// Everything the transport needs to know; the CLI fills it from flags, tests from literals.
public struct GatewayConfiguration: Sendable {
    public var host: String
    /// 0 binds an ephemeral port (tests); read it back from `GatewayServer.localPort`.
    public var port: Int
    public var backlog: Int32 = 1024
    /// Event loop threads when the server owns its group.
    public var eventLoopThreads: Int = System.coreCount

    /// Open WebSocket sessions; an upgrade beyond it gets 503 before the 101.
    public var maxConnections: Int = 10_000
    /// TCP connections that have not (yet) upgraded; beyond it new sockets are closed at accept.
    public var maxHTTPConnections: Int = 4_096
    /// Per client address: open WebSockets (an upgrade beyond gets 429 before the 101), and
    /// separately connections that have not (yet) upgraded (closed beyond). One host cannot take
    /// every slot; players behind one NAT share it.
    public var maxConnectionsPerClient: Int = 64

    /// A connection must deliver a complete HTTP request within this time from accept (and from the
    /// previous response on keep-alive): slowloris protection.
    public var handshakeTimeout: TimeAmount = .seconds(10)
    /// A WebSocket from which nothing at all arrives (not even a pong) for this long is closed with 1001.
    /// nil disables it.
    public var idleTimeout: TimeAmount? = .seconds(120)
    /// Server ping period; nil disables pings.
    public var pingInterval: TimeAmount? = .seconds(25)
    /// A ping not answered by a matching pong within this time closes the connection.
    public var pongTimeout: TimeAmount = .seconds(10)
    /// A data message must be complete (every fragment, every byte of its frames) within this time
    /// of its first frame header, or the connection is closed with 1008: a message in progress
    /// holds a buffer of up to the message size limit. nil disables it.
    public var fragmentTimeout: TimeAmount? = .seconds(30)
    /// After the server sends a close frame, how long it waits for the peer's close before dropping TCP.
    public var closeTimeout: TimeAmount = .seconds(5)
    /// Graceful shutdown: how long to wait for clients to answer the 1001 close before dropping them.
    public var drainTimeout: TimeAmount = .seconds(5)

    /// Load balancers whose connections start with a PROXY protocol header naming the client
    /// (required from them, never parsed from anyone else). Empty: every client is its socket's peer.
    public var trustedProxies = TrustedProxies()

    /// Whether WebSocket upgrades may negotiate permessage-deflate (RFC 7692) when the client offers
    /// it: client messages are then inflated (within the message size limit) and server messages
    /// compressed, each broadcast once for every connection that negotiated it.
    public var perMessageDeflate = true

    /// Pages from other origins than the request's own host that may open WebSockets, e.g.
    /// `https://monopoly.example` (see `OriginPolicy`: a foreign `Origin` gets 403, none is allowed).
    public var allowedOrigins: Set<String> = []

    /// Whether `origin` can be listed in `allowedOrigins`: `http(s)://host[:port]`, nothing after.
    public static func isValidOrigin(_ origin: String) -> Bool {
        OriginPolicy.isValidOrigin(origin)
    }

    public init(host: String = "127.0.0.1", port: Int = 8080) {
        self.host = host
        self.port = port
    }
}

/// A WebSocket route: a path, the application behind it and that path's limits.
public struct WebSocketRoute: Sendable {
    public var path: String
    public var endpoint: any WebSocketEndpoint
    /// Frame and message size limits enforced by the codec (1009 beyond).
    public var limits: WebSocketConfiguration
    /// Bound and slow-consumer policy of every connection's outbound queue.
    public var outbound: OutboundPolicy

    public init(
        path: String,
        endpoint: any WebSocketEndpoint,
        limits: WebSocketConfiguration = .init(maxFrameSize: 64 << 10, maxMessageSize: 64 << 10),
        outbound: OutboundPolicy = .init()
    ) {
        self.path = path
        self.endpoint = endpoint
        self.limits = limits
        self.outbound = outbound
    }

    /// `/ws`: game messages are small (64 KiB limit).
    public static func game(endpoint: any WebSocketEndpoint, path: String = "/ws") -> WebSocketRoute {
        WebSocketRoute(path: path, endpoint: endpoint)
    }

    /// `/echo`: conformance and raw speed. Autobahn 9.* sends 16 MiB messages.
    public static func echo(maxMessageSize: Int = 16 << 20, path: String = "/echo") -> WebSocketRoute {
        WebSocketRoute(
            path: path,
            endpoint: EchoEndpoint(),
            limits: .init(maxFrameSize: maxMessageSize, maxMessageSize: maxMessageSize),
            outbound: .init(maxQueuedBytes: 2 * maxMessageSize + (1 << 20))
        )
    }
}
