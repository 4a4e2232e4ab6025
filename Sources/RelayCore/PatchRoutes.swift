import RelayProtocol

/// Which member of a game gets a `patch` message instead of the whole state (issue #16): one that
/// asked for patches and whose last state, as far as this gateway sent it, is the patch's `base`.
/// A member that just entered (it got the newest state whole), missed a state or was sent one the
/// authority published no patch for gets the state whole, and its chain starts again there. (A
/// patch that replaces a queued frame of a slow reader goes out whole too: `OutboundQueue`.)
///
/// The authority publishes a state's patch on the state channel just before the state, so the
/// core holds it until the state arrives and decides per member then.
struct PatchRoutes<Frame: Sendable>: Sendable {
    /// Members that take patches: the seq of the last state each was sent, whole or patched.
    private var chains: [UInt64: Int] = [:]
    /// The patch published for the state about to arrive.
    private var pending: (header: StatePatch.Header, frame: Frame)?

    /// A member entering the game, just sent the state `seq` (nil: none yet).
    mutating func admit(_ id: UInt64, at seq: Int?, takesPatches: Bool) {
        chains[id] = takesPatches ? (seq ?? 0) : nil
    }

    mutating func remove(_ id: UInt64) { chains[id] = nil }

    mutating func hold(_ header: StatePatch.Header, frame: Frame) { pending = (header, frame) }

    /// The held patch if it makes the state `seq`; let go either way (it is for one state only).
    mutating func take(for seq: Int) -> (header: StatePatch.Header, frame: Frame)? {
        defer { pending = nil }
        guard let pending, pending.header.seq == seq else { return nil }
        return pending
    }

    /// For the state `seq`: the patch frame to send member `id`, or nil to send the state whole.
    /// Either way `seq` is then the member's last state.
    mutating func route(_ id: UInt64, to seq: Int, patch: (header: StatePatch.Header, frame: Frame)?) -> Frame? {
        guard let last = chains[id] else { return nil }
        chains[id] = seq
        guard let patch, patch.header.base == last else { return nil }
        return patch.frame
    }

    /// Members whose chain is followed.
    var count: Int { chains.count }
}
