import NIOConcurrencyHelpers
import Redis
import RelayProtocol

/// Reads the authority lease periodically. PUBLISH's receiver count cannot tell whether an
/// authority is listening (an operator's `PSUBSCRIBE 'monopoly:*'` counts too); the lease can.
final class AuthorityMonitor: Sendable {
    private let redis: @Sendable () throws -> RedisClient
    private let interval: Duration
    private let holder = NIOLockedValueBox<String?>(nil)

    init(interval: Duration, redis: @escaping @Sendable () throws -> RedisClient) {
        self.redis = redis
        self.interval = interval
    }

    var isAlive: Bool { holder.withLockedValue { $0 != nil } }
    var currentHolder: String? { holder.withLockedValue { $0 } }

    func run() async {
        while !Task.isCancelled {
            await check()
            try? await Task.sleep(for: interval)
        }
    }

    func check() async {
        let value = try? await redis().getString(RedisChannels.authorityLeaseKey)
        holder.withLockedValue { $0 = value }
    }
}
