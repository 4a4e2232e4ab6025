import NIOConcurrencyHelpers
import Redis
import RelayProtocol

/// Reads the authority lease periodically. PUBLISH's receiver count cannot tell whether an
/// authority is listening (an operator's `PSUBSCRIBE 'monopoly:*'` counts too); the lease can.
/// The relay's core hears of every read; the holder is kept here for `/healthz`.
final class AuthorityMonitor: Sendable {
    private let redis: @Sendable () async throws -> RedisCommands
    private let interval: Duration
    private let holder = NIOLockedValueBox<String?>(nil)

    init(interval: Duration, redis: @escaping @Sendable () async throws -> RedisCommands) {
        self.redis = redis
        self.interval = interval
    }

    var currentHolder: String? { holder.withLockedValue { $0 } }

    /// Reads the lease every `interval`, telling `observed` whether an authority holds it.
    func run(observed: @escaping @Sendable (Bool) -> Void) async {
        while !Task.isCancelled {
            observed(await check() != nil)
            try? await Task.sleep(for: interval)
        }
    }

    @discardableResult
    func check() async -> String? {
        let value = try? await redis().getString(RedisChannels.authorityLeaseKey)
        record(value)
        return value
    }

    func record(_ value: String?) {
        holder.withLockedValue { $0 = value }
    }
}
