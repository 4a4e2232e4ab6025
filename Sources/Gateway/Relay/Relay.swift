import Logging
import Metrics
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Redis
import RelayCore
import RelayProtocol
import ServiceLifecycle

/// The gateway's Redis side as a service: connects (retrying, so the gateway serves static files,
/// /healthz and /echo even while Redis is down), subscribes to this gateway's reply channel and the
/// lobby channel, and delivers everything that arrives to the hub.
public final class Relay: Service, Sendable {
    public let configuration: RelayConfiguration
    let hub: RelayHub
    private let logger: Logger

    /// Creates the Redis connections without waiting for Redis: they connect in the background.
    public init(configuration: RelayConfiguration, logger: Logger, eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) throws {
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "gateway"] = "\(configuration.gatewayID)"
        self.logger = logger
        self.redisTarget = try RedisTarget(url: configuration.redisCluster == nil ? configuration.redisURL : nil, cluster: configuration.redisCluster)
        self.eventLoopGroup = eventLoopGroup
        // One loop runs the relay's core and both Redis connections: their results need no hop.
        self.hub = RelayHub(configuration: configuration, logger: logger, loop: eventLoopGroup.next())
    }

    private let redisTarget: RedisTarget
    private let eventLoopGroup: any EventLoopGroup
    /// Set once the name is ours; released at shutdown.
    private let heartbeat = NIOLockedValueBox<GatewayHeartbeat?>(nil)

    /// `/healthz`: healthy only while both Redis connections are up (the publisher and the
    /// subscriber: delivery stops if either is down). The authority's presence is reported, not
    /// judged: a gateway without an authority still serves and answers `authority_unavailable`.
    public var healthCheck: HealthCheck {
        HealthCheck(name: "redis") { [hub] in
            guard let link = await hub.currentLink() else { return .failing("connecting to Redis") }
            let publisher = link.client.state
            let subscriber = link.subscriber.state
            let authority = hub.authority.currentHolder.map { "authority \($0)" } ?? "no authority"
            let detail = "publisher \(publisher), subscriber \(subscriber), \(authority)"
            return publisher == .ready && subscriber == .ready ? HealthCheckResult(healthy: true, detail: detail) : .failing(detail)
        }
    }

    /// `monopoly_gateway_redis_reconnects_total{connection}`: the connections count their own
    /// reconnects; this turns the counts into a Prometheus counter once a second.
    private static func countReconnects(hub: RelayHub) async {
        let commands = Counter(label: "monopoly_gateway_redis_reconnects_total", dimensions: [("connection", "commands")])
        let subscriber = Counter(label: "monopoly_gateway_redis_reconnects_total", dimensions: [("connection", "subscriber")])
        var seen = (commands: 0, subscriber: 0)
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(1))
            guard let link = await hub.currentLink() else { continue }
            let now = (commands: link.client.reconnects, subscriber: link.subscriber.reconnects)
            if now.commands > seen.commands { commands.increment(by: now.commands - seen.commands) }
            if now.subscriber > seen.subscriber { subscriber.increment(by: now.subscriber - seen.subscriber) }
            seen = now
        }
    }

    public func run() async throws {
        let hub = self.hub
        // The core's loop as the group: the connections run where the core does.
        let (redisTarget, group, logger) = (self.redisTarget, hub.loop, self.logger)
        let identity = GatewayIdentity(instance: configuration.gatewayID)
        let (timeout, heartbeats) = (configuration.gatewayTimeout, self.heartbeat)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                // The name first: nothing is published under it before it is ours. A live gateway
                // holding it (or taking it later) ends this one.
                let heartbeat = try await GatewayHeartbeat.claim(identity, timeout: timeout, redis: redisTarget, group: group, logger: logger)
                heartbeats.withLockedValue { $0 = heartbeat }
                try await withThrowingTaskGroup(of: Void.self) { inner in
                    inner.addTask { try await heartbeat.keepAlive { hub.submit(.heartbeatLapsed) } }
                    inner.addTask { await Self.link(hub: hub, redisTarget: redisTarget, group: group, logger: logger) }
                    try await inner.next()
                    inner.cancelAll()
                }
            }
            tasks.addTask { await hub.authority.run { alive in hub.submit(.authorityChecked(alive: alive)) } }
            tasks.addTask { await Self.countReconnects(hub: hub) }
            tasks.addTask { try? await gracefulShutdown() }
            // The first to end is the shutdown, or a claim refused (the error goes up: the process stops).
            var failure: (any Error)?
            do { try await tasks.next() } catch { failure = error }
            tasks.cancelAll()
            if let link = await hub.currentLink() {
                await link.subscriber.close()
                await link.client.close()
            }
            // Clients are drained by now (their seats reported): the name is free again.
            // Taken out of the box: its connection goes now, not after the event loops.
            await heartbeats.withLockedValue { box in defer { box = nil }; return box }?.release()
            if let failure { throw failure }
        }
    }

    /// Connects the publisher and the subscriber (retrying until Redis answers; after that they
    /// reconnect and re-subscribe by themselves), hands them to the hub, and follows the
    /// subscriber's state until it closes.
    private static func link(hub: RelayHub, redisTarget: RedisTarget, group: any EventLoopGroup, logger: Logger) async {
        var delay = Duration.milliseconds(100)
        while !Task.isCancelled {
            do {
                let client = try await RedisCommands.connect(redisTarget, eventLoopGroup: group, logger: logger)
                let subscriber: RedisPubSub
                do {
                    subscriber = try await RedisPubSub.connect(for: client, eventLoopGroup: group, logger: logger, global: true,
                                                               onMessage: { hub.deliver($0) })
                    try await subscriber.subscribe([RedisChannels.replies(gateway: hub.configuration.gatewayID), RedisChannels.lobby])
                } catch {
                    await client.close()
                    throw error
                }
                hub.attach(.init(client: client, subscriber: subscriber))
                logger.info("connected to Redis", metadata: ["redis": "\(redisTarget.redacted)"])
                // Pub/sub is at-most-once: what was published while the subscriber was
                // away is caught up from the stored states after each reconnect.
                var wasReady = true
                for await state in subscriber.stateChanges {
                    // Lobby changes published meanwhile are lost: the cached list is not trusted.
                    if state != .ready { hub.submit(.subscriberLost) }
                    if state == .ready && !wasReady {
                        logger.info("resynchronizing after a Redis reconnect")
                        hub.submit(.subscriberReconnected)
                    }
                    wasReady = state == .ready
                }
                return
            } catch {
                logger.warning("Redis not reachable: \(error); retrying in \(delay)")
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(2))
            }
        }
    }
}
