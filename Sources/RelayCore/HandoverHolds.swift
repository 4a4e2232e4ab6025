/// Commands whose PUBLISH reached nobody while their game's shard moves between authorities (one
/// released it on SIGTERM, or its lease lapsed after a crash, and the next holder has not
/// subscribed yet): held and published again, with a short backoff, until someone hears them or
/// `Limits.timeout` has passed since the first went unheard. Nobody received an unheard publish,
/// so publishing the same envelope (same id) again cannot apply it twice; a command is never
/// published again while its last publish is in flight.
///
/// Per connection, held commands keep their order (by command number): while a connection holds
/// any, its next commands join the hold instead of being published, so none overtakes another once
/// the new holder listens; a retry publishes them together, in order.
public struct HandoverHolds: Sendable {
    public struct Limits: Sendable, Equatable {
        /// How long a connection's commands are held after the first went unheard (README: a
        /// dead authority's shards are taken within `LEASE_MS` + one poll; this default is for
        /// the default `LEASE_MS`, 3 s, plus 1 s).
        public var timeout: Duration
        /// Commands one connection may have held; beyond, answered at once.
        public var perConnection: Int
        /// Commands held in all; beyond, answered at once.
        public var total: Int

        public init(timeout: Duration = .seconds(4), perConnection: Int = 16, total: Int = 4096) {
            self.timeout = timeout
            self.perConnection = perConnection
            self.total = total
        }
    }

    struct Held: Sendable {
        var command: String
        /// The command's number (`RelayCore.nextCommandID`): the order its connection sent it in.
        var order: UInt64
        /// Published, its receiver count not back yet.
        var inFlight: Bool
    }

    struct Hold: Sendable {
        var commands: [Held]
        /// When the first of them went unheard: the bound counts from here.
        var since: ContinuousClock.Instant
        var attempts = 0
        var retryScheduled = false
    }

    /// What to do with a command whose publish reached nobody.
    public enum Unheard: Sendable, Equatable {
        /// Held: publish the connection's held commands again after this delay (a retry timer).
        case retry(after: Duration)
        /// Held; a retry is already scheduled.
        case held
        /// Not held: a bound on how many may wait is reached (or holding is off). Answer it at once.
        case refused
        /// The bound has passed: answer these (the command itself among them) at once. Those of
        /// the connection still in flight stay held until their own answer comes back.
        case expired([String])
    }

    public let limits: Limits
    private var holds: [UInt64: Hold] = [:]
    public private(set) var count = 0

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    public func isHolding(_ connection: UInt64) -> Bool { holds[connection] != nil }
    public func holds(_ command: String, of connection: UInt64) -> Bool {
        holds[connection]?.commands.contains { $0.command == command } == true
    }

    /// The first short waits, then every 250 ms: a few dozen publishes per command over the bound.
    static func backoff(attempt: Int) -> Duration {
        .milliseconds(min(25 << min(max(attempt, 0), 4), 250))
    }

    /// `command` (number `order`) of `connection` was published at `now` and nobody received it.
    public mutating func unheard(_ command: String, order: UInt64, of connection: UInt64, now: ContinuousClock.Instant) -> Unheard {
        if var hold = holds[connection] {
            let index = hold.commands.firstIndex { $0.command == command }
            if index == nil {
                guard hold.commands.count < limits.perConnection, count < limits.total else { return .refused }
                insert(Held(command: command, order: order, inFlight: false), into: &hold)
            } else if let index {
                hold.commands[index].inFlight = false
            }
            guard now - hold.since < limits.timeout else {
                let expired = hold.commands.filter { !$0.inFlight }.map(\.command)
                remove(expired, from: &hold, connection)
                return .expired(expired)
            }
            return schedule(&hold, connection, now)
        }
        guard limits.timeout > .zero, limits.perConnection > 0, count < limits.total else { return .refused }
        var hold = Hold(commands: [], since: now)
        insert(Held(command: command, order: order, inFlight: false), into: &hold)
        return schedule(&hold, connection, now)
    }

    /// A command of a connection that holds others: it waits behind them (false: over a bound,
    /// answer it at once). Not published now: the next retry publishes it after them.
    public mutating func join(_ command: String, order: UInt64, of connection: UInt64) -> Bool {
        guard var hold = holds[connection], hold.commands.count < limits.perConnection, count < limits.total else { return false }
        insert(Held(command: command, order: order, inFlight: false), into: &hold)
        holds[connection] = hold
        return true
    }

    /// Someone received `command`: it is no longer held. True when it was.
    public mutating func heard(_ command: String, of connection: UInt64) -> Bool {
        guard var hold = holds[connection], hold.commands.contains(where: { $0.command == command }) else { return false }
        remove([command], from: &hold, connection)
        return true
    }

    /// The retry timer of `connection` fired: the held commands to publish again, in order (none
    /// that is in flight already).
    public mutating func due(_ connection: UInt64) -> [String] {
        guard var hold = holds[connection], hold.retryScheduled else { return [] }
        hold.retryScheduled = false
        var due: [String] = []
        for index in hold.commands.indices where !hold.commands[index].inFlight {
            hold.commands[index].inFlight = true
            due.append(hold.commands[index].command)
        }
        holds[connection] = hold
        return due
    }

    /// The command was answered or given up some other way.
    public mutating func forget(_ command: String, of connection: UInt64) {
        _ = heard(command, of: connection)
    }

    /// Commands that joined the hold while the others were in flight, once none is in flight and no
    /// retry is scheduled (the others were heard or answered): to publish now, in order.
    public mutating func stranded(_ connection: UInt64) -> [String] {
        guard let hold = holds[connection], !hold.retryScheduled, !hold.commands.contains(where: \.inFlight) else { return [] }
        holds[connection]?.retryScheduled = true
        return due(connection)
    }

    /// The connection closed: its held commands not in flight are dropped (and returned); those in
    /// flight are given up when their publish's answer comes back.
    public mutating func drop(_ connection: UInt64) -> [String] {
        guard var hold = holds[connection] else { return [] }
        let dropped = hold.commands.filter { !$0.inFlight }.map(\.command)
        remove(dropped, from: &hold, connection)
        return dropped
    }

    private mutating func schedule(_ hold: inout Hold, _ connection: UInt64, _ now: ContinuousClock.Instant) -> Unheard {
        defer { holds[connection] = hold }
        guard !hold.retryScheduled else { return .held }
        hold.retryScheduled = true
        let remaining = limits.timeout - (now - hold.since)
        let delay = min(Self.backoff(attempt: hold.attempts), remaining)
        hold.attempts += 1
        return .retry(after: delay)
    }

    private mutating func insert(_ held: Held, into hold: inout Hold) {
        let index = hold.commands.firstIndex { $0.order > held.order } ?? hold.commands.endIndex
        hold.commands.insert(held, at: index)
        count += 1
    }

    /// Removes `commands` from the hold; an empty hold ends (a retry it had scheduled finds nothing).
    private mutating func remove(_ commands: [String], from hold: inout Hold, _ connection: UInt64) {
        let before = hold.commands.count
        hold.commands.removeAll { commands.contains($0.command) }
        count -= before - hold.commands.count
        holds[connection] = hold.commands.isEmpty ? nil : hold
    }
}
