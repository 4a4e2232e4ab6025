import Logging
import NIOCore

/// One pub/sub message.
public struct RedisPubSubMessage: Sendable, Equatable {
    /// The channel it was published to.
    public var channel: String
    /// The pattern that matched, for PSUBSCRIBE deliveries; nil for SUBSCRIBE deliveries.
    public var pattern: String?
    /// The payload, byte for byte.
    public var payload: [UInt8]

    public init(channel: String, pattern: String? = nil, payload: [UInt8]) {
        self.channel = channel
        self.pattern = pattern
        self.payload = payload
    }

    /// The payload decoded as UTF-8.
    public var string: String { String(decoding: payload, as: UTF8.self) }
}

/// A dedicated pub/sub connection (RESP2 subscribed mode).
///
/// Channels and patterns are remembered once confirmed; after a reconnect they are all subscribed
/// again (in the same round trip as AUTH) before the state returns to `.ready`. A PING probe in
/// subscribed mode (answered with a `pong` message) detects a half-dead connection.
///
/// Messages published while the connection was down are lost (Redis pub/sub is at-most-once):
/// watch ``stateChanges`` and resynchronise from stored state after a reconnect.
public final class RedisSubscriber: Sendable {
    let connection: RedisConnection
    private let subscriptions: Subscriptions

    /// Every message, in arrival order (single consumer). Empty and finished if the subscriber was
    /// created with an `onMessage` callback. Finishes on `close()`.
    public let messages: AsyncStream<RedisPubSubMessage>

    public var eventLoop: EventLoop { connection.eventLoop }
    public var state: RedisConnectionState { connection.state }
    public var stateChanges: AsyncStream<RedisConnectionState> { connection.stateChanges() }
    public var statistics: RedisConnectionStatistics { connection.statistics }

    /// Channels and patterns currently subscribed (confirmed), as of the last event-loop tick.
    public var channels: Set<String> { get async { (try? await eventLoop.submit { self.subscriptions.channels }.get()) ?? [] } }
    public var patterns: Set<String> { get async { (try? await eventLoop.submit { self.subscriptions.patterns }.get()) ?? [] } }

    /// Connects a subscriber. Messages go to ``messages`` unless `onMessage` is given, in which
    /// case it is called on the connection's event loop for every message (no buffering).
    public static func connect(configuration: RedisConfiguration, eventLoopGroup: EventLoopGroup,
                               logger: Logger = Logger(label: "redis.subscriber"),
                               bufferingPolicy: AsyncStream<RedisPubSubMessage>.Continuation.BufferingPolicy = .unbounded,
                               onMessage: (@Sendable (RedisPubSubMessage) -> Void)? = nil) async throws -> RedisSubscriber {
        let subscriber = RedisSubscriber(configuration: configuration, eventLoop: eventLoopGroup.next(), logger: logger,
                                         bufferingPolicy: bufferingPolicy, onMessage: onMessage)
        do {
            try await subscriber.connection.start().get()
        } catch {
            subscriber.subscriptions.continuation.finish()
            throw error
        }
        return subscriber
    }

    public static func connect(url: String, eventLoopGroup: EventLoopGroup,
                               logger: Logger = Logger(label: "redis.subscriber"),
                               onMessage: (@Sendable (RedisPubSubMessage) -> Void)? = nil) async throws -> RedisSubscriber {
        try await connect(configuration: RedisConfiguration(url: url), eventLoopGroup: eventLoopGroup,
                          logger: logger, onMessage: onMessage)
    }

    private init(configuration: RedisConfiguration, eventLoop: EventLoop, logger: Logger,
                 bufferingPolicy: AsyncStream<RedisPubSubMessage>.Continuation.BufferingPolicy,
                 onMessage: (@Sendable (RedisPubSubMessage) -> Void)?) {
        let connection = RedisConnection(configuration: configuration, eventLoop: eventLoop, logger: logger, subscriberMode: true)
        let (stream, continuation) = AsyncStream<RedisPubSubMessage>.makeStream(bufferingPolicy: bufferingPolicy)
        let subscriptions = Subscriptions(continuation: continuation)
        self.connection = connection
        self.subscriptions = subscriptions
        self.messages = stream
        if onMessage != nil { continuation.finish() }
        connection.onPush = { [connection] value in
            guard let message = Self.parse(value) else { return }
            connection.messagesReceived.wrappingIncrement(ordering: .relaxed)
            if let onMessage { onMessage(message) } else { continuation.yield(message) }
        }
        connection.extraHandshake = { [subscriptions] in
            subscriptions.resubscribed = (subscriptions.channels, subscriptions.patterns)
            return Self.commands(("SUBSCRIBE", subscriptions.channels), ("PSUBSCRIBE", subscriptions.patterns))
        }
        // An unsubscribe while that handshake was in flight was forgotten locally but not sent
        // (not ready): the handshake subscribed it again, so take it back now.
        connection.onReady = { [connection, subscriptions] in
            let (channels, patterns) = subscriptions.resubscribed
            subscriptions.resubscribed = ([], [])
            let stale = Self.commands(("UNSUBSCRIBE", channels.subtracting(subscriptions.channels)),
                                      ("PUNSUBSCRIBE", patterns.subtracting(subscriptions.patterns)))
            if !stale.isEmpty { _ = connection.sendBatch(stale.map(\.command), repliesPerCommand: stale.map(\.replies)) }
        }
    }

    /// One command per non-empty set of names (sorted), and the replies it yields: one per name.
    private static func commands(_ channels: (command: String, names: Set<String>), _ patterns: (command: String, names: Set<String>))
        -> [(command: [RedisArgument], replies: Int)] {
        [channels, patterns].filter { !$0.names.isEmpty }.map { command, names in
            ([RedisArgument(command)] + names.sorted().map { RedisArgument($0) }, names.count)
        }
    }

    /// Dropping the last reference closes the connection and finishes ``messages``.
    deinit {
        connection.closeSoon()
        subscriptions.continuation.finish()
    }

    static func parse(_ value: RESPValue) -> RedisPubSubMessage? {
        guard case .array(let parts) = value, parts.first?.string != "sunsubscribe" else { return nil }
        switch parts.count {
        case 3:  // message (or smessage), channel, payload
            guard case .bulkString(let payload) = parts[2], let channel = parts[1].string else { return nil }
            return RedisPubSubMessage(channel: channel, payload: payload)
        case 4:  // pmessage, pattern, channel, payload
            guard case .bulkString(let payload) = parts[3], let pattern = parts[1].string,
                  let channel = parts[2].string else { return nil }
            return RedisPubSubMessage(channel: channel, pattern: pattern, payload: payload)
        default:
            return nil
        }
    }

    // MARK: Subscribing

    /// SUBSCRIBE; returns once Redis confirmed every channel. Fails fast with `.notConnected`
    /// while disconnected (nothing is remembered then: call again after `.ready`).
    public func subscribe(_ channels: [String]) async throws {
        try await change("SUBSCRIBE", channels, add: \.channels)
    }

    /// PSUBSCRIBE (glob patterns such as `game.*`); deliveries carry the matching `pattern`.
    public func psubscribe(_ patterns: [String]) async throws {
        try await change("PSUBSCRIBE", patterns, add: \.patterns)
    }

    /// UNSUBSCRIBE. Forgotten at once (never resubscribed after a reconnect), so it succeeds even
    /// while disconnected. An empty list unsubscribes from every channel.
    public func unsubscribe(_ channels: [String]) async throws {
        try await remove("UNSUBSCRIBE", channels, from: \.channels)
    }

    /// PUNSUBSCRIBE; same rules as ``unsubscribe(_:)``.
    public func punsubscribe(_ patterns: [String]) async throws {
        try await remove("PUNSUBSCRIBE", patterns, from: \.patterns)
    }

    public func subscribe(_ channel: String) async throws { try await subscribe([channel]) }
    public func psubscribe(_ pattern: String) async throws { try await psubscribe([pattern]) }
    public func unsubscribe(_ channel: String) async throws { try await unsubscribe([channel]) }
    public func punsubscribe(_ pattern: String) async throws { try await punsubscribe([pattern]) }

    /// Round trip to Redis through the subscribed connection (PING); true if it answered.
    public func ping() async throws {
        _ = try await connection.send(["PING"]).get()
    }

    /// ``subscribe(_:)`` without a task: the future succeeds once Redis confirmed every channel.
    public func subscribeFuture(_ channels: [String]) -> EventLoopFuture<Void> {
        change("SUBSCRIBE", channels, add: \.channels)
    }

    /// ``unsubscribe(_:)`` without a task.
    public func unsubscribeFuture(_ channels: [String]) -> EventLoopFuture<Void> {
        remove("UNSUBSCRIBE", channels, from: \.channels)
    }

    private func change(_ command: String, _ names: [String],
                        add keyPath: ReferenceWritableKeyPath<Subscriptions, Set<String>> & Sendable) async throws {
        try await change(command, names, add: keyPath).get()
    }

    private func change(_ command: String, _ names: [String],
                        add keyPath: ReferenceWritableKeyPath<Subscriptions, Set<String>> & Sendable) -> EventLoopFuture<Void> {
        guard !names.isEmpty else { return eventLoop.makeSucceededVoidFuture() }
        let unique = Array(Set(names)).sorted()
        let subscriptions = self.subscriptions
        // Recorded on the event loop the moment Redis confirms, so a reconnect can never slip in
        // between the confirmation and the bookkeeping (and miss resubscribing).
        return connection.sendBatch([[RedisArgument(command)] + unique.map { RedisArgument($0) }], repliesPerCommand: [unique.count])
            .flatMapThrowing { replies in
                if let error = replies.compactMap(\.errorMessage).first { throw RedisError.server(error) }
                subscriptions[keyPath: keyPath].formUnion(unique)
            }
    }

    private func remove(_ command: String, _ names: [String],
                        from keyPath: ReferenceWritableKeyPath<Subscriptions, Set<String>> & Sendable) async throws {
        try await remove(command, names, from: keyPath).get()
    }

    private func remove(_ command: String, _ names: [String],
                        from keyPath: ReferenceWritableKeyPath<Subscriptions, Set<String>> & Sendable) -> EventLoopFuture<Void> {
        let connection = self.connection
        return eventLoop.submit { () -> [String] in
            let targets = names.isEmpty ? Array(self.subscriptions[keyPath: keyPath]) : Array(Set(names))
            self.subscriptions[keyPath: keyPath].subtract(targets)
            return targets.sorted()
        }.flatMap { targets in
            guard !targets.isEmpty, connection.state == .ready else { return connection.eventLoop.makeSucceededVoidFuture() }
            return connection.sendBatch([[RedisArgument(command)] + targets.map { RedisArgument($0) }], repliesPerCommand: [targets.count])
                .map { _ in }
                .flatMapError { error in
                    switch error {
                    // Already forgotten: the next connection won't subscribe to them.
                    case RedisError.notConnected, RedisError.connectionClosed: connection.eventLoop.makeSucceededVoidFuture()
                    default: connection.eventLoop.makeFailedFuture(error)
                    }
                }
        }
    }

    /// Closes the connection, stops reconnecting and finishes ``messages``.
    public func close() async {
        try? await connection.close().get()
        subscriptions.continuation.finish()
    }
}

/// Confirmed subscriptions; touched only on the subscriber's event loop.
final class Subscriptions: @unchecked Sendable {
    var channels: Set<String> = []
    var patterns: Set<String> = []
    /// What the last handshake subscribed again (compared once it is ready).
    var resubscribed: (channels: Set<String>, patterns: Set<String>) = ([], [])
    let continuation: AsyncStream<RedisPubSubMessage>.Continuation

    init(continuation: AsyncStream<RedisPubSubMessage>.Continuation) { self.continuation = continuation }
}
