import NIOCore

/// Where one expected reply goes.
enum ReplySink {
    /// A single command: the raw reply (error replies included) completes the promise.
    case promise(EventLoopPromise<RESPValue>)
    /// One reply of a pipelined batch (also used for the N confirmations of `SUBSCRIBE a b c`).
    case batch(BatchCollector)
    /// A liveness probe (PING): any reply proves the connection alive.
    case probe
}

/// Collects the replies of a batch in order and completes once with all of them.
final class BatchCollector {
    private(set) var results: [RESPValue] = []
    private let expected: Int
    private let promise: EventLoopPromise<[RESPValue]>
    private var finished = false

    init(expected: Int, promise: EventLoopPromise<[RESPValue]>) {
        self.expected = expected
        self.promise = promise
        results.reserveCapacity(expected)
    }

    func append(_ value: RESPValue) {
        guard !finished else { return }
        results.append(value)
        if results.count == expected {
            finished = true
            promise.succeed(results)
        }
    }

    func fail(_ error: Error) {
        guard !finished else { return }
        finished = true
        promise.fail(error)
    }
}

struct PendingReply {
    var sink: ReplySink
    var deadline: NIODeadline
    /// Further replies the same command yields after this one (SUBSCRIBE a b c: 2, 1, 0). If this
    /// reply is an error, Redis sends no more for the command (e.g. NOPERM for a channel), so the
    /// followers get the same error instead of waiting for replies that never come.
    var followers: Int = 0
}

/// The NIO handler of one Redis connection: encodes commands into a single outbound buffer
/// (flushed once per event-loop tick or when it grows past a threshold), feeds every inbound
/// byte to hiredis's reader and matches replies to the FIFO of pending sinks.
/// Everything here runs on the channel's event loop (hence `@unchecked Sendable`).
final class RedisChannelHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    enum Timeout { case command, probe }

    private let reader: HiredisReader
    private let subscriberMode: Bool
    private let flushThreshold: Int
    private(set) var pending = CircularBuffer<PendingReply>(initialCapacity: 64)
    private var outbound: ByteBuffer
    private var flushScheduled = false
    private var context: ChannelHandlerContext?
    private var failure: RedisError?
    /// Set just before this side closes the channel; becomes the error of every pending reply.
    var closeReason: RedisError?
    private(set) var lastReadTime = NIODeadline.now()

    /// Pub/sub pushes (`message` / `pmessage` / `smessage` / `sunsubscribe` arrays) in subscriber mode.
    var onPush: ((RESPValue) -> Void)?
    /// A protocol error (malformed / oversized reply). The handler closes the channel itself.
    var onProtocolError: ((RedisError) -> Void)?

    init(maximumReplyBytes: Int, subscriberMode: Bool, flushThreshold: Int) {
        self.reader = HiredisReader(maximumReplyBytes: maximumReplyBytes)
        self.subscriberMode = subscriberMode
        self.flushThreshold = flushThreshold
        self.outbound = ByteBufferAllocator().buffer(capacity: 4096)
    }

    var hasPendingProbe: Bool {
        pending.contains { if case .probe = $0.sink { return true } else { return false } }
    }

    // MARK: Outbound

    /// Queues `commands` back to back, all replies to `sink`: one reply per command, or
    /// `repliesPerCommand[i]` for command i (SUBSCRIBE with N channels answers N times).
    /// Returns the error (and queues nothing) if the connection is already failing.
    func enqueue(_ commands: [[RedisArgument]], repliesPerCommand: [Int]?, sink: ReplySink, deadline: NIODeadline) -> RedisError? {
        if let failure { return failure }
        guard context != nil else { return .connectionClosed(reason: "channel not active") }
        for (index, command) in commands.enumerated() {
            RESPEncoder.encode(command, into: &outbound)
            let replies = repliesPerCommand?[index] ?? 1
            for reply in 0..<replies {
                pending.append(PendingReply(sink: sink, deadline: deadline, followers: replies - 1 - reply))
            }
        }
        scheduleFlush()
        return nil
    }

    /// Fast path for one command with one reply.
    func enqueue(_ command: [RedisArgument], sink: ReplySink, deadline: NIODeadline) -> RedisError? {
        if let failure { return failure }
        guard context != nil else { return .connectionClosed(reason: "channel not active") }
        RESPEncoder.encode(command, into: &outbound)
        pending.append(PendingReply(sink: sink, deadline: deadline))
        scheduleFlush()
        return nil
    }

    private func scheduleFlush() {
        if outbound.readableBytes >= flushThreshold {
            flush()
        } else if !flushScheduled, let context {
            // Let every command already queued on this event loop join the batch first.
            flushScheduled = true
            context.eventLoop.execute { self.flush() }
        }
    }

    private func flush() {
        flushScheduled = false
        guard let context, outbound.readableBytes > 0 else { return }
        let buffer = outbound
        outbound = context.channel.allocator.buffer(capacity: max(4096, min(buffer.readableBytes, flushThreshold)))
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
    }

    // MARK: Inbound

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func handlerRemoved(context: ChannelHandlerContext) {
        failAll(closeReason ?? .connectionClosed(reason: "handler removed"))
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard failure == nil else { return }
        let buffer = unwrapInboundIn(data)
        lastReadTime = .now()
        do {
            try reader.feed(buffer) { value in try deliver(value) }
        } catch {
            let redisError = error as? RedisError ?? .protocolError("\(error)")
            onProtocolError?(redisError)  // counted before anyone sees the failure
            fail(redisError, context: context)
        }
    }

    private func deliver(_ value: RESPValue) throws {
        if subscriberMode, case .array(let parts) = value, parts.count >= 3,
           case .bulkString(let kind) = parts[0], Self.isPush(kind) {
            onPush?(value)
            return
        }
        guard let head = pending.popFirst() else {
            throw RedisError.protocolError("unsolicited reply with no command waiting: \(value)")
        }
        complete(head.sink, value)
        if head.followers > 0, case .error = value {
            for _ in 0..<head.followers {
                guard let follower = pending.popFirst() else { break }
                complete(follower.sink, value)
            }
        }
    }

    private func complete(_ sink: ReplySink, _ value: RESPValue) {
        switch sink {
        case .promise(let promise): promise.succeed(value)
        case .batch(let collector): collector.append(value)
        case .probe: break
        }
    }

    private static let message = Array("message".utf8)
    private static let pmessage = Array("pmessage".utf8)
    private static let smessage = Array("smessage".utf8)
    /// A sharded channel's unsubscription is always a push: the server sends it on its own when the
    /// channel's slot moves away, so it cannot be matched to a command (ours wait on a PING instead).
    private static let sunsubscribe = Array("sunsubscribe".utf8)
    private static func isPush(_ kind: [UInt8]) -> Bool { kind == message || kind == pmessage || kind == smessage || kind == sunsubscribe }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(closeReason ?? .connectionClosed(reason: "connection lost (EOF or reset by peer)"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        fail(closeReason ?? .connectionClosed(reason: "\(error)"), context: context)
    }

    // MARK: Failure

    /// Fails every pending reply with `error` and closes the channel. Idempotent.
    func fail(_ error: RedisError, context: ChannelHandlerContext? = nil) {
        if closeReason == nil { closeReason = error }
        failAll(error)
        (context ?? self.context)?.close(promise: nil)
    }

    private func failAll(_ error: RedisError) {
        if failure == nil { failure = error }
        outbound.clear()
        while let head = pending.popFirst() {
            switch head.sink {
            case .promise(let promise): promise.fail(error)
            case .batch(let collector): collector.fail(error)
            case .probe: break
            }
        }
    }

    /// Called periodically: is the oldest pending reply overdue? (Replies are matched in order, so
    /// nothing behind it can be answered first: the caller fails everything and closes.)
    func overdue(now: NIODeadline) -> Timeout? {
        guard failure == nil, let head = pending.first, head.deadline <= now else { return nil }
        if case .probe = head.sink { return .probe }
        return .command
    }
}
