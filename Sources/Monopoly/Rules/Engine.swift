/// The rules: commands in, events out, on a copy of the state. A rejected command changes nothing.
/// The engine's work is split by concern over this folder: lobby, turns and movement, landing and rent,
/// card draws, jail, buying and auctions, buildings and the shortage, mortgages, trades, debts and bankruptcy,
/// votes to skip an absent player's turn.

extension GameState {
    /// Applies a command with dice from `dice` (the game's own generator is its fallback).
    /// On error nothing changes, neither the state nor `dice`.
    public mutating func apply(_ command: Command, by player: PlayerID, dice: inout some DiceSource) throws(RuleViolation) -> [Event] {
        var engine = Engine(state: self, dice: dice)
        try engine.run(command, by: player)
        self = engine.state
        dice = engine.dice
        tidySkipVotes()
        recordResults(engine.events)
        return engine.events
    }

    /// Applies a command with dice from the game's seeded generator.
    public mutating func apply(_ command: Command, by player: PlayerID) throws(RuleViolation) -> [Event] {
        var dice = SeededDice()
        return try apply(command, by: player, dice: &dice)
    }
}

/// One command's worth of work on a copy of the state. Inside the engine a player is its index in
/// `state.players` (`player: Int`); commands and events name it by its id.
struct Engine<D: DiceSource> {
    var state: GameState
    var dice: D
    var events: [Event] = []
    var lastTotal: Int = 0

    init(state: GameState, dice: D) {
        self.state = state
        self.dice = dice
        self.lastTotal = (state.dice ?? [0, 0]).reduce(0, +)
    }
}

extension Engine {
    func playerIndex(_ id: PlayerID) -> Int { state.index(of: id)! }

    func name(_ player: Int) -> String { state.players[player].name }

    mutating func emit(_ event: Event) { events.append(event) }

    func violation(_ code: ErrorCode, _ message: String) -> RuleViolation { RuleViolation(code, message) }

    func requireCurrent(_ player: Int) throws(RuleViolation) {
        guard state.current == state.players[player].id else {
            let who = state.current.flatMap { state.player($0)?.name } ?? "nobody"
            throw violation(.notYourTurn, "It is not your turn (it is \(who)'s turn).")
        }
    }

    func requireStage(_ stage: TurnStage) throws(RuleViolation) {
        let now = state.stage
        guard now == stage else {
            switch now {
            case .debt: throw violation(.debtPending, "A debt must be paid (or bankruptcy declared) before play continues.")
            case .mortgageChoice: throw violation(.decisionPending, "A received mortgaged property must be lifted or kept first.")
            case .placement: throw violation(.mustPlaceBuilding, "The building won at auction must be placed first.")
            case .auction: throw violation(.auctionInProgress, "An auction is in progress.")
            case .jailFine: throw violation(.wrongStage, "After a third miss in jail, pay the $\(Board.jailFine) fine or use a Get Out of Jail Free card first.")
            case .buy: throw violation(.wrongStage, "First buy or decline \(squareName(state.pendingBuy ?? 0)).")
            case .roll: throw violation(.mustRoll, "You must roll first.")
            case .endTurn: throw violation(.alreadyRolled, "You have already rolled this turn.")
            case nil: throw violation(.gameNotStarted, "The game is not being played.")
            }
        }
    }

    var buildingAuctionRunning: Bool { state.auction.map { $0.kind != .property } ?? false }

    func requireNoBuildingAuction() throws(RuleViolation) {
        if buildingAuctionRunning { throw violation(.auctionInProgress, "Buildings cannot change while a building auction runs.") }
        if state.placement != nil { throw violation(.mustPlaceBuilding, "The building won at auction must be placed first.") }
    }

    func validSquare(_ square: Int) throws(RuleViolation) -> Int {
        guard (0..<Board.size).contains(square) else { throw violation(.invalidSquare, "There is no square \(square).") }
        return square
    }

    mutating func run(_ command: Command, by id: PlayerID) throws(RuleViolation) {
        if command == .start { try start(by: id); return }
        switch state.phase {
        case .lobby: throw violation(.gameNotStarted, "The game has not started yet.")
        case .finished: throw violation(.gameOver, "The game is over.")
        case .playing: break
        }
        if command == .auctionTimeout {
            guard state.auction != nil else { throw violation(.noAuction, "No auction is running.") }
            finishAuction(timedOut: true)
            settle()
            return
        }
        guard let player = state.index(of: id) else { throw violation(.unknownPlayer, "No such player in this game.") }
        guard !state.players[player].bankrupt else { throw violation(.playerBankrupt, "You are bankrupt and out of the game.") }

        switch command {
        case .start, .auctionTimeout: break
        case .roll: try roll(player)
        case .buy: try buy(player)
        case .decline: try decline(player)
        case .bid(let amount): try bid(player, amount)
        case .pass: try pass(player)
        case .endTurn:
            try requireCurrent(player)
            try requireStage(.endTurn)
            emit(Event(.turnEnded, player: id, text: "\(name(player)) ended the turn."))
            nextTurn()
        case .build(let square): try build(player, try validSquare(square))
        case .sell(let square): try sell(player, try validSquare(square))
        case .mortgage(let square): try mortgage(player, try validSquare(square))
        case .unmortgage(let square): try unmortgage(player, try validSquare(square))
        case .liftMortgage(let square): try liftMortgage(player, try validSquare(square))
        case .keepMortgage(let square): try keepMortgage(player, try validSquare(square))
        case .jailPay: try jailPay(player)
        case .jailCard: try jailCard(player)
        case .tradePropose(let to, let give, let get): try propose(player, to: to, give: give, get: get)
        case .tradeAccept(let trade): try accept(player, trade)
        case .tradeReject(let trade): try reject(player, trade)
        case .bankrupt: try declareBankruptcy(player)
        case .voteSkip(let turn): try voteSkip(player, turn: turn)
        case .resign:
            emit(Event(.bankrupt, player: id, text: "\(name(player)) resigned."))
            goBankrupt(player, to: .bank)
        }
        settle()
    }
}

func squareName(_ index: Int) -> String { Board.squares[index].name }
