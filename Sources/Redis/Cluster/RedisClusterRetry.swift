// What to do with a cluster node's answer: the redirection rules as a pure state machine.

/// One command's way through the cluster: each answer (a reply, a redirection, an unreachable
/// node) goes in, the next step comes out. Bounded: at most `maximumAttempts` sends in all, so a
/// redirection loop (two nodes sending a slot back and forth during a botched migration) or a
/// cluster that stays down ends in ``RedisError/clusterRetriesExhausted(command:attempts:last:)``.
public struct RedisClusterRetry: Sendable, Equatable {
    /// What one send to one node came back with.
    public enum Outcome: Sendable, Equatable {
        /// Any reply, error replies included; MOVED/ASK/TRYAGAIN/CLUSTERDOWN are recognized here.
        case reply(RESPValue, from: RedisClusterNode)
        /// No reply: the node could not be reached (never sent: refused, not ready, no owner known),
        /// or the connection failed with the command in flight (`connectionClosed`, `timeout`: it may
        /// have run, so it is not sent again; the caller decides, as with a single Redis).
        case unreachable(RedisError)
    }

    /// The next step.
    public enum Action: Sendable, Equatable {
        /// Done: hand this reply to the caller.
        case finish(RESPValue)
        /// MOVED: record that `slot` lives on `node` and send the command there.
        case moved(slot: Int, node: RedisClusterNode)
        /// ASK: send `ASKING` then the command to `node`, once; the map is left as it is.
        case ask(node: RedisClusterNode)
        /// The map may be stale (failover, CLUSTERDOWN) or the slot is mid-migration (TRYAGAIN):
        /// wait `delayMilliseconds`, learn the map again if `refresh`, and send again.
        case retry(refresh: Bool, delayMilliseconds: Int)
        /// Give up with this error.
        case fail(RedisError)
    }

    public let command: String
    public let maximumAttempts: Int
    /// Sends so far.
    public private(set) var attempts = 1

    public init(command: String, maximumAttempts: Int = 8) {
        self.command = command
        self.maximumAttempts = max(1, maximumAttempts)
    }

    /// The step after `outcome` (the answer to send number `attempts`).
    public mutating func next(after outcome: Outcome) -> Action {
        let action = Self.classify(outcome)
        if case .finish = action { return action }
        if case .fail = action { return action }
        guard attempts < maximumAttempts else {
            return .fail(.clusterRetriesExhausted(command: command, attempts: attempts, last: Self.describe(outcome)))
        }
        attempts += 1
        if case .retry(let refresh, _) = action {
            // Waits grow 25, 50, 100 ... ms up to a second: long enough for a failover to finish
            // within the attempts, short enough that a migration's TRYAGAIN passes quickly.
            return .retry(refresh: refresh, delayMilliseconds: min(1000, 25 << min(attempts - 2, 6)))
        }
        return action
    }

    private static func classify(_ outcome: Outcome) -> Action {
        switch outcome {
        case .unreachable(let error):
            switch error {
            case .clientClosed, .connectionClosed, .timeout: return .fail(error)
            default: return .retry(refresh: true, delayMilliseconds: 0)
            }
        case .reply(let reply, let node):
            guard case .error(let message) = reply else { return .finish(reply) }
            if let redirect = RedisClusterRedirect(errorMessage: message, replyingHost: node.host) {
                switch redirect.kind {
                case .moved: return .moved(slot: redirect.slot, node: redirect.node)
                case .ask: return .ask(node: redirect.node)
                }
            }
            if message.hasPrefix("TRYAGAIN") { return .retry(refresh: false, delayMilliseconds: 0) }
            // CLUSTERDOWN: the slot has no master right now (failover under way); READONLY: we wrote to a replica.
            if message.hasPrefix("CLUSTERDOWN") || message.hasPrefix("READONLY") { return .retry(refresh: true, delayMilliseconds: 0) }
            return .finish(reply)
        }
    }

    private static func describe(_ outcome: Outcome) -> String {
        switch outcome {
        case .reply(let reply, let node): return "\(reply) from \(node)"
        case .unreachable(let error): return "\(error)"
        }
    }
}
