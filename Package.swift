// swift-tools-version:6.0
import PackageDescription

// One job per target: the folder layout is the architecture.
//   WebSocket      sans-IO RFC 6455 codec (no NIO import), permessage-deflate through CZlib (system zlib)
//   Gateway        SwiftNIO HTTP/WebSocket server that wires the codec to sockets
//   CHiredis/Redis hiredis-backed, NIO-driven Redis client (commands + pub/sub)
//   CEpoll         <sys/epoll.h> for the load generator's spectators
//   Monopoly       pure rules engine (no I/O)
//   RelayProtocol  wire messages, envelopes and Redis channel names shared by gateway and authority
//   RelayCore      the gateway's relay as pure state machines: events in, actions out (no I/O)
//   Authority      the process that applies commands to games and publishes state
//   Benchmarks     load generators and comparisons printed by `monopoly bench`
//   LocalProcesses redis-servers and stacks of our own: `monopoly bench`'s redis-server, `monopoly up`
//   OperationsHTTP /healthz and /metrics over HTTP for the authority (the gateway has its own router)
//   MonopolyCLI    the `monopoly` executable: subcommands only, no logic
//   NIOWebSocketEcho  benchmark-only NIOWebSocket echo server (`monopoly bench echo --compare`)
let package = Package(
    name: "MonopolyRelay",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "monopoly", targets: ["MonopolyCLI"]),
        .executable(name: "nio-websocket-echo", targets: ["NIOWebSocketEcho"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-atomics.git", from: "1.3.0"),
    ],
    targets: [
        .target(name: "WebSocket", dependencies: ["CZlib"]),
        // The system zlib, for permessage-deflate (RFC 7692) in the WebSocket codec.
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .systemLibrary(
            name: "CHiredis",
            pkgConfig: "hiredis",
            providers: [.apt(["libhiredis-dev"])]
        ),
        .target(name: "Redis", dependencies: [
            "CHiredis",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Atomics", package: "swift-atomics"),
        ]),
        .target(name: "Monopoly"),
        .target(name: "RelayProtocol", dependencies: ["Monopoly"]),
        .target(name: "RelayCore", dependencies: ["Monopoly", "RelayProtocol"]),
        .target(name: "Gateway", dependencies: [
            "WebSocket", "Redis", "RelayProtocol", "RelayCore",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Atomics", package: "swift-atomics"),
        ], resources: [.copy("Public")]),
        // A tiny HTTP server for /healthz and /metrics of processes without the gateway's router.
        .target(name: "OperationsHTTP", dependencies: [
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        .target(name: "Authority", dependencies: [
            "Monopoly", "Redis", "RelayProtocol",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        // Starts and supervises local processes (no NIO): redis-server on a free port, `monopoly up`'s stack.
        .target(name: "LocalProcesses"),
        // epoll for the spectators of `monopoly bench fanout` (Linux headers only, nothing to link).
        .systemLibrary(name: "CEpoll"),
        .target(name: "Benchmarks", dependencies: [
            "WebSocket", "Redis", "Monopoly", "RelayProtocol", "LocalProcesses", "Gateway", "CEpoll",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOWebSocket", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
        ]),
        // Benchmark-only: the plain NIOWebSocket echo server `monopoly bench echo --compare` runs against.
        .executableTarget(name: "NIOWebSocketEcho", dependencies: [
            "Benchmarks",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        .executableTarget(name: "MonopolyCLI", dependencies: [
            "Gateway", "Authority", "Benchmarks", "OperationsHTTP", "LocalProcesses",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),

        // Tests only (no target under Sources depends on it): LocalProcesses' real redis-server plus
        // what only tests do with it (pause it, ask it with redis-cli).
        .target(name: "TestSupport", dependencies: ["LocalProcesses"], path: "Tests/TestSupport"),
        .testTarget(name: "WebSocketTests", dependencies: ["WebSocket"]),
        .testTarget(name: "RedisTests", dependencies: [
            "Redis", "TestSupport",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        .testTarget(name: "MonopolyTests", dependencies: ["Monopoly"]),
        .testTarget(name: "RelayProtocolTests", dependencies: ["RelayProtocol"]),
        .testTarget(name: "RelayCoreTests", dependencies: ["RelayCore", "RelayProtocol", "Monopoly"]),
        .testTarget(name: "GatewayTests", dependencies: [
            "Gateway", "WebSocket", "TestSupport", "Redis", "RelayProtocol", "RelayCore",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "AuthorityTests", dependencies: ["Authority", "TestSupport"]),
        .testTarget(name: "OperationsHTTPTests", dependencies: ["OperationsHTTP"]),
        .testTarget(name: "BenchmarksTests", dependencies: ["Benchmarks", "Gateway"]),
    ],
    swiftLanguageModes: [.v6]
)
