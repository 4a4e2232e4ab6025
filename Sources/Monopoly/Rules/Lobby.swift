/// Seats before and around play, called by the authority (not commands of the players).

extension GameState {
    /// Seats a new player in the lobby and returns the id the engine assigned ("p1", "p2", ...).
    public mutating func join(name: String, bot: Bool = false) throws(RuleViolation) -> PlayerID {
        guard phase == .lobby else { throw RuleViolation(.gameNotInLobby, "Players can only join before the game starts.") }
        let stored: String
        switch PlayerText.name(name) {
        case .success(let text): stored = text
        case .failure(let violation): throw RuleViolation(.invalidName, violation.message)
        }
        guard players.count < options.maxPlayers else {
            throw RuleViolation(.gameFull, "This game is full (at most \(options.maxPlayers) players).")
        }
        let key = PlayerText.nameKey(stored)
        if let namesake = players.first(where: { PlayerText.nameKey($0.name) == key }) {
            throw RuleViolation(.nameTaken, "\(namesake.name) is playing in this game already: choose another name.")
        }
        let id = "p\(nextPlayerNumber)"
        nextPlayerNumber += 1
        var player = Player(id: id, name: stored)
        player.bot = bot
        players.append(player)
        return id
    }

    /// In the lobby the seat is freed; during play leaving is a resignation (everything goes to the bank).
    public mutating func leave(_ id: PlayerID) throws(RuleViolation) -> [Event] {
        guard let i = index(of: id) else { throw RuleViolation(.unknownPlayer, "No such player.") }
        switch phase {
        case .lobby:
            let name = players[i].name
            players.remove(at: i)
            return [Event(.left, player: id, text: "\(name) left the game.")]
        case .playing:
            if players[i].bankrupt { return [] }
            return try apply(.resign, by: id)
        case .finished:
            return []
        }
    }

    /// Ends the game without a winner for the authority, which closes games nobody attends:
    /// `reason` is one of `GameState.closingReasons`. A finished game stays as it is.
    public mutating func close(reason: String) -> [Event] {
        guard phase != .finished else { return [] }
        var engine = Engine(state: self, dice: SeededDice())
        engine.finish(winner: nil, reason: reason)
        self = engine.state
        recordResults(engine.events)
        return engine.events
    }

    /// A disconnected player keeps the seat; the authority records it here for clients.
    /// Votes to skip a turn follow: the absent player back clears them, a voter gone takes theirs back.
    public mutating func setConnected(_ id: PlayerID, _ connected: Bool) {
        if let i = index(of: id) { players[i].connected = connected }
        tidySkipVotes()
    }

    /// The authority marks a player away (a bot plays for them) or back.
    public mutating func setAway(_ id: PlayerID, _ away: Bool) {
        if let i = index(of: id) { players[i].away = away }
    }

    /// Stores the authority's deadline for the running auction (opaque to the engine).
    public mutating func setAuctionDeadline(_ deadline: Double?) {
        auction?.deadline = deadline
    }

    /// Stores the authority's deadline for the current turn (opaque to the engine).
    public mutating func setTurnDeadline(_ deadline: Double?) {
        turnDeadline = deadline
    }
}
