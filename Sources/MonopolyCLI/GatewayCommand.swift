import ArgumentParser
import Foundation
import Gateway
import Logging
import Redis
import Monopoly
import NIOCore
import NIOPosix
import RelayProtocol
import ServiceLifecycle

/// `monopoly gateway`: the browser-facing WebSocket server.
struct GatewayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway",
        abstract: "Serve the browser client, /healthz, /metrics and WebSocket connections at /ws."
    )

    @Option(name: .customLong("host"), help: "Address to listen on (default: $HOST or 127.0.0.1).")
    var hostFlag: String?
    var host: String { EnvironmentOption.value(hostFlag, "HOST") ?? "127.0.0.1" }

    @Option(name: .customLong("port"), help: "TCP port to listen on; 0 picks a free one (default: $PORT or 8080).")
    var portFlag: Int?
    var port: Int { EnvironmentOption.value(portFlag, "PORT", default: 8080) }

    @OptionGroup var redis: RedisOptions

    @Option(name: .customLong("id"), help: "This gateway's id, unique among live gateways: names its heartbeat key, its reply channel and log lines, with a suffix drawn at every start (default: $GATEWAY_ID or gw-HOSTNAME-PID-RANDOM).")
    var idFlag: String?
    var id: String? { EnvironmentOption.value(idFlag, "GATEWAY_ID") }

    @Option(name: .customLong("gateway-timeout"), help: "Seconds the gateway's heartbeat lives without renewal (renewed every third of it): this long after the gateway dies, the authority frees its players' seats (default: $GATEWAY_TIMEOUT or 10).")
    var gatewayTimeoutFlag: Double?
    var gatewayTimeout: Double { EnvironmentOption.value(gatewayTimeoutFlag, "GATEWAY_TIMEOUT", default: 10) }

    @Option(name: .customLong("rate-limit"), help: "Client messages per second per connection, token bucket rate (default: $RATE_LIMIT or 20).")
    var rateLimitFlag: Double?
    var rateLimit: Double { EnvironmentOption.value(rateLimitFlag, "RATE_LIMIT", default: 20) }

    @Option(name: .customLong("create-rate-per-minute"), help: "Games one client address may create per minute through this gateway, as many at once; beyond: rate_limited (default: $CREATE_RATE_PER_MINUTE or 10).")
    var createRatePerMinuteFlag: Int?
    var createRatePerMinute: Int { EnvironmentOption.value(createRatePerMinuteFlag, "CREATE_RATE_PER_MINUTE", default: 10) }

    @Option(help: "Seconds a command waits for the authority's acknowledgement before `authority_unavailable`.")
    var ackTimeout: Double = 2

    @Option(name: .customLong("lease-ms"), help: "The authorities' LEASE_MS (milliseconds a shard lease lives without renewal): sets the default --handover-timeout (default: $LEASE_MS or 3000).")
    var leaseMsFlag: Int?
    var leaseMs: Int { EnvironmentOption.value(leaseMsFlag, "LEASE_MS", default: 3000) }

    @Option(name: .customLong("handover-timeout"), help: "Seconds a command whose game's shard has no authority listening (one moving between authorities) is held and published again before `authority_unavailable`; 0 answers at once (default: $HANDOVER_TIMEOUT, or from --lease-ms: LEASE_MS + max(LEASE_MS/3, 1 s), 4 for 3000).")
    var handoverTimeoutFlag: Double?
    var handoverTimeout: Double {
        // The longest a dead authority's shard waits for a new holder: LEASE_MS changed on the
        // authorities and here moves the bound with it.
        let derived = RelayConfiguration.handoverTimeout(leaseMilliseconds: leaseMs)
        return EnvironmentOption.value(handoverTimeoutFlag, "HANDOVER_TIMEOUT", default: Double(derived.components.seconds)
                                           + Double(derived.components.attoseconds) / 1e18)
    }

    @Option(name: .customLong("max-held-commands"), help: "Commands the gateway holds in all while their shards have no authority listening; beyond (or beyond 16 of one connection) `authority_unavailable` at once (default: $MAX_HELD_COMMANDS or 4096).")
    var maxHeldCommandsFlag: Int?
    var maxHeldCommands: Int { EnvironmentOption.value(maxHeldCommandsFlag, "MAX_HELD_COMMANDS", default: 4096) }

    @Flag(help: "Enable /echo, an endpoint that echoes every message (conformance and benchmarks).")
    var echo = false

    @Option(name: .customLong("max-connections"), help: "Maximum open WebSocket connections; upgrades beyond get 503 (default: $MAX_CONNECTIONS or 10000).")
    var maxConnectionsFlag: Int?
    var maxConnections: Int { EnvironmentOption.value(maxConnectionsFlag, "MAX_CONNECTIONS", default: 10_000) }

    @Option(name: .customLong("max-connections-per-client"), help: "Maximum open WebSocket connections per client address; upgrades beyond get 429 (default: $MAX_CONNECTIONS_PER_CLIENT or 64).")
    var maxConnectionsPerClientFlag: Int?
    var maxConnectionsPerClient: Int { EnvironmentOption.value(maxConnectionsPerClientFlag, "MAX_CONNECTIONS_PER_CLIENT", default: 64) }

    @Option(name: .customLong("trusted-proxies"), help: "Comma-separated IPs and CIDR ranges of load balancers that send a PROXY protocol header (v2 or v1) naming the client; required from them, never read from others (default: $TRUSTED_PROXIES or none).")
    var trustedProxiesFlag: String?
    var trustedProxies: String { EnvironmentOption.value(trustedProxiesFlag, "TRUSTED_PROXIES") ?? "" }

    @Option(help: "Seconds between server pings (0 disables).")
    var pingInterval: Double = 25

    @Option(help: "Seconds a ping may stay unanswered before the connection is closed.")
    var pongTimeout: Double = 10

    @Option(help: "Seconds a client has to send a complete HTTP request (slowloris).")
    var handshakeTimeout: Double = 10

    @Option(name: .customLong("fragment-timeout"), help: "Seconds a WebSocket message may take from its first frame header to its last byte, fragments included; beyond, close 1008 (0 disables; default: $FRAGMENT_TIMEOUT or 30).")
    var fragmentTimeoutFlag: Double?
    var fragmentTimeout: Double { EnvironmentOption.value(fragmentTimeoutFlag, "FRAGMENT_TIMEOUT", default: 30) }

    @Option(help: "Seconds without any data from a WebSocket client before it is closed (0 disables).")
    var idleTimeout: Double = 120

    @Option(name: .customLong("drain-timeout"), help: "Seconds to wait for clients after sending close 1001 on SIGTERM/SIGINT (default: $DRAIN_TIMEOUT or 5).")
    var drainTimeoutFlag: Double?
    var drainTimeout: Double { EnvironmentOption.value(drainTimeoutFlag, "DRAIN_TIMEOUT", default: 5) }

    @Option(name: .customLong("permessage-deflate"), help: "Negotiate permessage-deflate (RFC 7692) with clients that offer it: true or false (default: $PERMESSAGE_DEFLATE or true).")
    var perMessageDeflateFlag: Bool?
    var perMessageDeflate: Bool { EnvironmentOption.value(perMessageDeflateFlag, "PERMESSAGE_DEFLATE", default: true) }

    @Option(name: .customLong("max-message-size"), help: "Maximum message size at /ws, in bytes (default: $MAX_MESSAGE_SIZE or 65536).")
    var maxMessageSizeFlag: Int?
    var maxMessageSize: Int { EnvironmentOption.value(maxMessageSizeFlag, "MAX_MESSAGE_SIZE", default: 64 << 10) }

    @Option(help: "A page origin (scheme://host[:port]) allowed to open WebSockets besides the request's own host; repeatable (default: $ALLOWED_ORIGINS, comma-separated, or none).")
    var allowedOrigin: [String] = []
    var allowedOrigins: [String] {
        if !allowedOrigin.isEmpty { return allowedOrigin }
        return (EnvironmentOption.value(nil, "ALLOWED_ORIGINS") ?? "").split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    @Option(help: "Serve the browser client from this directory instead of the bundled files.")
    var staticDir: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical (default: $LOG_LEVEL or info).")
    var logLevel: String?

    @Option(name: .customLong("threads"), help: "Event-loop threads, shared by client connections and Redis (default: $THREADS or one per core).")
    var threadsFlag: Int?
    var threads: Int { EnvironmentOption.value(threadsFlag, "THREADS", default: System.coreCount) }

    func validate() throws {
        try EnvironmentOption.check("PORT", as: Int.self)
        try EnvironmentOption.check("MAX_CONNECTIONS", as: Int.self)
        try EnvironmentOption.check("MAX_CONNECTIONS_PER_CLIENT", as: Int.self)
        try EnvironmentOption.check("MAX_MESSAGE_SIZE", as: Int.self)
        try EnvironmentOption.check("PERMESSAGE_DEFLATE", as: Bool.self)
        try EnvironmentOption.check("RATE_LIMIT", as: Double.self)
        try EnvironmentOption.check("CREATE_RATE_PER_MINUTE", as: Int.self)
        guard (1...1_000_000).contains(createRatePerMinute) else { throw ValidationError("--create-rate-per-minute must be 1...1000000") }
        try EnvironmentOption.check("DRAIN_TIMEOUT", as: Double.self)
        try EnvironmentOption.check("FRAGMENT_TIMEOUT", as: Double.self)
        try EnvironmentOption.check("THREADS", as: Int.self)
        try EnvironmentOption.check("GATEWAY_TIMEOUT", as: Double.self)
        try EnvironmentOption.check("LEASE_MS", as: Int.self)
        guard (300...600_000).contains(leaseMs) else { throw ValidationError("--lease-ms must be 300...600000") }
        try EnvironmentOption.check("HANDOVER_TIMEOUT", as: Double.self)
        try EnvironmentOption.check("MAX_HELD_COMMANDS", as: Int.self)
        guard (0...Self.maximumConnections).contains(maxHeldCommands) else {
            throw ValidationError("--max-held-commands must be 0...\(Self.maximumConnections)")
        }
        // A renewal every third of it: below a second, a busy machine would miss one.
        guard gatewayTimeout >= 1, gatewayTimeout <= Self.maximumTimeoutSeconds else {
            throw ValidationError("--gateway-timeout must be a number of seconds, 1 <= t <= \(Int(Self.maximumTimeoutSeconds))")
        }
        if let secret = ProcessInfo.processInfo.environment["SEAT_TOKEN_SECRET"], !secret.isEmpty,
           secret.utf8.count < RelayConfiguration.minimumSeatTokenSecretBytes {
            throw ValidationError("SEAT_TOKEN_SECRET must be at least \(RelayConfiguration.minimumSeatTokenSecretBytes) bytes (openssl rand -hex 32)")
        }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0...65535") }
        guard (1...Self.maximumConnections).contains(maxConnections) else {
            throw ValidationError("--max-connections must be 1...\(Self.maximumConnections)")
        }
        do { _ = try TrustedProxies(parsing: trustedProxies) } catch { throw ValidationError("--trusted-proxies: \(error)") }
        if let bad = allowedOrigins.first(where: { !GatewayConfiguration.isValidOrigin($0) }) {
            throw ValidationError("--allowed-origin / ALLOWED_ORIGINS: \(bad) is not an origin such as https://monopoly.example")
        }
        guard (1...Self.maximumConnections).contains(maxConnectionsPerClient) else {
            throw ValidationError("--max-connections-per-client must be 1...\(Self.maximumConnections)")
        }
        try Self.checkTimeouts([
            ("--ack-timeout", ackTimeout, false), ("--pong-timeout", pongTimeout, false), ("--handshake-timeout", handshakeTimeout, false),
            ("--ping-interval", pingInterval, true), ("--idle-timeout", idleTimeout, true), ("--drain-timeout", drainTimeout, true),
            ("--fragment-timeout", fragmentTimeout, true), ("--handover-timeout", handoverTimeout, true),
        ])
        guard rateLimit > 0, rateLimit <= Self.maximumRate else {
            throw ValidationError("--rate-limit must be a number of messages per second, 0 < r <= \(Int(Self.maximumRate))")
        }
        guard id.map({ !$0.isEmpty && $0.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" } }) ?? true else {
            throw ValidationError("--id takes letters, digits, - and _")
        }
        // The authority refuses envelopes whose `gateway` or `id` (NAME.BOOT-N) is past 128 bytes.
        guard (id?.utf8.count ?? 0) <= GatewayIdentity.maximumNameLength else {
            throw ValidationError("--id takes at most \(GatewayIdentity.maximumNameLength) characters")
        }
        guard (1...Self.maximumMessageSize).contains(maxMessageSize) else {
            throw ValidationError("--max-message-size must be 1...\(Self.maximumMessageSize) bytes")
        }
        guard (1...Self.maximumThreads).contains(threads) else { throw ValidationError("--threads must be 1...\(Self.maximumThreads)") }
        _ = try CLILogging.level(flag: logLevel)
    }

    static let maximumConnections = 1_000_000
    /// EX_CONFIG: another live gateway holds this one's id (see `GatewayNameInUse`).
    static let nameInUseExitCode: Int32 = 78
    static let maximumRate: Double = 1_000_000
    static let maximumMessageSize = 16 << 20
    static let maximumThreads = 1024
    /// The longest any timeout of the gateway may be set to: an hour. A larger one once overflowed
    /// the nanoseconds of every command's acknowledgement timer (`--ack-timeout 1e10`) or trapped at
    /// startup (`1e300`); none of them is useful past minutes.
    static let maximumTimeoutSeconds: Double = 3600

    /// Each timeout is a finite number of seconds up to `maximumTimeoutSeconds`; those that may be
    /// 0 (disabled) say so.
    static func checkTimeouts(_ timeouts: [(flag: String, seconds: Double, zeroDisables: Bool)]) throws {
        for (flag, seconds, zeroDisables) in timeouts
        where !(seconds <= maximumTimeoutSeconds && (zeroDisables ? seconds >= 0 : seconds > 0)) {
            let range = zeroDisables ? "0 <= t <= \(Int(maximumTimeoutSeconds)) (0 disables)" : "0 < t <= \(Int(maximumTimeoutSeconds))"
            throw ValidationError("\(flag) must be a number of seconds, \(range)")
        }
    }

    func gatewayConfiguration() throws -> GatewayConfiguration {
        var config = GatewayConfiguration(host: host, port: port)
        config.maxConnections = maxConnections
        config.maxConnectionsPerClient = maxConnectionsPerClient
        config.trustedProxies = try TrustedProxies(parsing: trustedProxies)
        config.pingInterval = pingInterval > 0 ? .seconds(pingInterval) : nil
        config.pongTimeout = .seconds(pongTimeout)
        config.handshakeTimeout = .seconds(handshakeTimeout)
        config.idleTimeout = idleTimeout > 0 ? .seconds(idleTimeout) : nil
        config.drainTimeout = .seconds(drainTimeout)
        config.fragmentTimeout = fragmentTimeout > 0 ? .seconds(fragmentTimeout) : nil
        config.allowedOrigins = Set(allowedOrigins)
        config.perMessageDeflate = perMessageDeflate
        return config
    }

    func run() async throws {
        let identity = GatewayIdentity.forThisBoot(configured: id, hostName: ProcessInfo.processInfo.hostName, pid: getpid())
        let gatewayID = identity.instance
        var logger = try CLILogging.bootstrap(label: "monopoly.gateway", flag: logLevel)
        // Every line this process logs names the gateway (connections add their id, the relay the game).
        logger[metadataKey: "gateway"] = "\(gatewayID)"
        let metrics = GatewayMetrics.bootstrappingMetricsSystem()
        let fileLimit = OpenFileLimit.raise()
        if fileLimit < UInt64(maxConnections) + 64 {
            logger.warning("open file limit is below --max-connections", metadata: [
                "limit": "\(fileLimit)", "max_connections": "\(maxConnections)",
            ])
        }

        let environment = ProcessInfo.processInfo.environment
        var relayConfiguration = RelayConfiguration(
            redisURL: redis.url ?? RedisTarget.defaultURL,
            gatewayID: gatewayID)
        relayConfiguration.redisCluster = redis.cluster
        relayConfiguration.gatewayTimeout = .milliseconds(Int64((gatewayTimeout * 1000).rounded()))  // validated: at most an hour
        relayConfiguration.messagesPerSecond = rateLimit
        relayConfiguration.messageBurst = rateLimit * 2
        relayConfiguration.createsPerMinute = Double(createRatePerMinute)
        if let secret = environment["SEAT_TOKEN_SECRET"], !secret.isEmpty {
            relayConfiguration.seatTokenSecret = Array(secret.utf8)
        } else {
            logger.warning("SEAT_TOKEN_SECRET is not set: seat tokens are proven by their plain SHA-256 (set the same secret on every gateway)")
        }
        relayConfiguration.acknowledgementTimeout = .milliseconds(Int64((ackTimeout * 1000).rounded()))  // validated: at most an hour
        relayConfiguration.handoverTimeout = .milliseconds(Int64((handoverTimeout * 1000).rounded()))  // validated: at most an hour
        relayConfiguration.maxHeldCommands = maxHeldCommands
        // One group for clients and Redis: a state read from Redis is written to the clients on
        // the same loop without a thread hop, and a small box is not oversubscribed with threads.
        let eventLoops = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        let relay = try Relay(configuration: relayConfiguration, logger: logger, eventLoopGroup: eventLoops)

        var routes = [WebSocketRoute.game(endpoint: RelayEndpoint(relay: relay))]
        routes[0].limits = .init(maxFrameSize: maxMessageSize, maxMessageSize: maxMessageSize)
        if echo { routes.append(.echo()) }

        var staticFiles = try staticDir.map { try StaticFiles(directory: URL(fileURLWithPath: $0)) } ?? .bundled()
        // The board's static data, fetched once by the browser: states carry only what changes.
        staticFiles.add(path: "/board.json", contents: Array(Board.json.utf8))
        let server = GatewayServer(
            configuration: try gatewayConfiguration(), routes: routes, staticFiles: staticFiles,
            asyncRoutes: [relay.gameLogRoute], metrics: metrics, eventLoopGroup: eventLoops, logger: logger
        )
        server.healthChecks.register(relay.healthCheck)
        // Services stop in reverse order: clients are drained (close 1001) before Redis goes.
        let group = ServiceGroup(
            services: [relay, GatewayService(server: server)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        )
        do {
            try await group.run()
        } catch let inUse as GatewayNameInUse {
            logger.critical("\(inUse)")
            try? await eventLoops.shutdownGracefully()
            throw ExitCode(Self.nameInUseExitCode)
        } catch {
            try? await eventLoops.shutdownGracefully()
            throw error
        }
        try? await eventLoops.shutdownGracefully()
    }
}

extension TimeAmount {
    /// Clamped to 0 ... 100 years: a huge setting means "practically never", not a trap.
    static func seconds(_ seconds: Double) -> TimeAmount {
        let nanoseconds = (seconds * 1e9).rounded()
        let century = 100 * 365.25 * 86_400 * 1e9
        guard nanoseconds.isFinite, nanoseconds < century else { return .nanoseconds(Int64(century)) }
        return .nanoseconds(Int64(max(0, nanoseconds)))
    }
}
