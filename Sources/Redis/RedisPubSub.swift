import Logging
import NIOCore

/// The subscriber side of one Redis or a cluster (see ``RedisCommands`` for the two kinds of
/// channels). On one Redis it is the ``RedisSubscriber`` it always was; on a cluster, sharded
/// channels go to a ``RedisClusterSubscriber`` (SSUBSCRIBE on each channel's master, following
/// slot moves and failovers) and global ones to a ``RedisClusterClassicSubscriber``.
public enum RedisPubSub: Sendable {
    case single(RedisSubscriber)
    case cluster(RedisClusterPubSub)

    /// Connects a subscriber to what `commands` is connected to. `global`: classic channels will be
    /// subscribed too (a cluster then keeps a classic subscriber connection). `onMessage` is called
    /// for every message; without it they are in ``messages``.
    public static func connect(for commands: RedisCommands, eventLoopGroup: EventLoopGroup, logger: Logger, global: Bool,
                               onMessage: (@Sendable (RedisPubSubMessage) -> Void)? = nil) async throws -> RedisPubSub {
        switch commands {
        case .single(let client):
            return .single(try await RedisSubscriber.connect(configuration: client.configuration, eventLoopGroup: eventLoopGroup,
                                                             logger: logger, onMessage: onMessage))
        case .cluster(let cluster):
            return .cluster(try await RedisClusterPubSub(cluster: cluster, eventLoopGroup: eventLoopGroup, logger: logger, global: global,
                                                         onMessage: onMessage))
        }
    }

    /// Every message, when connected without `onMessage` (single consumer).
    public var messages: AsyncStream<RedisPubSubMessage> {
        switch self {
        case .single(let subscriber): subscriber.messages
        case .cluster(let pubsub): pubsub.messages
        }
    }

    /// One Redis: its connection's state. A cluster: the classic subscriber's, else ready.
    public var state: RedisConnectionState {
        switch self {
        case .single(let subscriber): subscriber.state
        case .cluster(let pubsub): pubsub.classic?.state ?? .ready
        }
    }

    /// States as they change, starting with the current one. After a `.ready` that follows
    /// anything else, messages may have been lost: resynchronise from stored state. On a cluster
    /// a sharded channel subscribed again after its slot moved shows as `.connecting` then `.ready`.
    public var stateChanges: AsyncStream<RedisConnectionState> {
        switch self {
        case .single(let subscriber): subscriber.stateChanges
        case .cluster(let pubsub): pubsub.stateChanges
        }
    }

    /// Times the subscriptions were made again (reconnects; on a cluster, moves to another node).
    public var reconnects: Int {
        switch self {
        case .single(let subscriber): subscriber.statistics.reconnects
        case .cluster(let pubsub): pubsub.classic?.resubscriptions ?? 0
        }
    }

    /// Global channels (classic SUBSCRIBE on either).
    public func subscribe(_ channels: [String]) async throws {
        switch self {
        case .single(let subscriber): try await subscriber.subscribe(channels)
        case .cluster(let pubsub):
            guard let classic = pubsub.classic else { throw RedisError.unroutableCommand("SUBSCRIBE without a classic subscriber") }
            try await classic.subscribe(channels)
        }
    }

    /// Sharded channels (SSUBSCRIBE on a cluster, SUBSCRIBE on one Redis), returning once confirmed.
    public func subscribeSharded(_ channels: [String]) async throws {
        switch self {
        case .single(let subscriber): try await subscriber.subscribe(channels)
        case .cluster(let pubsub):
            guard await pubsub.sharded.ssubscribeConfirmed(channels) else { throw RedisError.notConnected(.connecting) }
        }
    }

    public func unsubscribeSharded(_ channels: [String]) async throws {
        switch self {
        case .single(let subscriber): try await subscriber.unsubscribe(channels)
        case .cluster(let pubsub): await pubsub.sharded.sunsubscribe(channels)
        }
    }

    /// ``subscribeSharded(_:)`` as a future: one Redis's completes on its loop; a cluster's on `loop`.
    public func subscribeShardedFuture(_ channels: [String], on loop: EventLoop) -> EventLoopFuture<Void> {
        switch self {
        case .single(let subscriber): subscriber.subscribeFuture(channels)
        case .cluster: loop.makeFutureWithTask { try await self.subscribeSharded(channels) }
        }
    }

    public func unsubscribeShardedFuture(_ channels: [String], on loop: EventLoop) -> EventLoopFuture<Void> {
        switch self {
        case .single(let subscriber): subscriber.unsubscribeFuture(channels)
        case .cluster: loop.makeFutureWithTask { try await self.unsubscribeSharded(channels) }
        }
    }

    public func close() async {
        switch self {
        case .single(let subscriber): await subscriber.close()
        case .cluster(let pubsub): await pubsub.close()
        }
    }
}

/// A cluster's two subscribers, and their messages and state changes merged.
public final class RedisClusterPubSub: Sendable {
    public let sharded: RedisClusterSubscriber
    public let classic: RedisClusterClassicSubscriber?
    let messages: AsyncStream<RedisPubSubMessage>
    private let messageSink: AsyncStream<RedisPubSubMessage>.Continuation
    private let changes: AsyncStream<RedisConnectionState>
    private let changeSink: AsyncStream<RedisConnectionState>.Continuation
    private let following: Task<Void, Never>?

    init(cluster: RedisClusterClient, eventLoopGroup: EventLoopGroup, logger: Logger, global: Bool,
         onMessage: (@Sendable (RedisPubSubMessage) -> Void)?) async throws {
        (messages, messageSink) = AsyncStream.makeStream()
        (changes, changeSink) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(16))
        let sink = messageSink
        let deliver: @Sendable (RedisPubSubMessage) -> Void = onMessage ?? { sink.yield($0) }
        if onMessage != nil { messageSink.finish() }
        sharded = await RedisClusterSubscriber(cluster: cluster, eventLoopGroup: eventLoopGroup, logger: logger, onMessage: deliver)
        let changeSink = self.changeSink
        await sharded.onMoved { _ in
            changeSink.yield(.connecting)
            changeSink.yield(.ready)
        }
        if global {
            let classic = try await RedisClusterClassicSubscriber.connect(cluster: cluster, eventLoopGroup: eventLoopGroup, logger: logger,
                                                                           onMessage: deliver)
            self.classic = classic
            following = Task { for await state in classic.stateChanges { changeSink.yield(state) } }
        } else {
            classic = nil
            following = nil
        }
    }

    /// Starts with `.ready` (connected); one consumer.
    var stateChanges: AsyncStream<RedisConnectionState> {
        changeSink.yield(.ready)
        return changes
    }

    func close() async {
        following?.cancel()
        await classic?.close()
        await sharded.close()
        messageSink.finish()
        changeSink.finish()
    }
}
