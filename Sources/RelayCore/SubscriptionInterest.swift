import RelayProtocol

/// Which games' state channels this gateway wants, counted, and what Redis has: a game's channel is
/// subscribed while anyone (a member, a seat or spectate request in flight) is interested in it.
///
/// At most one SUBSCRIBE or UNSUBSCRIBE per game is in flight, and when it completes the channel is
/// reconciled with the interest counted at that moment. So a last member leaving while another
/// enters can never end with the UNSUBSCRIBE winning: the newcomer waits for the UNSUBSCRIBE, then
/// a SUBSCRIBE follows. Waiters are whatever the owner must resume once the channel is subscribed.
public struct SubscriptionInterest<Waiter: Sendable>: Sendable {
    public enum Channel: Sendable, Equatable { case unsubscribed, subscribing, subscribed, unsubscribing }

    /// What Redis must be told, if anything.
    public enum Change: Sendable, Equatable {
        case subscribe(GameID)
        case unsubscribe(GameID)
    }

    /// The outcome of one event: a change for Redis, and waiters resumed or failed.
    public struct Step: Sendable {
        public var change: Change?
        /// The channel is subscribed: their states will arrive.
        public var ready: [Waiter] = []
        /// The SUBSCRIBE failed: they still hold their interest, to give back.
        public var failed: [Waiter] = []
    }

    struct Entry: Sendable {
        var interest = 0
        var channel = Channel.unsubscribed
        var waiting: [Waiter] = []
    }

    private var entries: [GameID: Entry] = [:]

    public init() {}

    public func interest(in game: GameID) -> Int { entries[game]?.interest ?? 0 }
    public func channel(of game: GameID) -> Channel { entries[game]?.channel ?? .unsubscribed }
    /// Games with interest (their states are wanted).
    public var followedGames: [GameID] { entries.compactMap { $0.value.interest > 0 ? $0.key : nil } }

    /// One more interest in `game`; `waiter` is ready at once if the channel is subscribed.
    public mutating func retain(_ game: GameID, _ waiter: Waiter) -> Step {
        var entry = entries[game] ?? Entry()
        defer { entries[game] = entry }
        entry.interest += 1
        var step = Step()
        switch entry.channel {
        case .subscribed:
            step.ready = [waiter]
        case .subscribing, .unsubscribing:
            entry.waiting.append(waiter)
        case .unsubscribed:
            entry.waiting.append(waiter)
            entry.channel = .subscribing
            step.change = .subscribe(game)
        }
        return step
    }

    /// One interest in `game` given back; the last one unsubscribes (once no change is in flight).
    public mutating func release(_ game: GameID) -> Step {
        guard var entry = entries[game], entry.interest > 0 else { return Step() }
        entry.interest -= 1
        var step = Step()
        if entry.interest == 0 && entry.channel == .subscribed {
            entry.channel = .unsubscribing
            step.change = .unsubscribe(game)
        }
        store(entry, game)
        return step
    }

    /// Redis confirmed the SUBSCRIBE.
    public mutating func subscribed(_ game: GameID) -> Step {
        guard var entry = entries[game] else { return Step() }
        var step = Step()
        step.ready = entry.waiting
        entry.waiting = []
        if entry.interest > 0 {
            entry.channel = .subscribed
        } else {
            // Everyone left while it was in flight.
            entry.channel = .unsubscribing
            step.change = .unsubscribe(game)
        }
        store(entry, game)
        return step
    }

    /// The SUBSCRIBE failed (Redis unreachable): the waiters are told; the next retain tries again.
    public mutating func subscribeFailed(_ game: GameID) -> Step {
        guard var entry = entries[game] else { return Step() }
        var step = Step()
        step.failed = entry.waiting
        entry.waiting = []
        entry.channel = .unsubscribed
        store(entry, game)
        return step
    }

    /// The UNSUBSCRIBE is done (it always is: a disconnected subscriber forgets the channel).
    public mutating func unsubscribed(_ game: GameID) -> Step {
        guard var entry = entries[game] else { return Step() }
        var step = Step()
        entry.channel = .unsubscribed
        if entry.interest > 0 {
            // Someone came in meanwhile: subscribe again for them.
            entry.channel = .subscribing
            step.change = .subscribe(game)
        }
        store(entry, game)
        return step
    }

    /// Keeps an entry only while it holds interest or a change is in flight.
    private mutating func store(_ entry: Entry, _ game: GameID) {
        if entry.interest == 0 && entry.channel == .unsubscribed && entry.waiting.isEmpty {
            entries[game] = nil
        } else {
            entries[game] = entry
        }
    }
}
