import Atomics
import Logging
import NIOCore

/// A Redis Cluster client: learns the slot map, keeps one ``RedisClient`` per master, sends every
/// command to the master of its key's slot and follows the cluster's answers (``RedisClusterRetry``):
/// MOVED (the map is updated, and learnt again in the background), ASK (`ASKING` and the command on
/// the target, once), CLUSTERDOWN / TRYAGAIN / an unreachable node (wait, learn the map again,
/// retry), all within a bounded number of attempts.
///
/// Commands whose keys span slots are refused (``RedisError/crossSlot(command:)``); EVAL/EVALSHA
/// and transactions go where their keys are. A command that failed in flight (`connectionClosed`,
/// `timeout`) is not sent again, as with a single Redis: it may have run.
public actor RedisClusterClient {
    public let configuration: RedisClusterConfiguration
    private let eventLoopGroup: EventLoopGroup
    private let logger: Logger
    private var map = RedisClusterSlotMap()
    private var clients: [RedisClusterNode: Task<RedisClient, Error>] = [:]
    private var refreshing: Task<Void, Error>?
    private var isClosed = false
    /// Slot maps learnt (the first included): failovers and reshardings show here.
    public private(set) var mapRefreshes = 0
    /// MOVED and ASK answers followed.
    public private(set) var redirections = 0
    /// When the map was last learnt: a write that waits for replicas learns it again when it is
    /// older than ``mapMaximumAge`` (a replica that came back, or went, shows there).
    private var learntAt = ContinuousClock.now
    static let mapMaximumAge = Duration.seconds(5)
    /// Any thread: whether the last map learnt covers every slot (health checks).
    private nonisolated let covered = ManagedAtomic<Bool>(false)
    /// Any thread: how many times the map changed after the first (failovers, reshardings); a
    /// caller that caches what Redis holds treats it as a reconnect.
    private nonisolated let changes = ManagedAtomic<Int>(0)
    /// Any thread: node connections closed because their node serves no slot any more (a dead or
    /// demoted master, a seed that is a replica): they do not reconnect for ever.
    private nonisolated let dropped = ManagedAtomic<Int>(0)

    public nonisolated var coversEverySlot: Bool { covered.load(ordering: .relaxed) }
    public nonisolated var mapChanges: Int { changes.load(ordering: .relaxed) }
    public nonisolated var nodeConnectionsDropped: Int { dropped.load(ordering: .relaxed) }

    /// Learns the slot map from the seeds and returns a client, or throws
    /// ``RedisError/clusterSlotMap(_:)`` naming what each seed answered.
    public static func connect(configuration: RedisClusterConfiguration, eventLoopGroup: EventLoopGroup,
                               logger: Logger = Logger(label: "redis.cluster")) async throws -> RedisClusterClient {
        let client = RedisClusterClient(configuration: configuration, eventLoopGroup: eventLoopGroup, logger: logger)
        do {
            try await client.refreshMap()
        } catch {
            await client.close()
            throw error
        }
        return client
    }

    private init(configuration: RedisClusterConfiguration, eventLoopGroup: EventLoopGroup, logger: Logger) {
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
    }

    /// The slot map as last learnt (and corrected by MOVED).
    public var slotMap: RedisClusterSlotMap { map }

    /// Closes every node connection. Commands in flight fail with `.clientClosed`.
    public func close() async {
        isClosed = true
        refreshing?.cancel()
        let all = clients.values
        clients = [:]
        for task in all { await (try? task.value)?.close() }
    }

    // MARK: Commands

    /// Sends any command to its slot's master. Error replies are thrown as ``RedisError/server(_:)``.
    @discardableResult
    public func send(_ command: [RedisArgument]) async throws -> RESPValue {
        let reply = try await sendRaw(command)
        if case .error(let message) = reply { throw RedisError.server(message) }
        return reply
    }

    /// Sends any command to its slot's master; the reply as it came (error replies as `.error`).
    public func sendRaw(_ command: [RedisArgument]) async throws -> RESPValue {
        let route = try RedisClusterRoute.of(command)
        return try await routed(command.first?.string.uppercased() ?? "", route) { client, asking in
            if asking {
                let replies = try await client.pipeline([["ASKING"], command])
                return (replies[1], replies[1])
            }
            let reply = try await client.sendFuture(command).get()
            return (reply, reply)
        }
    }

    /// MULTI, the commands, EXEC on the master of their one slot (``RedisError/crossSlot(command:)``
    /// when they name keys of two slots). Returns EXEC's replies, like ``RedisClient/transaction(_:)``.
    public func transaction(_ commands: [[RedisArgument]]) async throws -> [RESPValue] {
        let route = try Self.route(commands, "MULTI")
        let replies = try await routed("MULTI", route) { client, asking -> (RESPValue, [RESPValue]) in
            let replies = try await client.pipeline((asking ? [["ASKING"]] : []) + [["MULTI"]] + commands + [["EXEC"]])
            let own = Array(replies.dropFirst(asking ? 1 : 0))
            // A queued command answered with a redirection: the whole transaction goes there.
            let redirected = own.dropLast().first { reply in
                guard let message = reply.errorMessage else { return false }
                return ["MOVED ", "ASK ", "TRYAGAIN", "CLUSTERDOWN"].contains { message.hasPrefix($0) }
            }
            return (redirected ?? .array([]), own)
        }
        return try RedisClient.transactionResults(replies)
    }

    /// EVALSHA on the master of the keys' slot; on NOSCRIPT (a new master after a failover has an
    /// empty script cache) EVAL, which caches it there.
    @discardableResult
    public func eval(_ script: RedisScript, keys: [String] = [], arguments: [RedisArgument] = []) async throws -> RESPValue {
        let tail = [RedisArgument(keys.count)] + keys.map { RedisArgument($0) } + arguments
        do {
            return try await send(["EVALSHA", RedisArgument(script.sha1)] + tail)
        } catch let error as RedisError where error.isServerError("NOSCRIPT") {
            return try await send(["EVAL", RedisArgument(script.source)] + tail)
        }
    }

    /// Each command to its own slot's master, concurrently; the replies in order (error replies in
    /// place, like ``RedisClient/pipeline(_:)``). Not atomic, and not one round trip.
    public func pipeline(_ commands: [[RedisArgument]]) async throws -> [RESPValue] {
        try await withThrowingTaskGroup(of: (Int, RESPValue).self) { group in
            for (index, command) in commands.enumerated() { group.addTask { (index, try await self.sendRaw(command)) } }
            var replies = [RESPValue](repeating: .null, count: commands.count)
            for try await (index, reply) in group { replies[index] = reply }
            return replies
        }
    }

    /// ``eval(_:keys:arguments:)`` followed, on the same node connection, by `WAIT n timeout` for
    /// n = `replicas`, at most the replicas the slot map lists for that master (a master left
    /// without any, after a failover, is not waited for: nothing could confirm). Returns the
    /// script's reply and whether n replicas confirmed (always true for n = 0). Redis replicates
    /// asynchronously: a write not confirmed may be lost if its master dies now.
    public func evalWaiting(_ script: RedisScript, keys: [String], arguments: [RedisArgument], replicas: Int,
                            timeoutMilliseconds: Int) async throws -> (reply: RESPValue, replicated: Bool) {
        if ContinuousClock.now - learntAt > Self.mapMaximumAge { refreshInBackground() }
        let tail = [RedisArgument(keys.count)] + keys.map { RedisArgument($0) } + arguments
        let route = try RedisClusterRoute.of(["EVALSHA", RedisArgument(script.sha1)] + tail)
        let wanted: Int
        if case .slot(let slot) = route { wanted = min(replicas, map.replicaCount(forSlot: slot)) } else { wanted = 0 }
        guard wanted > 0 else {
            let reply = try await sendRaw(["EVALSHA", RedisArgument(script.sha1)] + tail)
            guard reply.errorMessage?.hasPrefix("NOSCRIPT") == true else { return (reply, true) }
            return (try await sendRaw(["EVAL", RedisArgument(script.source)] + tail), true)
        }
        let wait: [RedisArgument] = ["WAIT", RedisArgument(wanted), RedisArgument(timeoutMilliseconds)]
        func attempt(_ command: [RedisArgument]) async throws -> [RESPValue] {
            try await routed("EVALSHA", route) { client, asking in
                let replies = try await client.pipeline((asking ? [["ASKING"]] : []) + [command, wait])
                return (replies[replies.count - 2], Array(replies.suffix(2)))
            }
        }
        var replies = try await attempt(["EVALSHA", RedisArgument(script.sha1)] + tail)
        if replies[0].errorMessage?.hasPrefix("NOSCRIPT") == true { replies = try await attempt(["EVAL", RedisArgument(script.source)] + tail) }
        let confirmed = replies[1].int ?? 0
        if confirmed < wanted {
            logger.warning("a write was confirmed by \(confirmed) of \(wanted) replicas within \(timeoutMilliseconds) ms; learning the slot map again")
            refreshInBackground()
        }
        return (replies[0], confirmed >= wanted)
    }

    /// Classic PUBLISH: any node takes it and the cluster forwards it to every node (for the few
    /// global channels). Returns the receivers on the node it was sent to only.
    @discardableResult
    public func publish(_ channel: String, _ payload: RedisArgument) async throws -> Int {
        try Self.integer(await send(["PUBLISH", RedisArgument(channel), payload]), "PUBLISH")
    }

    /// SPUBLISH: the channel's slot's master delivers it to its shard's subscribers only.
    @discardableResult
    public func spublish(_ channel: String, _ payload: RedisArgument) async throws -> Int {
        try Self.integer(await send(["SPUBLISH", RedisArgument(channel), payload]), "SPUBLISH")
    }

    public func get(_ key: String) async throws -> [UInt8]? {
        switch try await send(["GET", RedisArgument(key)]) {
        case .bulkString(let bytes): return bytes
        case .null: return nil
        case let other: throw RedisError.unexpectedReply("GET returned \(other)")
        }
    }

    @discardableResult
    public func set(_ key: String, _ value: RedisArgument, onlyIfNotExists: Bool = false,
                    expiryMilliseconds: Int? = nil) async throws -> Bool {
        var command: [RedisArgument] = ["SET", RedisArgument(key), value]
        if onlyIfNotExists { command.append("NX") }
        if let expiryMilliseconds { command += ["PX", RedisArgument(expiryMilliseconds)] }
        return try await send(command) != .null
    }

    // MARK: Routing

    /// The one slot of every key of `commands` (any node when they name none).
    static func route(_ commands: [[RedisArgument]], _ name: String) throws -> RedisClusterRoute {
        var slot: Int?
        for command in commands {
            guard case .slot(let next) = try RedisClusterRoute.of(command) else { continue }
            if let slot, slot != next { throw RedisError.crossSlot(command: name) }
            slot = next
        }
        return slot.map { .slot($0) } ?? .anyNode
    }

    /// Runs `attempt` on the right node until ``RedisClusterRetry`` says it is done. `attempt`
    /// returns the reply that decides (a redirection or not) and the value handed back.
    private func routed<T: Sendable>(_ name: String, _ route: RedisClusterRoute,
                                     _ attempt: @Sendable (RedisClient, _ asking: Bool) async throws -> (RESPValue, T)) async throws -> T {
        var retry = RedisClusterRetry(command: name, maximumAttempts: configuration.maximumAttempts)
        var target: RedisClusterNode?
        var asking = false
        while true {
            if isClosed { throw RedisError.clientClosed }
            let action: RedisClusterRetry.Action
            var value: T?
            do {
                let node = try target ?? owner(route)
                let client = try await client(for: node)
                let (reply, result) = try await attempt(client, asking)
                value = result
                action = retry.next(after: .reply(reply, from: node))
            } catch let error as RedisError {
                action = retry.next(after: .unreachable(error))
            }
            switch action {
            case .finish:
                return value!
            case .moved(let slot, let node):
                redirections += 1
                map.assign(slot: slot, to: node)
                target = node
                asking = false
                refreshInBackground()  // a resharding moves many slots: learn them all at once
            case .ask(let node):
                redirections += 1
                target = node
                asking = true
            case .retry(let refresh, let delay):
                if delay > 0 { try await Task.sleep(for: .milliseconds(delay)) }
                if refresh { try? await refreshMap() }
                target = nil
                asking = false
            case .fail(let error):
                throw error
            }
        }
    }

    /// The master of the route's slot, any master for no key; `.notConnected` when the map has none.
    private func owner(_ route: RedisClusterRoute) throws -> RedisClusterNode {
        switch route {
        case .slot(let slot):
            guard let node = map.master(forSlot: slot) else { throw RedisError.notConnected(.disconnected) }
            return node
        case .anyNode:
            guard let node = map.masters.first(where: { clients[$0] != nil }) ?? map.masters.first else {
                throw RedisError.notConnected(.disconnected)
            }
            return node
        }
    }

    /// The node's client, connected once (concurrent callers share the attempt); a failed first
    /// connect is forgotten so the next command tries again.
    private func client(for node: RedisClusterNode) async throws -> RedisClient {
        if let task = clients[node] { return try await task.value }
        let configuration = configuration.configuration(for: node)
        let group = eventLoopGroup, logger = logger
        let task = Task { try await RedisClient.connect(configuration: configuration, eventLoopGroup: group, logger: logger) }
        clients[node] = task
        do {
            return try await task.value
        } catch {
            if clients[node] == task { clients[node] = nil }
            throw error
        }
    }

    // MARK: The slot map

    /// Learns the slot map again (concurrent callers share one refresh): from the known masters
    /// first, then the seeds; the first that answers with a map that passes the checks wins.
    /// Clients of nodes that serve no slot any more are closed.
    public func refreshMap() async throws {
        if let refreshing { return try await refreshing.value }
        let task = Task { try await self.learnMap() }
        refreshing = task
        defer { refreshing = nil }
        try await task.value
    }

    private func refreshInBackground() {
        guard refreshing == nil else { return }
        Task { try? await self.refreshMap() }
    }

    private func learnMap() async throws {
        var failures: [String] = []
        var candidates = map.masters
        for seed in configuration.seeds where !candidates.contains(seed) { candidates.append(seed) }
        for node in candidates {
            do {
                let client = try await client(for: node)
                let learnt = try RedisClusterSlotMap(clusterSlots: try await client.send(["CLUSTER", "SLOTS"]), replyingHost: node.host)
                adopt(learnt)
                return
            } catch {
                failures.append("\(node): \(error)")
            }
        }
        throw RedisError.clusterSlotMap(failures.joined(separator: "; "))
    }

    private func adopt(_ learnt: RedisClusterSlotMap) {
        if learnt != map {
            logger.info("redis cluster slot map: \(learnt.ranges.map { "\($0.0.lowerBound)-\($0.0.upperBound)@\($0.1)" }.joined(separator: " "))")
            if mapRefreshes > 0 { changes.wrappingIncrement(ordering: .relaxed) }
        }
        map = learnt
        mapRefreshes += 1
        learntAt = .now
        covered.store(learnt.coveredSlots == RedisClusterSlot.count, ordering: .relaxed)
        // Only masters keep a connection: one to a dead node (or a seed that is a replica) would
        // otherwise reconnect for ever. Seeds are dialled again only when no master answers.
        let keep = Set(learnt.masters)
        for (node, task) in clients where !keep.contains(node) {
            clients[node] = nil
            dropped.wrappingIncrement(ordering: .relaxed)
            logger.notice("redis cluster: closing the connection to \(node), which serves no slot (failed over, emptied, or a replica seed)")
            Task { await (try? task.value)?.close() }
        }
    }

    private static func integer(_ reply: RESPValue, _ command: String) throws -> Int {
        guard case .integer(let n) = reply else { throw RedisError.unexpectedReply("\(command) returned \(reply)") }
        return n
    }
}
