import Atomics
import Logging
import NIOCore

/// Classic (global) pub/sub on a Redis Cluster: SUBSCRIBE on one node, since a cluster forwards
/// every classic PUBLISH to every node. A ``RedisSubscriber`` on one node reconnects to that node
/// only, and a killed master never comes back: when its connection is lost this one is closed and
/// the channels are subscribed again on a master of the slot map learnt anew (the same node, when
/// it answers again), tried in turn with capped backoff. Messages published meanwhile are lost.
public actor RedisClusterClassicSubscriber {
    private let cluster: RedisClusterClient
    private let eventLoopGroup: EventLoopGroup
    private let logger: Logger
    private let onMessage: @Sendable (RedisPubSubMessage) -> Void
    private var current: RedisSubscriber?
    private var node: RedisClusterNode?
    private var channels: Set<String> = []
    private var watcher: Task<Void, Never>?
    private var isClosed = false
    private let continuation: AsyncStream<RedisConnectionState>.Continuation
    /// Any thread: the state of the node connection (`.connecting` while moving to another node).
    private nonisolated let atomicReady = ManagedAtomic<Bool>(false)
    private nonisolated let switches = ManagedAtomic<Int>(0)

    /// `.ready` and `.connecting` as the subscriber leaves a node and is subscribed on another (single consumer).
    public nonisolated let stateChanges: AsyncStream<RedisConnectionState>
    public nonisolated var state: RedisConnectionState { atomicReady.load(ordering: .relaxed) ? .ready : .connecting }
    /// Times the subscriber was subscribed again after losing its node.
    public nonisolated var resubscriptions: Int { switches.load(ordering: .relaxed) }

    /// Subscribes on a master of the cluster's map (throws when none answers).
    public static func connect(cluster: RedisClusterClient, eventLoopGroup: EventLoopGroup, logger: Logger,
                               onMessage: @escaping @Sendable (RedisPubSubMessage) -> Void) async throws -> RedisClusterClassicSubscriber {
        let subscriber = RedisClusterClassicSubscriber(cluster: cluster, eventLoopGroup: eventLoopGroup, logger: logger, onMessage: onMessage)
        try await subscriber.attach(refreshing: false)
        return subscriber
    }

    private init(cluster: RedisClusterClient, eventLoopGroup: EventLoopGroup, logger: Logger,
                 onMessage: @escaping @Sendable (RedisPubSubMessage) -> Void) {
        self.cluster = cluster
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
        self.onMessage = onMessage
        (stateChanges, continuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(16))
    }

    /// SUBSCRIBE; remembered, and subscribed again on the next node.
    public func subscribe(_ names: [String]) async throws {
        channels.formUnion(names)
        guard let current else { throw RedisError.notConnected(.connecting) }
        try await current.subscribe(names)
    }

    public func unsubscribe(_ names: [String]) async throws {
        channels.subtract(names)
        try await current?.unsubscribe(names)
    }

    public func close() async {
        isClosed = true
        watcher?.cancel()
        atomicReady.store(false, ordering: .relaxed)
        await current?.close()
        current = nil
        continuation.finish()
    }

    /// A subscriber on the first master (after the one lost) that takes it and every channel.
    private func attach(refreshing: Bool) async throws {
        if refreshing { try? await cluster.refreshMap() }
        var candidates = await cluster.slotMap.masters
        if let node, let index = candidates.firstIndex(of: node) {
            candidates = Array(candidates[(index + 1)...] + candidates[...index])
        }
        var failures: [String] = []
        for candidate in candidates {
            let subscriber: RedisSubscriber
            do {
                subscriber = try await RedisSubscriber.connect(configuration: cluster.configuration.configuration(for: candidate),
                                                               eventLoopGroup: eventLoopGroup, logger: logger, onMessage: onMessage)
            } catch {
                failures.append("\(candidate): \(error)")
                continue
            }
            do {
                if !channels.isEmpty { try await subscriber.subscribe(channels.sorted()) }
            } catch {
                failures.append("\(candidate): \(error)")
                await subscriber.close()
                continue
            }
            if isClosed { return await subscriber.close() }
            current = subscriber
            node = candidate
            atomicReady.store(true, ordering: .relaxed)
            watcher = Task { [weak self] in
                for await state in subscriber.stateChanges where state != .ready {
                    await self?.lost(subscriber)
                    return
                }
            }
            return
        }
        throw RedisError.clusterSlotMap("no master took the classic subscriber: \(failures.joined(separator: "; "))")
    }

    /// The node connection broke: move to another node (or the same one, back), until one takes it.
    private func lost(_ subscriber: RedisSubscriber) async {
        guard !isClosed, current === subscriber else { return }
        current = nil
        atomicReady.store(false, ordering: .relaxed)
        continuation.yield(.connecting)
        logger.warning("redis cluster: the classic subscriber lost \(node.map { "\($0)" } ?? "its node"); subscribing on another node")
        await subscriber.close()
        var delay = Duration.milliseconds(50)
        while !isClosed {
            do {
                try await attach(refreshing: true)
                switches.wrappingIncrement(ordering: .relaxed)
                logger.notice("redis cluster: the classic subscriber is on \(node.map { "\($0)" } ?? "?") now")
                continuation.yield(.ready)
                return
            } catch {
                logger.warning("redis cluster: \(error); trying again in \(delay)")
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(2))
            }
        }
    }
}
