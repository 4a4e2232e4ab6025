import Atomics
import Logging
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The reconnecting connection shared by ``RedisClient`` and ``RedisSubscriber``.
///
/// All mutable state lives on one event loop (`eventLoop`); public entry points hop onto it.
/// The state and the counters are mirrored in atomics so they can be read from any thread.
final class RedisConnection: @unchecked Sendable {
    let eventLoop: EventLoop
    let logger: Logger
    let subscriberMode: Bool

    // Loop-confined.
    private(set) var configuration: RedisConfiguration
    private var loopState: RedisConnectionState = .connecting
    private var handler: RedisChannelHandler?
    private var channel: Channel?
    private var attempt = 0
    private var isClosed = false
    private var reconnectTask: Scheduled<Void>?
    private var tickTask: RepeatedTask?
    private var observers: [Int: AsyncStream<RedisConnectionState>.Continuation] = [:]
    private var nextObserverID = 0
    private var lastProbe = NIODeadline.now()

    /// Subscriber hooks, set before `start` and only used on the loop.
    var onPush: ((RESPValue) -> Void)?
    /// Extra handshake commands (re-SUBSCRIBE / re-PSUBSCRIBE) and how many replies each yields.
    var extraHandshake: (() -> [(command: [RedisArgument], replies: Int)])?
    /// Called on the loop each time the connection becomes ready (after the handshake).
    var onReady: (() -> Void)?

    // Any thread.
    private let atomicState = ManagedAtomic<UInt8>(0)
    let reconnects = ManagedAtomic<Int>(0)
    let connectionLosses = ManagedAtomic<Int>(0)
    let failedConnectAttempts = ManagedAtomic<Int>(0)
    let publishErrors = ManagedAtomic<Int>(0)
    let timeouts = ManagedAtomic<Int>(0)
    let protocolErrors = ManagedAtomic<Int>(0)
    let failedProbes = ManagedAtomic<Int>(0)
    let messagesReceived = ManagedAtomic<Int>(0)

    init(configuration: RedisConfiguration, eventLoop: EventLoop, logger: Logger, subscriberMode: Bool) {
        self.configuration = configuration
        self.eventLoop = eventLoop
        self.subscriberMode = subscriberMode
        var logger = logger
        logger[metadataKey: "redis"] = "\(configuration.redactedURL)"
        self.logger = logger
    }

    // MARK: State

    private static let states: [RedisConnectionState] = [.connecting, .ready, .disconnected, .closed]

    var state: RedisConnectionState {
        Self.states[Int(atomicState.load(ordering: .acquiring))]
    }

    var statistics: RedisConnectionStatistics {
        RedisConnectionStatistics(
            reconnects: reconnects.load(ordering: .relaxed),
            connectionLosses: connectionLosses.load(ordering: .relaxed),
            failedConnectAttempts: failedConnectAttempts.load(ordering: .relaxed),
            publishErrors: publishErrors.load(ordering: .relaxed),
            timeouts: timeouts.load(ordering: .relaxed),
            protocolErrors: protocolErrors.load(ordering: .relaxed),
            failedProbes: failedProbes.load(ordering: .relaxed),
            messagesReceived: messagesReceived.load(ordering: .relaxed))
    }

    private func setState(_ new: RedisConnectionState) {
        eventLoop.assertInEventLoop()
        guard loopState != .closed, new != loopState else { return }
        loopState = new
        atomicState.store(UInt8(Self.states.firstIndex(of: new)!), ordering: .releasing)
        logger.debug("redis connection state: \(new)")
        for continuation in observers.values { continuation.yield(new) }
        if new == .closed {
            for continuation in observers.values { continuation.finish() }
            observers.removeAll()
        }
    }

    /// A new stream of state changes; it starts with the current state.
    func stateChanges() -> AsyncStream<RedisConnectionState> {
        let (stream, continuation) = AsyncStream<RedisConnectionState>.makeStream(bufferingPolicy: .bufferingNewest(64))
        eventLoop.execute {
            continuation.yield(self.loopState)
            if self.loopState == .closed { continuation.finish(); return }
            let id = self.nextObserverID
            self.nextObserverID += 1
            self.observers[id] = continuation
            continuation.onTermination = { _ in
                self.eventLoop.execute { self.observers[id] = nil }
            }
        }
        return stream
    }

    // MARK: Connecting

    /// First connect: fails (and closes this connection) with a clear error if the server is
    /// unreachable or rejects AUTH/SELECT. Afterwards losses are retried forever with backoff.
    func start() -> EventLoopFuture<Void> {
        eventLoop.flatSubmit {
            self.startTicking()
            return self.connectOnce().flatMapError { error in
                self.closeNow()
                return self.eventLoop.makeFailedFuture(error)
            }
        }
    }

    private func connectOnce() -> EventLoopFuture<Void> {
        eventLoop.assertInEventLoop()
        setState(.connecting)
        let config = configuration
        let handler = RedisChannelHandler(maximumReplyBytes: config.maximumReplyBytes,
                                          subscriberMode: subscriberMode,
                                          flushThreshold: config.flushThresholdBytes)
        handler.onPush = { [weak self] value in self?.onPush?(value) }
        handler.onProtocolError = { [weak self] error in
            guard let self else { return }
            self.protocolErrors.wrappingIncrement(ordering: .relaxed)
            self.logger.error("redis protocol error, dropping connection: \(error)")
            self.markLost()
        }
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(config.connectTimeout)
            .channelOption(ChannelOptions.socketOption(.so_keepalive), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            }
        return bootstrap.connect(host: config.host, port: config.port)
            .flatMapErrorThrowing { error in throw Self.mapConnectError(error, config) }
            .flatMap { channel -> EventLoopFuture<Void> in
                if self.isClosed {
                    channel.close(promise: nil)
                    return self.eventLoop.makeFailedFuture(RedisError.clientClosed)
                }
                self.channel = channel
                self.handler = handler
                channel.closeFuture.whenComplete { _ in self.channelClosed(channel) }
                return self.handshake(handler, config).flatMapError { error in
                    handler.fail(error as? RedisError ?? .connectionClosed(reason: "\(error)"))
                    return self.eventLoop.makeFailedFuture(error)
                }
            }
            .map {
                self.attempt = 0
                self.lastProbe = .now()
                self.setState(.ready)
                self.onReady?()
            }
    }

    /// PING (proves the server speaks RESP), AUTH, SELECT, CLIENT SETNAME, then the subscriber's
    /// re-SUBSCRIBE/PSUBSCRIBE, all pipelined in one round trip.
    private func handshake(_ handler: RedisChannelHandler, _ config: RedisConfiguration) -> EventLoopFuture<Void> {
        enum Step: Sendable { case auth, select, name, ping, extra }
        var commands: [[RedisArgument]] = []
        var steps: [Step] = []
        if let password = config.password {
            var auth: [RedisArgument] = ["AUTH"]
            if let username = config.username { auth.append(RedisArgument(username)) }
            auth.append(RedisArgument(password))
            commands.append(auth)
            steps.append(.auth)
        }
        commands.append(["PING"])
        steps.append(.ping)
        if config.database != 0 {
            commands.append(["SELECT", RedisArgument(config.database)])
            steps.append(.select)
        }
        if let name = config.clientName {
            commands.append(["CLIENT", "SETNAME", RedisArgument(name)])
            steps.append(.name)
        }
        var repliesPerCommand = Array(repeating: 1, count: commands.count)
        for extra in extraHandshake?() ?? [] {
            commands.append(extra.command)
            repliesPerCommand.append(extra.replies)
        }
        let expected = repliesPerCommand.reduce(0, +)
        let promise = eventLoop.makePromise(of: [RESPValue].self)
        let collector = BatchCollector(expected: expected, promise: promise)
        let deadline = NIODeadline.now() + config.commandTimeout
        if let error = handler.enqueue(commands, repliesPerCommand: repliesPerCommand, sink: .batch(collector), deadline: deadline) {
            return eventLoop.makeFailedFuture(error)
        }
        let finalSteps = steps
        return promise.futureResult.flatMapThrowing { replies in
            let steps = finalSteps
            for (step, reply) in zip(steps, replies) {
                guard case .error(let message) = reply else { continue }
                switch step {
                case .auth: throw RedisError.authenticationFailed(message)
                case .ping:
                    // NOAUTH: the server wants a password we don't have. Anything else (LOADING ...)
                    // is the server's own state: reported as is, and retried like any failure.
                    if message.hasPrefix("NOAUTH") || message.hasPrefix("WRONGPASS") {
                        throw RedisError.authenticationFailed(message)
                    }
                    throw RedisError.server(message)
                case .select: throw RedisError.selectFailed(database: config.database, message: message)
                case .name, .extra: throw RedisError.server(message)
                }
            }
            for reply in replies.dropFirst(steps.count) {
                if case .error(let message) = reply { throw RedisError.server("resubscribe failed: \(message)") }
            }
        }
    }

    static func mapConnectError(_ error: Error, _ config: RedisConfiguration) -> RedisError {
        if let redisError = error as? RedisError { return redisError }
        if isRefused(error) { return .connectionRefused(host: config.host, port: config.port) }
        if error is ChannelError, case .connectTimeout = error as! ChannelError {
            return .connectionFailed(host: config.host, port: config.port, reason: "connect timed out after \(config.connectTimeout.nanoseconds / 1_000_000) ms")
        }
        return .connectionFailed(host: config.host, port: config.port, reason: "\(error)")
    }

    private static func isRefused(_ error: Error) -> Bool {
        if let io = error as? IOError { return io.errnoCode == ECONNREFUSED }
        if let multi = error as? NIOConnectionError {
            return !multi.connectionErrors.isEmpty && multi.connectionErrors.allSatisfy { isRefused($0.error) }
        }
        return false
    }

    /// The channel went away (EOF, reset, or closed by us after a protocol error, timeout or probe failure).
    private func channelClosed(_ closed: Channel) {
        eventLoop.assertInEventLoop()
        guard channel === closed else { return }
        channel = nil
        handler = nil
        markLost()
    }

    /// An established connection is gone or being dropped: not ready from this instant (before any
    /// pending command's failure is delivered), reconnect in the background. While .connecting,
    /// connectOnce's failure path schedules the retry instead.
    private func markLost() {
        eventLoop.assertInEventLoop()
        guard !isClosed, loopState == .ready else { return }
        connectionLosses.wrappingIncrement(ordering: .relaxed)
        logger.warning("redis connection lost; reconnecting")
        setState(.disconnected)
        scheduleReconnect()
    }

    private func scheduleReconnect() {
        eventLoop.assertInEventLoop()
        guard !isClosed else { return }
        let delay = backoff(attempt: attempt)
        attempt += 1
        reconnectTask = eventLoop.scheduleTask(in: delay) {
            self.reconnectTask = nil
            guard !self.isClosed else { return }
            self.connectOnce().whenComplete { result in
                switch result {
                case .success:
                    self.reconnects.wrappingIncrement(ordering: .relaxed)
                    self.logger.info("redis reconnected")
                case .failure(let error):
                    guard !self.isClosed else { return }
                    self.failedConnectAttempts.wrappingIncrement(ordering: .relaxed)
                    self.logger.warning("redis reconnect attempt \(self.attempt) failed: \(error)")
                    self.setState(.disconnected)
                    self.scheduleReconnect()
                }
            }
        }
    }

    /// Capped exponential backoff with jitter: a random delay in [d/2, d], d = min(max, base·2ⁿ).
    func backoff(attempt: Int) -> TimeAmount {
        let base = max(configuration.reconnectBaseDelay.nanoseconds, 1_000_000)
        let cap = max(configuration.reconnectMaxDelay.nanoseconds, base)
        let exponent = min(attempt, 30)
        let (scaled, overflow) = base.multipliedReportingOverflow(by: Int64(1) << exponent)
        let ceiling = overflow ? cap : min(scaled, cap)
        return .nanoseconds(Int64.random(in: (ceiling / 2)...ceiling))
    }

    // MARK: Timeouts and liveness

    private func startTicking() {
        let config = configuration
        var interval = config.commandTimeout
        if let probe = config.healthCheckInterval { interval = min(interval, probe, config.healthCheckTimeout) }
        let tick = TimeAmount.nanoseconds(max(interval.nanoseconds / 4, 5_000_000))
        tickTask = eventLoop.scheduleRepeatedTask(initialDelay: tick, delay: tick) { _ in self.tick() }
    }

    private func tick() {
        // Deadlines are checked while connecting too: a handshake to a server that accepts TCP but
        // never answers (paused, wedged) must time out and be retried, not hang.
        guard let handler, loopState == .ready || loopState == .connecting else { return }
        let now = NIODeadline.now()
        // Count first, then fail: a caller resuming from the failure must see the counter.
        switch handler.overdue(now: now) {
        case .command?:
            timeouts.wrappingIncrement(ordering: .relaxed)
            logger.warning("redis command timed out after \(configuration.commandTimeout); dropping connection")
            markLost()
            handler.fail(.timeout(milliseconds: configuration.commandTimeout.nanoseconds / 1_000_000))
            return
        case .probe?:
            failedProbes.wrappingIncrement(ordering: .relaxed)
            logger.warning("redis liveness probe unanswered after \(configuration.healthCheckTimeout); dropping connection")
            markLost()
            handler.fail(.connectionClosed(reason: "liveness probe (PING) unanswered: connection half-dead"))
            return
        case nil:
            break
        }
        guard loopState == .ready, let interval = configuration.healthCheckInterval, handler.pending.isEmpty,
              now - handler.lastReadTime >= interval, now - lastProbe >= interval else { return }
        lastProbe = now
        _ = handler.enqueue(["PING"], sink: .probe, deadline: now + configuration.healthCheckTimeout)
    }

    // MARK: Commands

    /// Sends one command; the future gets the raw reply (error replies as `.error`).
    /// Fails fast with `.notConnected` unless the connection is ready.
    func send(_ command: [RedisArgument]) -> EventLoopFuture<RESPValue> {
        let promise = eventLoop.makePromise(of: RESPValue.self)
        let current = state
        guard current == .ready else {
            promise.fail(current == .closed ? RedisError.clientClosed : RedisError.notConnected(current))
            return promise.futureResult
        }
        if eventLoop.inEventLoop {
            enqueue(command, promise)
        } else {
            eventLoop.execute { self.enqueue(command, promise) }
        }
        return promise.futureResult
    }

    private func enqueue(_ command: [RedisArgument], _ promise: EventLoopPromise<RESPValue>) {
        guard loopState == .ready, let handler else {
            promise.fail(loopState == .closed ? RedisError.clientClosed : RedisError.notConnected(loopState))
            return
        }
        if let error = handler.enqueue(command, sink: .promise(promise), deadline: .now() + configuration.commandTimeout) {
            promise.fail(error)
        }
    }

    /// Sends commands back to back (nothing else is interleaved) expecting one reply per command,
    /// or `repliesPerCommand[i]` for command i; the future gets them all, in order.
    func sendBatch(_ commands: [[RedisArgument]], repliesPerCommand: [Int]? = nil) -> EventLoopFuture<[RESPValue]> {
        let expected = repliesPerCommand?.reduce(0, +) ?? commands.count
        let promise = eventLoop.makePromise(of: [RESPValue].self)
        if expected == 0 {
            promise.succeed([])
            return promise.futureResult
        }
        let current = state
        guard current == .ready else {
            promise.fail(current == .closed ? RedisError.clientClosed : RedisError.notConnected(current))
            return promise.futureResult
        }
        let work: @Sendable () -> Void = {
            guard self.loopState == .ready, let handler = self.handler else {
                promise.fail(self.loopState == .closed ? RedisError.clientClosed : RedisError.notConnected(self.loopState))
                return
            }
            let collector = BatchCollector(expected: expected, promise: promise)
            if let error = handler.enqueue(commands, repliesPerCommand: repliesPerCommand, sink: .batch(collector),
                                           deadline: .now() + self.configuration.commandTimeout) {
                promise.fail(error)
            }
        }
        if eventLoop.inEventLoop { work() } else { eventLoop.execute(work) }
        return promise.futureResult
    }

    /// Changes what the next reconnect uses (after a successful SELECT / AUTH).
    func updateConfiguration(_ body: @escaping @Sendable (inout RedisConfiguration) -> Void) {
        eventLoop.execute { body(&self.configuration) }
    }

    // MARK: Closing

    /// For the facades' deinit: a client dropped without `close()` must not reconnect forever.
    func closeSoon() {
        eventLoop.execute { if !self.isClosed { self.closeNow() } }
    }

    func close() -> EventLoopFuture<Void> {
        eventLoop.flatSubmit {
            let channel = self.channel
            self.closeNow()
            guard let channel else { return self.eventLoop.makeSucceededVoidFuture() }
            return channel.closeFuture.flatMapErrorThrowing { _ in }
        }
    }

    private func closeNow() {
        eventLoop.assertInEventLoop()
        isClosed = true
        reconnectTask?.cancel()
        reconnectTask = nil
        tickTask?.cancel()
        tickTask = nil
        handler?.fail(.clientClosed)
        channel?.close(promise: nil)
        setState(.closed)
    }
}
