import Logging
import Metrics
import Redis
import RelayProtocol

/// Frees the seats of gateways that died: every `interval` it reads the heartbeat key of each
/// gateway that holds a seat here (`GatewayBindings`), and for each seat bound to an instance whose
/// key expired (or names a newer instance: a restart under the same name) it submits the
/// `disconnect` that gateway can no longer send, as if the connection had closed: the reconnect
/// grace, the bots and the clocks follow as they do then. The game's runner checks the binding
/// again, so a seat taken back meanwhile is left alone.
struct GatewayLivenessMonitor: Sendable {
    let redis: RedisCommands
    let runners: RunnerRegistry
    let bindings: GatewayBindingsLedger
    var interval: Duration = .seconds(1)
    /// After the connection to Redis is (re)made, how long gateways get to renew keys a restarted
    /// Redis lost (their reconnect backoff is at most 2 s) before anyone is judged.
    var settle: Duration = .seconds(3)
    /// A disconnect submitted but not yet seen applied (its commit may have failed) is sent again after this.
    var resend: Duration = .seconds(5)
    let logger: Logger

    /// The synthetic disconnect's command id: never a gateway's (theirs are `NAME.BOOT-N`).
    static let commandID = "gateway-timeout"

    func run() async {
        let counter = Counter(label: "monopoly_authority_gateway_timeouts_total")
        var readiness = RedisReadiness()
        var submitted: [GatewayBindings.Binding: ContinuousClock.Instant] = [:]
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            guard readiness.settled(ready: redis.state == .ready, reconnects: redis.reconnects,
                                    now: .now, settle: settle) else { continue }
            let current = bindings.snapshot
            guard let holders = await heartbeats(of: current.gatewayNames.sorted()) else { continue }
            let lost = current.lost(holders: holders)
            let now = ContinuousClock.now
            submitted = submitted.filter { lost.contains($0.key) }
            let due = lost.filter { binding in submitted[binding].map { now - $0 >= resend } ?? true }
            let newlyDead = Set(due.filter { submitted[$0] == nil }.map(\.gateway))
            for instance in newlyDead.sorted() {
                counter.increment()
                logger.warning("gateway \(instance) stopped renewing its heartbeat: its seats are disconnected",
                               metadata: ["seats": "\(lost.filter { $0.gateway == instance }.count)"])
            }
            for binding in due {
                submitted[binding] = now
                await runners.dispatch(CommandEnvelope(id: Self.commandID, gateway: binding.gateway, connection: binding.connection,
                                                       game: binding.game, player: binding.player, message: .disconnect))
            }
        }
    }

    /// Name -> the instance its key names (nil: no key); nil when Redis did not answer. A name
    /// whose reply is not a string is left out (not judged).
    private func heartbeats(of names: [String]) async -> [String: String?]? {
        guard !names.isEmpty else { return [:] }
        let commands = names.map { [RedisArgument("GET"), RedisArgument(RedisChannels.gatewayHeartbeatKey(name: $0))] }
        guard let replies = try? await redis.pipeline(commands), replies.count == names.count else { return nil }
        var holders: [String: String?] = [:]
        for (name, reply) in zip(names, replies) {
            switch reply {
            case .bulkString(let bytes): holders.updateValue(String(decoding: bytes, as: UTF8.self), forKey: name)
            case .null: holders.updateValue(nil, forKey: name)
            default: continue
            }
        }
        return holders
    }
}

/// Whether the monitor's connection to Redis has been up for `settle` without a break. A break is
/// a sample that is not ready, or a reconnect counted since the last sample: a Redis restarted
/// between two samples (faster than `interval`) lost the gateways' keys just as a slow one does.
struct RedisReadiness {
    private var readySince: ContinuousClock.Instant?
    private var reconnects: Int?

    mutating func settled(ready: Bool, reconnects now: Int, now instant: ContinuousClock.Instant, settle: Duration) -> Bool {
        defer { reconnects = now }
        guard ready, reconnects.map({ $0 == now }) ?? true else {
            readySince = ready ? instant : nil
            return ready && settle <= .zero
        }
        let since = readySince ?? instant
        readySince = since
        return instant - since >= settle
    }
}
