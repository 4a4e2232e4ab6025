import Synchronization

/// Which games' commands may be in flight at the same time in this process.
///
/// A process that dies leaves the in-flight mark of every game it was applying (`InFlight`), not
/// only of the game that killed it. So that a bystander never collects the second strike that
/// quarantines, a suspect game (one a process already died on) applies its commands alone: it
/// waits until no other game's command is in flight, and no other starts until it is done. If the
/// process dies then, the only mark left behind is the suspect's. Healthy games share the gate.
final class ApplyGate: Sendable {
    private let state = Mutex(ApplyGateState<CheckedContinuation<Void, Never>>())

    /// Waits for a turn: `alone` for a suspect game's command.
    func enter(alone: Bool) async {
        if state.withLock({ $0.enter(alone: alone, waiter: nil) }) { return }
        await withCheckedContinuation { continuation in
            let admitted = state.withLock { $0.enter(alone: alone, waiter: continuation) }
            if admitted { continuation.resume() }
        }
    }

    /// Ends a turn taken with the same `alone`.
    func leave(alone: Bool) {
        for waiter in state.withLock({ $0.leave(alone: alone) }) { waiter.resume() }
    }

    /// Commands in flight now (tests and metrics).
    var inFlight: (shared: Int, alone: Bool) { state.withLock { ($0.shared, $0.alone) } }
}

/// The gate's bookkeeping, with no waiting in it (table-tested): a readers-writer lock whose
/// waiters are admitted in arrival order, so a suspect waiting for the others to finish is not
/// overtaken by commands that arrive after it.
struct ApplyGateState<Waiter> {
    private(set) var shared = 0
    private(set) var alone = false
    private var queue: [(alone: Bool, waiter: Waiter)] = []

    var waiting: Int { queue.count }

    /// Admits at once (true), or queues `waiter` (false). With no waiter, only tries.
    mutating func enter(alone wantsAlone: Bool, waiter: Waiter?) -> Bool {
        if queue.isEmpty && admissible(alone: wantsAlone) {
            admit(alone: wantsAlone)
            return true
        }
        if let waiter { queue.append((wantsAlone, waiter)) }
        return false
    }

    /// Ends a turn; returns the waiters admitted now, to be resumed.
    mutating func leave(alone wasAlone: Bool) -> [Waiter] {
        if wasAlone {
            precondition(alone, "ApplyGate: leave(alone: true) without a turn alone")
            alone = false
        } else {
            precondition(shared > 0, "ApplyGate: leave(alone: false) without a shared turn")
            shared -= 1
        }
        var admitted: [Waiter] = []
        while let next = queue.first, admissible(alone: next.alone) {
            queue.removeFirst()
            admit(alone: next.alone)
            admitted.append(next.waiter)
        }
        return admitted
    }

    private func admissible(alone wantsAlone: Bool) -> Bool {
        wantsAlone ? !alone && shared == 0 : !alone
    }

    private mutating func admit(alone wantsAlone: Bool) {
        if wantsAlone { alone = true } else { shared += 1 }
    }
}
