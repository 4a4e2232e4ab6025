/// Voting to skip an absent player's turn: when the current player is disconnected, the players who
/// are there may vote to let the bot play that turn at once, instead of waiting for the clock or the
/// grace period. The engine keeps the votes and says when they carry; the authority, which runs
/// the bots, then plays the turn and logs it (`turn_skipped`, see `CommandProcessor.carrySkipVote`).

extension GameState {
    /// The current player, when the turn belongs to someone absent: a person (not a bot) still in
    /// the game whose connection is gone. Nil otherwise: no vote is open.
    public var absentCurrentPlayer: PlayerID? {
        guard phase == .playing, let id = current, let p = player(id), !p.bot, !p.bankrupt, !p.connected else { return nil }
        return id
    }

    /// Who may vote to skip the absent player's turn now: the people still in the game who are
    /// connected, other than that player. Bots never vote. Empty while no vote is open.
    public var skipVoters: [PlayerID] {
        guard let absent = absentCurrentPlayer else { return [] }
        return players.filter { $0.id != absent && !$0.bot && !$0.bankrupt && $0.connected }.map(\.id)
    }

    /// Votes needed to carry: a strict majority of `skipVoters` (1 of 1, 2 of 2, 2 of 3, 3 of 4...).
    /// Nil while no vote is open (or nobody could vote).
    public var skipVotesNeeded: Int? {
        let voters = skipVoters.count
        return voters > 0 ? voters / 2 + 1 : nil
    }

    /// Whether the votes carried: the bot plays the absent player's turn.
    public var skipVoteCarried: Bool {
        guard let needed = skipVotesNeeded else { return false }
        return skipVotes.count >= needed
    }

    /// Keeps only the votes that count: none once the absent player is back (or the game is not in
    /// play), and only those of players who may still vote (a voter who left, lost the connection or
    /// went bankrupt takes the vote back). The turn passing clears them too (`Engine.nextTurn`).
    mutating func tidySkipVotes() {
        guard !skipVotes.isEmpty else { return }
        let voters = skipVoters
        skipVotes.removeAll { !voters.contains($0) }
    }
}

extension Engine {
    /// `vote_skip {turn}`: `turn` is the `turn_number` the voter saw, so a vote that arrives after
    /// the turn passed (perhaps to another absent player) is refused, never counted against the
    /// wrong turn. A second vote by the same player changes nothing.
    mutating func voteSkip(_ voter: Int, turn: Int) throws(RuleViolation) {
        guard turn == state.turnNumber else {
            throw violation(.staleTurn, "That vote was for turn \(turn); it is turn \(state.turnNumber) now.")
        }
        guard let absent = state.absentCurrentPlayer, let absentIndex = state.index(of: absent) else {
            let who = state.current.flatMap { state.player($0)?.name } ?? "nobody"
            throw violation(.playerConnected, "\(who) is here (or a bot): there is no absent player's turn to skip.")
        }
        let id = state.players[voter].id
        guard state.skipVoters.contains(id) else {
            let why = id == absent ? "you cannot vote on your own turn" : state.players[voter].bot ? "bots do not vote" : "you are not connected"
            throw violation(.notEligible, "Only players who are here vote to skip a turn: \(why).")
        }
        guard !state.skipVotes.contains(id) else { return }
        state.skipVotes.append(id)
        let votes = state.skipVotes.count, needed = state.skipVotesNeeded ?? 1
        emit(Event(.skipVote, player: id, other: absent, amount: votes,
                   text: "\(name(voter)) voted to skip \(name(absentIndex))'s turn (\(votes) of the \(needed) vote\(needed == 1 ? "" : "s") needed)."))
    }
}
