import NIOCore
import NIOPosix
import Redis
import TestSupport

struct TimedOut: Error, CustomStringConvertible {
    let what: String
    var description: String { "timed out waiting for \(what)" }
}

/// Runs `body`, failing with TimedOut after `seconds`.
func withTimeout<T: Sendable>(_ seconds: Double, _ what: String = "operation",
                              _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
            throw TimedOut(what: what)
        }
        let result = try await group.next()!
        group.cancelAll()
        return result
    }
}

/// Waits until `condition` holds (polling), or throws.
func eventually(_ seconds: Double = 10, _ what: String = "condition",
                _ condition: @escaping @Sendable () async -> Bool) async throws {
    let clock = ContinuousClock()
    let deadline = clock.now + .milliseconds(Int(seconds * 1000))
    while clock.now < deadline {
        if await condition() { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    // One last look: on a loaded machine this task can be starved past the deadline between two
    // looks (the cooperative pool is shared with tests that block), which is not the condition failing.
    if await condition() { return }
    throw TimedOut(what: what)
}

/// Pulls the next message from a subscriber's stream within `seconds`.
final class MessageReader: @unchecked Sendable {
    private var iterator: AsyncStream<RedisPubSubMessage>.AsyncIterator
    init(_ subscriber: RedisSubscriber) { iterator = subscriber.messages.makeAsyncIterator() }

    func next(_ seconds: Double = 5) async throws -> RedisPubSubMessage {
        try await withTimeout(seconds, "a pub/sub message") { [self] in
            guard let message = await self.iterator.next() else { throw TimedOut(what: "message (stream finished)") }
            return message
        }
    }
}

let group: EventLoopGroup = MultiThreadedEventLoopGroup.singleton

/// Fast reconnects and probes so restart tests finish quickly.
func testConfiguration(_ url: String) throws -> RedisConfiguration {
    var config = try RedisConfiguration(url: url)
    config.reconnectBaseDelay = .milliseconds(20)
    config.reconnectMaxDelay = .milliseconds(200)
    config.commandTimeout = .seconds(5)
    config.healthCheckInterval = .milliseconds(200)
    // Lenient enough that a loaded CI machine doesn't trip it; the half-dead test still sees the
    // probe fire within its window.
    config.healthCheckTimeout = .milliseconds(1500)
    return config
}
