import RelayProtocol

/// The authority's side of state patches (one per game runner): the last state message it
/// published, and the patch from it to the next one. Pure; the runner tells it what was
/// published. After a failed commit, a reload or a takeover there is nothing to patch from: that
/// state goes out without a patch, and gateways send it whole. A patch never crosses epochs.
///
/// Both messages are `JSONOutput`'s text, so the patch is made from the texts themselves
/// (`JSONPatch.diff(fromText:toText:)`) rather than from values parsed out of them.
struct PatchChain {
    private var last: (version: StateVersion, message: String)?

    /// The `patch` message from the last published state to `message`: nil when the last is not
    /// `seq - 1` of the same epoch, when either cannot be diffed, or when the patch would not be
    /// smaller than the state.
    func patch(to message: String, version: StateVersion, game: GameID) -> String? {
        guard let last, last.version.epoch == version.epoch, last.version.seq == version.seq - 1,
              let ops = JSONPatch.diff(fromText: last.message, toText: message) else { return nil }
        let text = StatePatch.text(game: game, seq: version.seq, base: last.version.seq, epoch: version.epoch, ops: ops.ops)
        return text.utf8.count < message.utf8.count ? text : nil
    }

    mutating func published(_ version: StateVersion, message: String) {
        last = (version, message)
    }

    mutating func reset() { last = nil }
}
