import RelayProtocol

/// Which member of a game gets a `patch` message instead of the whole state (issue #16): one that
/// asked for patches and whose last state, as far as this gateway sent it, is the patch's `base`.
/// A member that just entered (it got the newest state whole), missed a state or was sent one the
/// authority published no patch for gets the state whole, and its chain starts again there. (A
/// patch that replaces a queued frame of a slow reader goes out whole too: `OutboundQueue`.)
///
/// The authority publishes a state's patch on the state channel just before the state, so the
/// core holds it until the state arrives and decides per member then.
struct PatchRoutes<Peer: Sendable, Frame: Sendable>: Sendable {
    /// Members that take patches: the last state each was sent, whole or patched (seq 0: none yet).
    private var chains: [UInt64: StateVersion] = [:]
    /// The same members with their handles, and the other members (they get every state whole):
    /// together the game's members, split so that the fan-out hands either table on as it is.
    private var takers: [UInt64: Peer] = [:]
    private var plain: [UInt64: Peer] = [:]
    /// The patch published for the state about to arrive.
    private var pending: (header: StatePatch.Header, frame: Frame)?

    /// A member entering the game, just sent the state `version` (nil: none yet).
    mutating func admit(_ id: UInt64, _ peer: Peer, at version: StateVersion?, takesPatches: Bool) {
        chains[id] = takesPatches ? (version ?? StateVersion(epoch: .zero, seq: 0)) : nil
        takers[id] = takesPatches ? peer : nil
        plain[id] = takesPatches ? nil : peer
    }

    mutating func remove(_ id: UInt64) {
        chains[id] = nil
        takers[id] = nil
        plain[id] = nil
    }

    mutating func hold(_ header: StatePatch.Header, frame: Frame) { pending = (header, frame) }

    /// The held patch if it makes the state `version` (its seq, in its epoch); let go either way
    /// (it is for one state only).
    mutating func take(for version: StateVersion) -> (header: StatePatch.Header, frame: Frame)? {
        defer { pending = nil }
        guard let pending, pending.header.version == version else { return nil }
        return pending
    }

    /// For the state `version`: the patch frame to send member `id`, or nil to send the state
    /// whole. Either way `version` is then the member's last state. A patch applies only to its
    /// base in its own epoch: the same seq in another epoch is another state.
    mutating func route(_ id: UInt64, to version: StateVersion, patch: (header: StatePatch.Header, frame: Frame)?) -> Frame? {
        guard let index = chains.index(forKey: id) else { return nil }
        let last = chains.values[index]
        chains.values[index] = version
        guard let patch, patch.header.baseVersion == last else { return nil }
        return patch.frame
    }

    /// `route` for every member of a game at once (`members`: all of them, as admitted): those that
    /// get the patch and those that get the state whole. The chains are walked, not the members'
    /// handles (generic code in this module, several times slower per member than the chains'
    /// plain integers), and when every taker continues its chain, which is the rule, both tables
    /// go on as they are: no per-member work beside the chains.
    mutating func partition(_ members: [UInt64: Peer], to version: StateVersion, patch: (header: StatePatch.Header, frame: Frame)?)
        -> (patched: [UInt64: Peer], whole: [UInt64: Peer]) {
        guard takers.count + plain.count == members.count else {
            // Not expected (every member is admitted and removed here): decide member by member.
            var patched: [UInt64: Peer] = [:], whole: [UInt64: Peer] = [:]
            for (id, peer) in members {
                if route(id, to: version, patch: patch) != nil { patched[id] = peer } else { whole[id] = peer }
            }
            return (patched, whole)
        }
        let base = patch?.header.baseVersion
        var behind: [UInt64] = []
        // An index does not hold the storage (`indices` would, and each write would copy it).
        var index = chains.startIndex
        while index != chains.endIndex {
            if chains.values[index] != base { behind.append(chains.keys[index]) }
            chains.values[index] = version
            chains.formIndex(after: &index)
        }
        guard !behind.isEmpty else { return (takers, plain) }
        var patched = takers, whole = plain
        for id in behind { whole[id] = patched.removeValue(forKey: id) }
        return (patched, whole)
    }

    /// Members whose chain is followed.
    var count: Int { chains.count }
}
