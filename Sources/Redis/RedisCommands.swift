import Logging
import NIOCore

/// The command side of one Redis or a cluster, for code that runs on either (the gateway, the
/// authority). A switch, not a protocol with boxes: on one Redis every call goes straight to the
/// ``RedisClient`` it would have used (no hop, no allocation); on a cluster to the
/// ``RedisClusterClient``, which routes by slot.
///
/// Channels come in two kinds. Global ones (the lobby, the gateways' replies) use classic
/// PUBLISH, which a cluster forwards to every node. Sharded ones (a game's state channel, a
/// shard's command channel: ``RedisChannels``' hash-tagged ones) use SPUBLISH on a cluster, so a
/// game's traffic stays on the shard that holds its keys, and PUBLISH on one Redis.
public enum RedisCommands: Sendable {
    case single(RedisClient)
    case cluster(RedisClusterClient)

    /// Connects (one Redis: TCP, AUTH, SELECT; a cluster: learns the slot map from the seeds).
    public static func connect(_ target: RedisTarget, eventLoopGroup: EventLoopGroup, logger: Logger) async throws -> RedisCommands {
        switch target {
        case .single(let configuration):
            .single(try await RedisClient.connect(configuration: configuration, eventLoopGroup: eventLoopGroup, logger: logger))
        case .cluster(let configuration):
            .cluster(try await RedisClusterClient.connect(configuration: configuration, eventLoopGroup: eventLoopGroup, logger: logger))
        }
    }

    public var isCluster: Bool { if case .cluster = self { true } else { false } }

    /// `.ready` while commands can be sent: one Redis's connection state; a cluster's is ready
    /// while its slot map covers every slot.
    public var state: RedisConnectionState {
        switch self {
        case .single(let client): client.state
        case .cluster(let cluster): cluster.coversEverySlot ? .ready : .connecting
        }
    }

    /// Counts the times what Redis holds may have changed under a cache: reconnects of one Redis;
    /// slot map changes of a cluster (a failover may have lost the last writes).
    public var reconnects: Int {
        switch self {
        case .single(let client): client.statistics.reconnects
        case .cluster(let cluster): cluster.mapChanges
        }
    }

    /// State changes of one Redis's connection; a cluster's stream is empty (it has no one connection).
    public var stateChanges: AsyncStream<RedisConnectionState> {
        switch self {
        case .single(let client): return client.stateChanges
        case .cluster: return AsyncStream { $0.finish() }
        }
    }

    public func close() async {
        switch self {
        case .single(let client): await client.close()
        case .cluster(let cluster): await cluster.close()
        }
    }

    /// Any command (error replies thrown as ``RedisError/server(_:)``).
    @discardableResult
    public func send(_ command: [RedisArgument]) async throws -> RESPValue {
        switch self {
        case .single(let client): try await client.send(command)
        case .cluster(let cluster): try await cluster.send(command)
        }
    }

    /// Any command as a future (error replies as `.error`, not failed). One Redis: completes on
    /// its client's loop, no hop; a cluster: on `loop`, through a task.
    public func sendFuture(_ command: [RedisArgument], on loop: EventLoop) -> EventLoopFuture<RESPValue> {
        switch self {
        case .single(let client): client.sendFuture(command)
        case .cluster(let cluster): loop.makeFutureWithTask { try await cluster.sendRaw(command) }
        }
    }

    /// Every reply in order, error replies in place. One Redis: one pipelined round trip; a
    /// cluster: each command to its own slot's master, concurrently.
    public func pipeline(_ commands: [[RedisArgument]]) async throws -> [RESPValue] {
        switch self {
        case .single(let client): try await client.pipeline(commands)
        case .cluster(let cluster): try await cluster.pipeline(commands)
        }
    }

    /// EVALSHA, falling back to EVAL on NOSCRIPT.
    @discardableResult
    public func eval(_ script: RedisScript, keys: [String] = [], arguments: [RedisArgument] = []) async throws -> RESPValue {
        switch self {
        case .single(let client): try await client.eval(script, keys: keys, arguments: arguments)
        case .cluster(let cluster): try await cluster.eval(script, keys: keys, arguments: arguments)
        }
    }

    /// The script, then `WAIT replicas timeout` on the same connection (a cluster: the same node,
    /// waiting for at most the replicas its slot map lists for that master). `replicated`: as
    /// many replicas confirmed the write (true when none is asked for). The script's error replies
    /// are returned as `.error`.
    public func evalWaiting(_ script: RedisScript, keys: [String], arguments: [RedisArgument], replicas: Int,
                            timeoutMilliseconds: Int) async throws -> (reply: RESPValue, replicated: Bool) {
        guard replicas > 0 else { return (try await evalRaw(script, keys: keys, arguments: arguments), true) }
        switch self {
        case .single(let client):
            let tail = [RedisArgument(keys.count)] + keys.map { RedisArgument($0) } + arguments
            let wait: [RedisArgument] = ["WAIT", RedisArgument(replicas), RedisArgument(timeoutMilliseconds)]
            var replies = try await client.pipeline([["EVALSHA", RedisArgument(script.sha1)] + tail, wait])
            if replies[0].errorMessage?.hasPrefix("NOSCRIPT") == true {
                replies = try await client.pipeline([["EVAL", RedisArgument(script.source)] + tail, wait])
            }
            return (replies[0], (replies[1].int ?? 0) >= replicas)
        case .cluster(let cluster):
            return try await cluster.evalWaiting(script, keys: keys, arguments: arguments, replicas: replicas, timeoutMilliseconds: timeoutMilliseconds)
        }
    }

    /// EVALSHA (EVAL on NOSCRIPT) with its error reply returned, not thrown.
    private func evalRaw(_ script: RedisScript, keys: [String], arguments: [RedisArgument]) async throws -> RESPValue {
        do {
            return try await eval(script, keys: keys, arguments: arguments)
        } catch RedisError.server(let message) {
            return .error(message)
        }
    }

    /// Classic PUBLISH, for global channels; the receivers on the node it reached.
    @discardableResult
    public func publish(_ channel: String, _ payload: RedisArgument) async throws -> Int {
        switch self {
        case .single(let client): try await client.publish(channel, payload)
        case .cluster(let cluster): try await cluster.publish(channel, payload)
        }
    }

    /// A sharded channel's message: SPUBLISH on a cluster (the receivers on its shard), PUBLISH on one Redis.
    @discardableResult
    public func publishSharded(_ channel: String, _ payload: RedisArgument) async throws -> Int {
        switch self {
        case .single(let client): try await client.publish(channel, payload)
        case .cluster(let cluster): try await cluster.spublish(channel, payload)
        }
    }

    /// ``publishSharded(_:_:)`` as a future (see ``sendFuture(_:on:)``).
    public func publishShardedFuture(_ channel: String, _ payload: RedisArgument, on loop: EventLoop) -> EventLoopFuture<Int> {
        switch self {
        case .single(let client): client.publishFuture(channel, payload)
        case .cluster(let cluster): loop.makeFutureWithTask { try await cluster.spublish(channel, payload) }
        }
    }

    // MARK: Typed helpers

    public func get(_ key: String) async throws -> [UInt8]? {
        switch self {
        case .single(let client): try await client.get(key)
        case .cluster(let cluster): try await cluster.get(key)
        }
    }

    public func getString(_ key: String) async throws -> String? {
        try await get(key).map { String(decoding: $0, as: UTF8.self) }
    }

    @discardableResult
    public func set(_ key: String, _ value: String, onlyIfNotExists: Bool = false, expiryMilliseconds: Int? = nil) async throws -> Bool {
        switch self {
        case .single(let client):
            try await client.set(key, value, onlyIfNotExists: onlyIfNotExists, expiryMilliseconds: expiryMilliseconds)
        case .cluster(let cluster):
            try await cluster.set(key, RedisArgument(value), onlyIfNotExists: onlyIfNotExists, expiryMilliseconds: expiryMilliseconds)
        }
    }

    @discardableResult
    public func pexpire(_ key: String, milliseconds: Int) async throws -> Bool {
        try await send(["PEXPIRE", RedisArgument(key), RedisArgument(milliseconds)]).int == 1
    }

    @discardableResult
    public func del(_ key: String) async throws -> Int {
        try await send(["DEL", RedisArgument(key)]).int ?? 0
    }
}
