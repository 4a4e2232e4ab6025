/// One connection's commands in the order sent, published one at a time, and held while their
/// game's shard moves between authorities (one released it on SIGTERM, or its lease lapsed after a
/// crash, and the next holder has not subscribed yet).
///
/// Order: a connection has one publish in flight at a time; the next goes out once Redis says the
/// last was heard. Published together, the first could reach nobody and the second the new holder
/// that subscribed in between, and be applied first.
///
/// Holds: when the first command's publish reaches nobody, the connection's line is held; the
/// first is published again (same id: nobody received it, so it cannot apply twice) after a short
/// backoff until someone hears it, then the others follow, in order. Past `Limits.timeout` from
/// the first unheard publish, it and every command behind it are answered at once (they waited for
/// it, the shard still has no holder, and applying them without it is not what the player sent).
/// While a line is held, its commands count against the bounds (per connection, per client address,
/// in all); beyond them a command is answered at once. The address bound keeps a few clients with
/// many connections each from filling the total, and so refusing everybody else's commands. (A line not held only waits for one Redis round trip: the rate limit bounds it.)
public struct HandoverHolds: Sendable {
    public struct Limits: Sendable, Equatable {
        /// How long a line is held after its first command went unheard (`timeout(leaseMilliseconds:)`).
        public var timeout: Duration
        /// Commands one connection may have held; beyond, answered at once.
        public var perConnection: Int
        /// Commands one client address (an IPv4 address, an IPv6 /64) may have held over all its
        /// connections; beyond, answered at once.
        public var perAddress: Int
        /// Commands held in all; beyond, answered at once.
        public var total: Int

        public init(timeout: Duration = HandoverHolds.Limits.timeout(leaseMilliseconds: HandoverHolds.Limits.defaultLeaseMilliseconds),
                    perConnection: Int = 16,
                    perAddress: Int = 64,
                    total: Int = 4096) {
            self.timeout = timeout
            self.perConnection = perConnection
            self.perAddress = perAddress
            self.total = total
        }

        /// The authorities' default `LEASE_MS`.
        public static let defaultLeaseMilliseconds = 3000

        /// The longest a shard waits for a new holder after its holder died: its lease lapses
        /// within `LEASE_MS` of the last renewal, the others notice at their next poll (at most
        /// `LEASE_MS`/3 apart) and take it, fence its games and subscribe (a second at least). 4 s
        /// for the default 3 s lease.
        public static func timeout(leaseMilliseconds: Int) -> Duration {
            // Clamped (an hour of lease is past any `LEASE_MS` the authority takes): no sum can trap.
            let lease = min(max(leaseMilliseconds, 0), 3_600_000)
            return .milliseconds(lease + max(lease / 3, 1000))
        }
    }

    struct Waiting: Sendable {
        var command: String
        /// The command's number (`RelayCore.nextCommandID`): the order its connection sent it in.
        var order: UInt64
        /// Published at least once (again, it is a retry).
        var published = false
        /// Its acknowledgement timer runs: it was published and that publish was not unheard.
        var timed = false
    }

    struct Line: Sendable {
        /// The connection's client address (`RelayPeer.limitKey`): what `Limits.perAddress` counts.
        var address: String
        /// The first is the one published (or to publish again); the others wait behind it.
        var commands: [Waiting]
        /// The first's publish is in flight (its receiver count not back yet).
        var inFlight = false
        /// When the first went unheard (nil: not held): the bound counts from here.
        var since: ContinuousClock.Instant?
        var attempts = 0
        var retryScheduled = false

        var held: Int { since == nil ? 0 : commands.count }
    }

    /// A command to publish now.
    public struct Publication: Sendable, Equatable {
        public var command: String
        /// Published before (a retry: counted as republished); else its acknowledgement timer starts.
        public var again: Bool
    }

    public enum Submission: Sendable, Equatable {
        /// Nothing waits before it: publish it now.
        case publish(Publication)
        /// It waits behind the connection's earlier commands.
        case queued
        /// The connection's line is held and a bound is reached: answer it at once.
        case refused
    }

    /// What a publish's receiver count means for the connection's line.
    public struct Outcome: Sendable, Equatable {
        /// The command's acknowledgement timer: start it (heard after a hold) or stop it (unheard).
        public var startTimer = false
        public var stopTimer = false
        /// Publish this one next.
        public var next: Publication?
        /// Schedule the line's retry after this delay.
        public var retry: Duration?
        /// Answer these at once, in order: past a bound, or past the timeout (the command itself among them).
        public var answer: [String] = []
        /// The answered were held past the timeout (else: refused by a bound).
        public var expired = false
    }

    public let limits: Limits
    private var lines: [UInt64: Line] = [:]
    /// Commands in held lines.
    public private(set) var count = 0
    /// Commands in held lines, by client address (none: no entry).
    private var countByAddress: [String: Int] = [:]

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    public func isHolding(_ connection: UInt64) -> Bool { lines[connection]?.since != nil }
    /// A retry of the connection's held line is scheduled (its timer's firing publishes).
    public func isRetryDue(_ connection: UInt64) -> Bool { lines[connection]?.retryScheduled == true }

    /// The first short waits, then every 250 ms: a few dozen publishes per command over the bound.
    static func backoff(attempt: Int) -> Duration {
        .milliseconds(min(25 << min(max(attempt, 0), 4), 250))
    }

    /// Commands held for the client `address`.
    public func held(from address: String) -> Int { countByAddress[address] ?? 0 }

    /// A command of `connection` (from client `address`) to publish (a resend too: it takes its
    /// place by `order`, never ahead of a publish in flight).
    public mutating func submit(_ command: String, order: UInt64, of connection: UInt64, from address: String) -> Submission {
        guard var line = lines[connection], !line.commands.isEmpty else {
            lines[connection] = Line(address: address, commands: [Waiting(command: command, order: order, published: true, timed: true)], inFlight: true)
            return .publish(Publication(command: command, again: false))
        }
        if line.since != nil {
            guard line.commands.count < limits.perConnection, held(from: line.address) < limits.perAddress, count < limits.total
            else { return .refused }
        }
        let first = line.inFlight ? 1 : 0
        let index = line.commands[first...].firstIndex { $0.order > order } ?? line.commands.endIndex
        line.commands.insert(Waiting(command: command, order: order), at: index)
        update(connection, line)
        return .queued
    }

    /// The publish of `command` reached `receivers` subscribers at `now`.
    public mutating func published(_ command: String, receivers: Int, of connection: UInt64, now: ContinuousClock.Instant) -> Outcome {
        guard var line = lines[connection], line.inFlight, line.commands.first?.command == command else { return Outcome() }
        line.inFlight = false
        var outcome = Outcome()
        guard receivers == 0 else {
            // Heard: the hold (if any) ends, the next goes out.
            outcome.startTimer = !line.commands[0].timed
            line.commands.removeFirst()
            line.since = nil
            line.attempts = 0
            outcome.next = advance(&line)
            update(connection, line)
            return outcome
        }
        outcome.stopTimer = line.commands[0].timed
        line.commands[0].timed = false
        if let since = line.since {
            guard now - since < limits.timeout else {
                outcome.answer = line.commands.map(\.command)
                outcome.expired = true
                update(connection, nil)
                return outcome
            }
        } else {
            let room = min(limits.perConnection, limits.perAddress - held(from: line.address), limits.total - count)
            guard limits.timeout > .zero, room > 0 else {
                outcome.answer = line.commands.map(\.command)
                update(connection, nil)
                return outcome
            }
            // Held from now: what waited behind it counts against the bounds.
            if line.commands.count > room {
                outcome.answer = line.commands[room...].map(\.command)
                line.commands.removeLast(line.commands.count - room)
            }
            line.since = now
        }
        outcome.retry = schedule(&line, now)
        update(connection, line)
        return outcome
    }

    /// The retry timer of `connection` fired: the first held command, to publish again.
    public mutating func due(_ connection: UInt64) -> Publication? {
        guard var line = lines[connection], line.retryScheduled else { return nil }
        line.retryScheduled = false
        let next = advance(&line)
        update(connection, line)
        return next
    }

    /// The command was answered or given up some other way (it leaves the line). When it was the
    /// one in flight, the next to publish.
    public mutating func remove(_ command: String, of connection: UInt64) -> Publication? {
        guard var line = lines[connection], let index = line.commands.firstIndex(where: { $0.command == command }) else { return nil }
        line.commands.remove(at: index)
        var next: Publication?
        if index == 0 && line.inFlight {
            line.inFlight = false
            next = advance(&line)
        }
        update(connection, line)
        return next
    }

    /// The connection closed, or no authority is left to take its shard: its commands not in
    /// flight leave the line (returned, in order), but those `keeping` says; the one in flight
    /// leaves when its answer comes.
    public mutating func drop(_ connection: UInt64, keeping: (String) -> Bool = { _ in false }) -> [String] {
        guard var line = lines[connection] else { return [] }
        let first = line.inFlight ? 1 : 0
        var dropped: [String] = []
        line.commands = line.commands.enumerated().filter { index, waiting in
            if index < first || keeping(waiting.command) { return true }
            dropped.append(waiting.command)
            return false
        }.map(\.element)
        update(connection, line)
        return dropped
    }

    /// Puts the first command in flight, unless one is or a retry is due for it.
    private func advance(_ line: inout Line) -> Publication? {
        guard !line.inFlight, !line.retryScheduled, !line.commands.isEmpty else { return nil }
        line.inFlight = true
        let again = line.commands[0].published
        line.commands[0].published = true
        if !again { line.commands[0].timed = true }
        return Publication(command: line.commands[0].command, again: again)
    }

    private func schedule(_ line: inout Line, _ now: ContinuousClock.Instant) -> Duration? {
        guard !line.retryScheduled, let since = line.since else { return nil }
        line.retryScheduled = true
        let delay = min(Self.backoff(attempt: line.attempts), limits.timeout - (now - since))
        line.attempts += 1
        return delay
    }

    /// Stores the line (an empty one ends; a retry it had scheduled finds nothing) and keeps the counts.
    private mutating func update(_ connection: UInt64, _ line: Line?) {
        if let old = lines[connection], old.held > 0 { add(-old.held, old.address) }
        let line = line.flatMap { $0.commands.isEmpty ? nil : $0 }
        if let line, line.held > 0 { add(line.held, line.address) }
        lines[connection] = line
    }

    private mutating func add(_ held: Int, _ address: String) {
        count += held
        let now = (countByAddress[address] ?? 0) + held
        countByAddress[address] = now > 0 ? now : nil
    }
}
