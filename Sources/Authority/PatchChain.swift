import RelayProtocol

/// The authority's side of state patches (one per game runner): the last state message it
/// published, parsed, and the patch from it to the next one. Pure; the runner tells it what was
/// published. After a failed commit, a reload or a takeover there is nothing to patch from: that
/// state goes out without a patch, and gateways send it whole. A patch never crosses epochs.
struct PatchChain {
    private var last: (version: StateVersion, message: JSONValue)?

    /// The next state message, parsed, and the `patch` message from the last published state to
    /// it: nil when the last is not `seq - 1` of the same epoch, or when the patch would not be
    /// smaller than the state.
    func patch(to message: String, version: StateVersion, game: GameID) -> (patch: String?, parsed: JSONValue?) {
        guard let parsed = try? WireJSON.decode(JSONValue.self, from: message) else { return (nil, nil) }
        guard let last, last.version.epoch == version.epoch, last.version.seq == version.seq - 1 else { return (nil, parsed) }
        let text = StatePatch(game: game, seq: version.seq, base: last.version.seq, epoch: version.epoch,
                              ops: JSONPatch.diff(from: last.message, to: parsed)).text
        return (text.utf8.count < message.utf8.count ? text : nil, parsed)
    }

    mutating func published(_ version: StateVersion, message: JSONValue?) {
        last = message.map { (version, $0) }
    }

    mutating func reset() { last = nil }
}
