import Logging
import NIOCore

/// Sharded pub/sub on a Redis Cluster (SSUBSCRIBE, Redis 7): each channel is subscribed on the
/// master of its slot, over one subscriber connection per master, and moved when its slot moves
/// (the node's `sunsubscribe` notice, MOVED on SSUBSCRIBE, a failover). The decisions are
/// ``RedisShardedSubscriptions``'s; this actor performs them. Like all pub/sub it is at-most-once:
/// what is published while a channel moves is lost (resynchronise from stored state).
public actor RedisClusterSubscriber {
    private let cluster: RedisClusterClient
    private let eventLoopGroup: EventLoopGroup
    private let logger: Logger
    private let onMessage: @Sendable (RedisPubSubMessage) -> Void
    private var core: RedisShardedSubscriptions
    private var connections: [RedisClusterNode: RedisConnection] = [:]
    /// Each connection's first connect, shared by the SSUBSCRIBEs waiting for it.
    private var starts: [RedisClusterNode: Task<Void, Error>] = [:]
    private var learning = false
    private var isClosed = false
    /// Channels that were confirmed, then lost (their node died, their slot moved), and are wanted
    /// still: once confirmed again, ``onMoved`` hears of them.
    private var displaced: Set<String> = []
    /// Callers of ``ssubscribeConfirmed(_:timeout:)`` waiting for their channels.
    private var waiters: [Int: (channels: Set<String>, continuation: CheckedContinuation<Bool, Never>)] = [:]
    private var nextWaiter = 0
    /// Called with channels subscribed again after they moved: what was published to them
    /// meanwhile is lost (resynchronise from stored state).
    private var onMoved: (@Sendable ([String]) -> Void)?

    /// `onMessage` is called on a node connection's event loop for every message of every channel.
    public init(cluster: RedisClusterClient, eventLoopGroup: EventLoopGroup, logger: Logger = Logger(label: "redis.cluster.subscriber"),
                onMessage: @escaping @Sendable (RedisPubSubMessage) -> Void) async {
        self.cluster = cluster
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
        self.onMessage = onMessage
        self.core = RedisShardedSubscriptions(map: await cluster.slotMap)
    }

    /// Channels confirmed, and the node each is subscribed on.
    public var subscribed: [String: RedisClusterNode] { core.placed }

    /// SSUBSCRIBE (on the channels' masters). Returns once sent; confirmation shows in ``subscribed``.
    public func ssubscribe(_ channels: [String]) { handle(.subscribe(channels)) }

    /// SSUBSCRIBE, returning once every channel is confirmed (true) or after `timeout` (false: they
    /// stay wanted, and are placed when their master answers).
    public func ssubscribeConfirmed(_ channels: [String], timeout: Duration = .seconds(5)) async -> Bool {
        let wanted = Set(channels)
        handle(.subscribe(channels))
        if wanted.isSubset(of: core.placed.keys) || isClosed { return !isClosed }
        let id = nextWaiter
        nextWaiter += 1
        let expiry = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            await self?.resume(id, false)
        }
        defer { expiry.cancel() }
        return await withCheckedContinuation { waiters[id] = (wanted, $0) }
    }

    /// `body` hears of channels subscribed again after they moved (see ``onMoved``).
    public func onMoved(_ body: @escaping @Sendable ([String]) -> Void) { onMoved = body }

    private func resume(_ id: Int, _ confirmed: Bool) {
        waiters.removeValue(forKey: id)?.continuation.resume(returning: confirmed)
    }

    /// SUNSUBSCRIBE; forgotten at once (never subscribed again).
    public func sunsubscribe(_ channels: [String]) { handle(.unsubscribe(channels)) }

    public func close() async {
        isClosed = true
        for id in Array(waiters.keys) { resume(id, false) }
        let all = connections.values
        connections = [:]
        for connection in all { _ = try? await connection.close().get() }
    }

    private func handle(_ event: RedisShardedSubscriptions.Event) {
        guard !isClosed else { return }
        let before = core.placed
        for action in core.handle(event) { perform(action) }
        let placed = core.placed
        for (channel, _) in before where placed[channel] == nil && core.wanted.contains(channel) { displaced.insert(channel) }
        displaced.formIntersection(core.wanted)
        let back = displaced.filter { placed[$0] != nil }
        if !back.isEmpty {
            displaced.subtract(back)
            onMoved?(back.sorted())
        }
        for (id, waiter) in waiters where waiter.channels.isSubset(of: placed.keys) { resume(id, true) }
    }

    private func perform(_ action: RedisShardedSubscriptions.Action) {
        switch action {
        case .subscribe(let channels, let node):
            let connection = connection(for: node)
            let started = starts[node]!
            Task {
                do {
                    try await started.value
                } catch {
                    await self.forget(node, connection)
                    return await self.handle(.subscribeFailed(channels, on: node, nil))
                }
                await self.subscribe(channels, on: node, connection)
            }
        case .unsubscribe(let channels, let node):
            guard let connection = connections[node] else { return }
            // The `sunsubscribe` replies are pushes (see RedisChannelHandler); the PING after them confirms.
            _ = connection.sendBatch([[RedisArgument("SUNSUBSCRIBE")] + channels.map { RedisArgument($0) }, ["PING"]], repliesPerCommand: [0, 1])
        case .learnMap:
            guard !learning else { return }
            learning = true
            Task {
                // Paced: during a failover the map names no master for a while.
                try? await Task.sleep(for: .milliseconds(100))
                try? await self.cluster.refreshMap()
                await self.learnt(await self.cluster.slotMap)
            }
        }
    }

    private func learnt(_ map: RedisClusterSlotMap) {
        learning = false
        for (node, connection) in connections where !map.masters.contains(node) { forget(node, connection) }
        handle(.mapLearnt(map))
    }

    private func forget(_ node: RedisClusterNode, _ connection: RedisConnection) {
        guard connections[node] === connection else { return }
        connections[node] = nil
        starts[node] = nil
        _ = connection.close()
    }

    private func subscribe(_ channels: [String], on node: RedisClusterNode, _ connection: RedisConnection) async {
        let command = [RedisArgument("SSUBSCRIBE")] + channels.map { RedisArgument($0) }
        do {
            let replies = try await connection.sendBatch([command], repliesPerCommand: [channels.count]).get()
            if let message = replies.compactMap(\.errorMessage).first {
                logger.info("SSUBSCRIBE on \(node) refused: \(message)")
                handle(.subscribeFailed(channels, on: node, RedisClusterRedirect(errorMessage: message, replyingHost: node.host)))
            } else {
                handle(.subscribed(channels, on: node))
            }
        } catch {
            handle(.subscribeFailed(channels, on: node, nil))
        }
    }

    /// The node's subscriber connection, made (not yet started) on first use.
    private func connection(for node: RedisClusterNode) -> RedisConnection {
        if let connection = connections[node] { return connection }
        let connection = RedisConnection(configuration: cluster.configuration.configuration(for: node),
                                         eventLoop: eventLoopGroup.next(), logger: logger, subscriberMode: true)
        let onMessage = self.onMessage
        connection.onPush = { [weak self] value in
            if case .array(let parts) = value, parts.count == 3, parts[0].string == "sunsubscribe", let channel = parts[1].string {
                Task { await self?.handle(.unsubscribedByServer(channel, on: node)) }
            } else if let message = RedisSubscriber.parse(value) {
                connection.messagesReceived.wrappingIncrement(ordering: .relaxed)
                onMessage(message)
            }
        }
        connections[node] = connection
        starts[node] = Task { try await connection.start().get() }
        Task { [weak self] in
            var wasReady = false
            for await state in connection.stateChanges() {
                if state == .ready {
                    wasReady = true
                } else if wasReady {
                    wasReady = false
                    await self?.handle(.nodeLost(node))
                }
            }
        }
        return connection
    }
}
