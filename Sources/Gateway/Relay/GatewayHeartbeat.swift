import Logging
import NIOCore
import Redis
import RelayProtocol

/// The gateway's heartbeat: `monopoly:gateway:{NAME}` holds this boot's instance id (see
/// `GatewayIdentity`) with a TTL of `GATEWAY_TIMEOUT`, renewed every third of it on a Redis
/// connection of its own, so a busy publisher never delays it. When it expires (the gateway died or
/// lost Redis for that long) the authority treats every seat bound to the instance as disconnected.
/// Taken with SET NX: a second live gateway under the same name refuses to start.
/// Plain GET, SET, PEXPIRE and DEL on `monopoly:gateway:*` keys: no script.
final class GatewayHeartbeat: Sendable {
    /// What a renewal does, given who holds the key now.
    enum Step: Equatable {
        /// Ours: push the expiry back.
        case extend
        /// Expired (we were away longer than the timeout, or Redis lost it): take it again.
        case claim
        /// Another live gateway took our name meanwhile.
        case lost(holder: String)
    }

    static func step(holder: String?, instance: String) -> Step {
        switch holder {
        case instance: .extend
        case nil: .claim
        case let other?: .lost(holder: other)
        }
    }

    /// What a renewal that went through did.
    enum Renewal: Equatable {
        case extended
        /// The key had expired: it was taken again.
        case reclaimed
    }

    /// Whether the heartbeat lapsed before `renewal`: the key had expired, or this renewal comes
    /// `sinceLastRenewal` after the last one that went through, `timeout` or more (the process was
    /// paused, or cut off from Redis, for that long: the key expired meanwhile even if it was
    /// taken again before we looked). The authority may have disconnected every seat bound here.
    static func lapsed(_ renewal: Renewal, sinceLastRenewal: Duration, timeout: Duration) -> Bool {
        renewal == .reclaimed || sinceLastRenewal >= timeout
    }

    let identity: GatewayIdentity
    let timeout: Duration
    private let client: RedisCommands
    private let logger: Logger
    private var key: String { RedisChannels.gatewayHeartbeatKey(name: identity.name) }
    private var milliseconds: Int { Int(timeout.components.seconds) * 1000 + Int(timeout.components.attoseconds / 1_000_000_000_000_000) }

    private init(identity: GatewayIdentity, timeout: Duration, client: RedisCommands, logger: Logger) {
        self.identity = identity
        self.timeout = timeout
        self.client = client
        self.logger = logger
    }

    /// Connects (retrying until Redis answers) and takes the name; throws `GatewayNameInUse` if a live
    /// gateway holds it.
    static func claim(_ identity: GatewayIdentity, timeout: Duration, redis: RedisTarget, group: any EventLoopGroup,
                      logger: Logger) async throws -> GatewayHeartbeat {
        var delay = Duration.milliseconds(100)
        while true {
            try Task.checkCancellation()
            do {
                let client = try await RedisCommands.connect(redis, eventLoopGroup: group, logger: logger)
                let heartbeat = GatewayHeartbeat(identity: identity, timeout: timeout, client: client, logger: logger)
                do {
                    try await heartbeat.take()
                } catch {
                    await client.close()
                    throw error
                }
                return heartbeat
            } catch let error as GatewayNameInUse {
                throw error
            } catch {
                logger.warning("Redis not reachable for the heartbeat: \(error); retrying in \(delay)")
                try await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(2))
            }
        }
    }

    private func take() async throws {
        for _ in 0..<3 {
            if try await client.set(key, identity.instance, onlyIfNotExists: true, expiryMilliseconds: milliseconds) { return }
            let holder = try await client.getString(key)
            if case .lost(let holder) = Self.step(holder: holder, instance: identity.instance) {
                throw GatewayNameInUse(name: identity.name, holder: holder, timeout: timeout)
            }
        }
    }

    /// Renews every third of the timeout, and at once when its connection is back (a restarted
    /// Redis may have lost the key). Throws `GatewayNameInUse` when another gateway took the name.
    /// `lapsed` is called when a renewal finds that the heartbeat lapsed (see `lapsed(_:...)`).
    func keepAlive(lapsed: @escaping @Sendable () -> Void = {}) async throws {
        let (wakes, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let client = self.client
        let reconnects = Task {
            var wasReady = true
            for await state in client.stateChanges {
                if state == .ready && !wasReady { wake.yield() }
                wasReady = state == .ready
            }
        }
        let ticks = Task { [period = timeout / 3] in
            while !Task.isCancelled {
                try? await Task.sleep(for: period)
                wake.yield()
            }
        }
        defer {
            reconnects.cancel()
            ticks.cancel()
            wake.finish()
        }
        var failing = false
        var lastRenewal = ContinuousClock.now
        for await _ in wakes {
            do {
                let started = ContinuousClock.now
                let renewal = try await renew()
                if Self.lapsed(renewal, sinceLastRenewal: started - lastRenewal, timeout: timeout) {
                    logger.warning("the heartbeat lapsed (\(started - lastRenewal) since the last renewal, GATEWAY_TIMEOUT \(timeout)): the authority may have disconnected the seats bound here; their clients are closed with 1012 to rejoin")
                    lapsed()
                }
                lastRenewal = started
                if failing { logger.info("heartbeat renewed again") }
                failing = false
            } catch let error as GatewayNameInUse {
                throw error
            } catch {
                if !failing { logger.warning("cannot renew the heartbeat: \(error); seats bound here are freed if it expires") }
                failing = true
            }
        }
    }

    private func renew() async throws -> Renewal {
        for _ in 0..<2 {
            switch Self.step(holder: try await client.getString(key), instance: identity.instance) {
            case .extend:
                if try await client.pexpire(key, milliseconds: milliseconds) { return .extended }
            case .claim:
                if try await client.set(key, identity.instance, onlyIfNotExists: true, expiryMilliseconds: milliseconds) {
                    logger.warning("the heartbeat had expired (away for longer than GATEWAY_TIMEOUT, or Redis lost it); taken again: seats bound here may have been freed")
                    return .reclaimed
                }
            case .lost(let holder):
                throw GatewayNameInUse(name: identity.name, holder: holder, timeout: timeout)
            }
        }
        throw HeartbeatContended()
    }

    /// The key changed hands twice while one renewal looked at it: tried again at the next tick.
    struct HeartbeatContended: Error {}

    /// Frees the name at a clean shutdown (a gateway restarted under it starts at once), unless
    /// another gateway holds it by now.
    func release() async {
        if (try? await client.getString(key)) == identity.instance { _ = try? await client.del(key) }
        await client.close()
    }
}

/// Another live gateway holds this gateway's name: this one must not run (it would be taken for
/// it). `monopoly gateway` prints it and exits with 78 (EX_CONFIG).
public struct GatewayNameInUse: Error, CustomStringConvertible {
    public let name: String
    public let holder: String
    public let timeout: Duration

    public var description: String {
        "gateway id \(name) is in use by a live gateway (instance \(holder) holds \(RedisChannels.gatewayHeartbeatKey(name: name))): "
            + "give each gateway its own GATEWAY_ID, or leave it unset for a unique one; a gateway that died without "
            + "shutting down frees its id \(timeout) (GATEWAY_TIMEOUT) after its last heartbeat"
    }
}
