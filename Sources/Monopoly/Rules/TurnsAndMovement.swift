/// Starting the game, the turn order, the end of the game, rolling and moving tokens round the board.

extension GameState {
    /// Official short-game valuation: cash, printed price of unmortgaged properties, mortgage value of
    /// mortgaged ones, and the purchase price of buildings (a hotel counts as five houses).
    public func netWorth(of id: PlayerID) -> Int {
        guard let owner = player(id) else { return 0 }
        var worth = owner.cash
        for square in squares where square.owner == id {
            let info = square.info
            worth += square.mortgaged ? info.mortgage : info.price
            worth += square.houses * info.houseCost
        }
        return worth
    }
}

extension Engine {
    mutating func start(by player: PlayerID) throws(RuleViolation) {
        guard state.phase == .lobby else { throw violation(.gameNotInLobby, "The game has already started.") }
        guard player == state.host else { throw violation(.notHost, "Only the host can start the game.") }
        guard state.players.count >= 2 else { throw violation(.notEnoughPlayers, "At least two players are needed to start.") }
        state.options = try state.options.validated()
        for k in state.players.indices { state.players[k].cash = state.options.startingCash }
        state.moneySupply = state.options.startingCash * state.players.count
        if state.options.shuffleCards {
            state.chanceDeck.shuffle(using: &state.rng)
            state.communityChestDeck.shuffle(using: &state.rng)
        }
        state.phase = .playing
        state.current = state.players[0].id
        state.turnNumber = 1
        state.canRoll = true
        emit(Event(.started, player: player, amount: state.options.startingCash,
                   text: "The game started with \(state.players.count) players and $\(state.options.startingCash) each."))
        emit(Event(.turnStarted, player: state.players[0].id, text: "It is \(name(0))'s turn."))
    }

    /// Passes the turn to the next player still in the game (or ends a short game).
    mutating func nextTurn() {
        state.pendingBuy = nil
        // Votes are for one turn: the next one, even of another absent player, starts without any.
        state.skipVotes = []
        state.canRoll = true
        if let limit = state.options.turnLimit, state.turnNumber >= limit {
            let best = state.activePlayers.max { a, b in state.netWorth(of: a.id) < state.netWorth(of: b.id) }
            let ranked = state.activePlayers.filter { state.netWorth(of: $0.id) == state.netWorth(of: best!.id) }
            finish(winner: ranked.first!.id, reason: "turn_limit")
            return
        }
        state.turnNumber += 1
        let start = state.current.flatMap { state.index(of: $0) } ?? 0
        var next = start
        repeat {
            next = (next + 1) % state.players.count
        } while state.players[next].bankrupt && next != start
        state.current = state.players[next].id
        state.players[next].doubles = 0
        emit(Event(.turnStarted, player: state.players[next].id, text: "It is \(name(next))'s turn."))
    }

    mutating func finish(winner: PlayerID?, reason: String) {
        state.phase = .finished
        state.winner = winner
        state.endReason = reason
        state.auction = nil
        state.auctionQueue = []
        state.pendingBuy = nil
        state.debts = []
        state.mortgageChoices = []
        state.placement = nil
        state.trades = []
        state.skipVotes = []
        let who = winner.flatMap { state.player($0)?.name } ?? "nobody"
        let text = switch reason {
        case "turn_limit": "Game over: \(who) has the highest net worth when the turn limit is reached and wins."
        case "abandoned": "Game over: no player was connected for too long, the game is closed."
        case "lobby_idle": "The game is closed: nobody was connected to it for too long."
        case "lobby_empty": "The game is closed: every player left."
        default: "Game over: \(who) is the last player standing and wins."
        }
        emit(Event(.gameOver, player: winner, detail: reason, text: text))
    }

    mutating func rollDie() -> Int { dice.nextDie(fallback: &state.rng) }

    mutating func roll(_ player: Int) throws(RuleViolation) {
        try requireCurrent(player)
        try requireStage(.roll)
        let first = rollDie(), second = rollDie()
        state.dice = [first, second]
        lastTotal = first + second
        let id = state.players[player].id
        let position = state.players[player].position
        let destination = squareName((position + first + second) % Board.size)
        if state.players[player].inJail {
            state.canRoll = false
            if first == second {
                state.players[player].inJail = false
                state.players[player].jailTurns = 0
                emit(Event(.leftJail, player: id, dice: [first, second], text: "\(name(player)) rolled \(first)+\(second), doubles: out of jail and moved to \(destination)."))
                move(player, by: first + second)
            } else {
                state.players[player].jailTurns += 1
                if state.players[player].jailTurns >= 3 {
                    // The fine comes before the move: with a card held, the player chooses (stage
                    // jail_fine); otherwise it is charged now, and a fine that must be raised first
                    // keeps the token in jail until it is paid (`settle`) or the player is bankrupt.
                    emit(Event(.stayedInJail, player: id, dice: [first, second],
                               text: "\(name(player)) rolled \(first)+\(second), a third miss: the $\(Board.jailFine) fine is due before moving to \(destination)."))
                    if state.players[player].jailCards.isEmpty { payJailFine(player) }
                } else {
                    emit(Event(.stayedInJail, player: id, dice: [first, second], text: "\(name(player)) rolled \(first)+\(second) and stays in jail."))
                }
            }
            return
        }
        if first == second {
            state.players[player].doubles += 1
            if state.players[player].doubles >= 3 {
                emit(Event(.rolled, player: id, dice: [first, second], text: "\(name(player)) rolled \(first)+\(second), a third doubles in a row."))
                sendToJail(player, "three doubles in a row")
                return
            }
            state.canRoll = true
        } else {
            state.canRoll = false
        }
        emit(Event(.rolled, player: id, square: (position + first + second) % Board.size, dice: [first, second],
                   text: "\(name(player)) rolled \(first)+\(second)\(first == second ? " (doubles)" : "") and moved to \(destination)."))
        move(player, by: first + second)
    }

    /// Moves forward by dice; GO salary when passing or landing on GO.
    mutating func move(_ player: Int, by steps: Int) {
        let from = state.players[player].position
        let to = (from + steps) % Board.size
        state.players[player].position = to
        if from + steps >= Board.size { salary(player, exact: to == Board.goIndex) }
        land(player, mode: .normal)
    }

    /// Moves forward to a square (cards); passing or landing on GO pays the salary.
    mutating func advance(_ player: Int, to target: Int, mode: RentMode) {
        let from = state.players[player].position
        state.players[player].position = target
        emit(Event(.moved, player: state.players[player].id, square: target, text: "\(name(player)) advanced to \(squareName(target))."))
        if target <= from { salary(player, exact: target == Board.goIndex) }
        land(player, mode: mode)
    }

    mutating func salary(_ player: Int, exact: Bool) {
        let amount = exact && state.options.doubleSalaryOnGo ? 2 * Board.salary : Board.salary
        transfer(amount, from: .bank, to: .player(state.players[player].id))
        emit(Event(.passedGo, player: state.players[player].id, amount: amount,
                   text: "\(name(player)) \(exact ? "landed on" : "passed") GO and collected $\(amount)."))
    }
}
