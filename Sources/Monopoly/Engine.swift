/// The rules: lobby, commands in, events out. A rejected command changes nothing.

extension GameState {
    // MARK: Lobby and seats (called by the authority)

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
        var engine = Engine(s: self, dice: SeededDice())
        engine.finish(winner: nil, reason: reason)
        self = engine.s
        return engine.events
    }

    /// A disconnected player keeps the seat; the authority records it here for clients.
    public mutating func setConnected(_ id: PlayerID, _ connected: Bool) {
        if let i = index(of: id) { players[i].connected = connected }
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

    // MARK: Commands

    /// Applies a command with dice from `dice` (the game's own generator is its fallback).
    /// On error nothing changes, neither the state nor `dice`.
    public mutating func apply(_ command: Command, by player: PlayerID, dice: inout some DiceSource) throws(RuleViolation) -> [Event] {
        var engine = Engine(s: self, dice: dice)
        try engine.run(command, by: player)
        self = engine.s
        dice = engine.dice
        return engine.events
    }

    /// Applies a command with dice from the game's seeded generator.
    public mutating func apply(_ command: Command, by player: PlayerID) throws(RuleViolation) -> [Event] {
        var dice = SeededDice()
        return try apply(command, by: player, dice: &dice)
    }

    /// Liquidation value: cash, plus half the cost of every building, plus the mortgage value of
    /// every unmortgaged property. A debt up to this amount can be raised without trading.
    public func liquidationValue(of id: PlayerID) -> Int {
        guard let p = player(id) else { return 0 }
        var v = p.cash
        for sq in squares where sq.owner == id {
            let info = sq.info
            v += sq.houses * info.houseCost / 2
            if !sq.mortgaged { v += info.mortgage }
        }
        return v
    }

    /// Official short-game valuation: cash, printed price of unmortgaged properties, mortgage value of
    /// mortgaged ones, and the purchase price of buildings (a hotel counts as five houses).
    public func netWorth(of id: PlayerID) -> Int {
        guard let p = player(id) else { return 0 }
        var v = p.cash
        for sq in squares where sq.owner == id {
            let info = sq.info
            v += sq.mortgaged ? info.mortgage : info.price
            v += sq.houses * info.houseCost
        }
        return v
    }

    /// Whether `owner` holds every property of the group of `square`.
    public func ownsGroup(_ owner: PlayerID, of square: Int) -> Bool {
        let g = Board.group(of: square)
        return !g.isEmpty && g.allSatisfy { squares[$0].owner == owner }
    }

    /// The rent a visitor would owe on `square` right now (dice total for utilities).
    public func rent(of square: Int, diceTotal: Int) -> Int {
        let st = squares[square]
        guard let owner = st.owner, !st.mortgaged else { return 0 }
        let info = st.info
        switch info.kind {
        case .property:
            if st.houses > 0 { return info.rents[st.houses] }
            return info.rents[0] * (ownsGroup(owner, of: square) ? 2 : 1)
        case .railroad:
            let n = Board.railroads.filter { squares[$0].owner == owner }.count
            return Board.railroadRents[n - 1]
        case .utility:
            let n = Board.utilities.filter { squares[$0].owner == owner }.count
            return (n == 2 ? 10 : 4) * diceTotal
        default:
            return 0
        }
    }

    /// Why `player` may not build the next building on `square` (nil when legal).
    /// `ignoringCash` is used for placing a building won at a shortage auction.
    public func buildViolation(_ player: PlayerID, on square: Int, ignoringCash: Bool = false) -> RuleViolation? {
        guard (0..<Board.size).contains(square) else { return RuleViolation(.invalidSquare, "There is no square \(square).") }
        let st = squares[square], info = st.info
        guard info.kind == .property else { return RuleViolation(.notBuildable, "Houses can only be built on coloured lots.") }
        guard st.owner == player else { return RuleViolation(.notOwner, "You do not own \(info.name).") }
        let g = Board.group(of: square)
        guard ownsGroup(player, of: square) else {
            return RuleViolation(.incompleteGroup, "You must own every lot of a colour group before building on it.")
        }
        guard !g.contains(where: { squares[$0].mortgaged }) else {
            return RuleViolation(.groupMortgaged, "You cannot build while a lot of the group is mortgaged.")
        }
        guard st.houses < 5 else { return RuleViolation(.maxBuildings, "\(info.name) already has a hotel.") }
        if options.evenBuild, st.houses > g.map({ squares[$0].houses }).min()! {
            return RuleViolation(.mustBuildEvenly, "You must build evenly: every lot of the group needs \(st.houses) houses before \(info.name) gets another.")
        }
        if st.houses == 4 {
            guard bank.hotels > 0 else { return RuleViolation(.bankOutOfHotels, "The bank has no hotels left.") }
        } else {
            guard bank.houses > 0 else { return RuleViolation(.bankOutOfHouses, "The bank has no houses left.") }
        }
        if !ignoringCash, let p = self.player(player), p.cash < info.houseCost {
            return RuleViolation(.insufficientFunds, "A building on \(info.name) costs $\(info.houseCost); you have $\(p.cash).")
        }
        return nil
    }

    /// Whether `player` could legally build a building of `kind` somewhere right now (cash included).
    func canBuildAnywhere(_ player: PlayerID, kind: AuctionKind) -> Bool {
        for sq in squares where sq.owner == player && sq.info.kind == .property {
            if (kind == .hotel) == (sq.houses == 4), buildViolation(player, on: sq.index) == nil { return true }
        }
        return false
    }

    /// Open proposals a player may have at once: every command re-checks the open trades and every
    /// state carries them, so they must not grow with what one client sends.
    public static let maximumOpenTradesPerProposer = 3

    /// Why `from` may not propose another trade to `to` now: they have the most open proposals
    /// already, or a trade between the two of them (either way) is open. Nil when they may.
    public func tradeLimitViolation(from: PlayerID, to: PlayerID) -> RuleViolation? {
        if trades.contains(where: { ($0.from == from && $0.to == to) || ($0.from == to && $0.to == from) }) {
            return RuleViolation(.tooManyTrades, "A trade between these two players is already open; it must be answered or withdrawn first.")
        }
        if trades.count(where: { $0.from == from }) >= Self.maximumOpenTradesPerProposer {
            return RuleViolation(.tooManyTrades, "At most \(Self.maximumOpenTradesPerProposer) of your trade proposals can be open at once.")
        }
        return nil
    }

    /// Why a trade side is not valid now (nil when valid).
    func offerViolation(_ offer: TradeOffer, from id: PlayerID) -> RuleViolation? {
        guard let p = player(id), !p.bankrupt else { return RuleViolation(.invalidTrade, "That player is not in the game.") }
        guard offer.cash >= 0, offer.jailCards >= 0 else { return RuleViolation(.invalidTrade, "Amounts in a trade cannot be negative.") }
        guard offer.cash <= p.cash else {
            return RuleViolation(.insufficientFunds, "\(p.name) does not have $\(offer.cash) (trades cannot include loans).")
        }
        if offer.cash > 0, debts.contains(where: { $0.debtor == id }) {
            return RuleViolation(.debtPending, "\(p.name) must pay their debt before giving cash away.")
        }
        guard offer.jailCards <= p.jailCards.count else {
            return RuleViolation(.noJailCard, "\(p.name) does not hold \(offer.jailCards) Get Out of Jail Free card(s).")
        }
        guard Set(offer.properties).count == offer.properties.count else { return RuleViolation(.invalidTrade, "A property is listed twice.") }
        for sq in offer.properties {
            guard (0..<Board.size).contains(sq) else { return RuleViolation(.invalidSquare, "There is no square \(sq).") }
            guard squares[sq].owner == id else { return RuleViolation(.notOwner, "\(p.name) does not own \(Board.squares[sq].name).") }
            if Board.group(of: sq).contains(where: { squares[$0].houses > 0 }) {
                return RuleViolation(.buildingsInGroup, "\(Board.squares[sq].name) cannot be traded while its colour group has buildings; sell them first.")
            }
        }
        return nil
    }

    /// Why a trade where `from` gives `give` and `to` gives `get` is not valid now (nil when valid).
    func tradeViolation(from: PlayerID, to: PlayerID, give: TradeOffer, get: TradeOffer) -> RuleViolation? {
        if let v = offerViolation(give, from: from) { return v }
        if let v = offerViolation(get, from: to) { return v }
        if let v = debtorGiftViolation(gives: give, gets: get, by: from) { return v }
        return debtorGiftViolation(gives: get, gets: give, by: to)
    }

    /// A debtor owes the creditor "all that you have of value": properties and jail cards may be sold
    /// to raise the cash, never given away, so what comes back must be worth at least as much.
    func debtorGiftViolation(gives: TradeOffer, gets: TradeOffer, by id: PlayerID) -> RuleViolation? {
        guard gives.properties.count + gives.jailCards > 0, debts.contains(where: { $0.debtor == id }) else { return nil }
        let given = settlementValue(gives), received = settlementValue(gets)
        guard received < given else { return nil }
        return RuleViolation(.debtPending, "\(player(id)?.name ?? id) is in debt: what they trade away is worth $\(given) to the creditor (mortgage values, $\(Board.jailFine) a Get Out of Jail Free card) and must bring at least that, not $\(received).")
    }

    /// A trade side's worth to a creditor: cash, each property's mortgage value (a mortgaged lot's
    /// equity, its price less the mortgage, is the same amount) and the fine a jail card saves.
    /// Offers are checked first (cash held, lots owned, cards held), so this cannot overflow.
    func settlementValue(_ offer: TradeOffer) -> Int {
        offer.cash + offer.properties.reduce(0) { $0 + Board.squares[$1].mortgage } + offer.jailCards * Board.jailFine
    }
}

/// One command's worth of work on a copy of the state.
struct Engine<D: DiceSource> {
    var s: GameState
    var dice: D
    var events: [Event] = []
    var lastTotal: Int = 0

    init(s: GameState, dice: D) {
        self.s = s
        self.dice = dice
        self.lastTotal = (s.dice ?? [0, 0]).reduce(0, +)
    }

    // MARK: Helpers

    func idx(_ id: PlayerID) -> Int { s.index(of: id)! }
    func name(_ i: Int) -> String { s.players[i].name }
    func partyName(_ p: Party) -> String {
        switch p {
        case .bank: "the bank"
        case .jackpot: "the Free Parking jackpot"
        case .player(let id): s.player(id)?.name ?? id
        }
    }

    mutating func emit(_ e: Event) { events.append(e) }
    var feeParty: Party { s.options.freeParkingJackpot ? .jackpot : .bank }

    mutating func credit(_ party: Party, _ amount: Int) {
        switch party {
        case .bank: s.bank.cash += amount
        case .jackpot: s.jackpot += amount
        case .player(let id): s.players[idx(id)].cash += amount
        }
    }

    mutating func transfer(_ amount: Int, from: Party, to: Party) {
        credit(from, -amount)
        credit(to, amount)
    }

    /// The bank pays a player.
    mutating func collect(_ i: Int, _ amount: Int, _ reason: String) {
        transfer(amount, from: .bank, to: .player(s.players[i].id))
        emit(Event(.collected, player: s.players[i].id, amount: amount, detail: reason, text: "\(name(i)) collected $\(amount) (\(reason))."))
    }

    /// Player i owes `amount`: paid at once when the cash is there, otherwise a blocking debt.
    mutating func charge(_ i: Int, _ amount: Int, to creditor: Party, _ reason: String, kind: Event.Kind = .paid, square: Int? = nil) {
        guard amount > 0 else { return }
        let id = s.players[i].id
        var other: PlayerID? = nil
        if case .player(let o) = creditor { other = o }
        if !s.debts.contains(where: { $0.debtor == id }), s.players[i].cash >= amount {
            transfer(amount, from: .player(id), to: creditor)
            emit(Event(kind, player: id, other: other, square: square, amount: amount, detail: reason,
                       text: "\(name(i)) paid $\(amount) to \(partyName(creditor)) (\(reason))."))
        } else {
            s.debts.append(Debt(debtor: id, creditor: creditor, amount: amount, reason: reason))
            emit(Event(.debt, player: id, other: other, square: square, amount: amount, detail: reason,
                       text: "\(name(i)) owes $\(amount) to \(partyName(creditor)) (\(reason)) and must raise the money or go bankrupt."))
        }
    }

    func violation(_ code: RuleViolation.Code, _ message: String) -> RuleViolation { RuleViolation(code, message) }

    func requireCurrent(_ i: Int) throws(RuleViolation) {
        guard s.current == s.players[i].id else {
            let who = s.current.flatMap { s.player($0)?.name } ?? "nobody"
            throw violation(.notYourTurn, "It is not your turn (it is \(who)'s turn).")
        }
    }

    func requireStage(_ stage: TurnStage) throws(RuleViolation) {
        let now = s.stage
        guard now == stage else {
            switch now {
            case .debt: throw violation(.debtPending, "A debt must be paid (or bankruptcy declared) before play continues.")
            case .mortgageChoice: throw violation(.decisionPending, "A received mortgaged property must be lifted or kept first.")
            case .placement: throw violation(.mustPlaceBuilding, "The building won at auction must be placed first.")
            case .auction: throw violation(.auctionInProgress, "An auction is in progress.")
            case .jailFine: throw violation(.wrongStage, "After a third miss in jail, pay the $\(Board.jailFine) fine or use a Get Out of Jail Free card first.")
            case .buy: throw violation(.wrongStage, "First buy or decline \(squareName(s.pendingBuy ?? 0)).")
            case .roll: throw violation(.mustRoll, "You must roll first.")
            case .endTurn: throw violation(.alreadyRolled, "You have already rolled this turn.")
            case nil: throw violation(.gameNotStarted, "The game is not being played.")
            }
        }
    }

    var buildingAuctionRunning: Bool { s.auction.map { $0.kind != .property } ?? false }

    func requireNoBuildingAuction() throws(RuleViolation) {
        if buildingAuctionRunning { throw violation(.auctionInProgress, "Buildings cannot change while a building auction runs.") }
        if s.placement != nil { throw violation(.mustPlaceBuilding, "The building won at auction must be placed first.") }
    }

    func square(_ sq: Int) throws(RuleViolation) -> Int {
        guard (0..<Board.size).contains(sq) else { throw violation(.invalidSquare, "There is no square \(sq).") }
        return sq
    }

    // MARK: Dispatch

    mutating func run(_ command: Command, by pid: PlayerID) throws(RuleViolation) {
        if command == .start { try start(by: pid); return }
        switch s.phase {
        case .lobby: throw violation(.gameNotStarted, "The game has not started yet.")
        case .finished: throw violation(.gameOver, "The game is over.")
        case .playing: break
        }
        if command == .auctionTimeout {
            guard s.auction != nil else { throw violation(.noAuction, "No auction is running.") }
            finishAuction(timedOut: true)
            settle()
            return
        }
        guard let i = s.index(of: pid) else { throw violation(.unknownPlayer, "No such player in this game.") }
        guard !s.players[i].bankrupt else { throw violation(.playerBankrupt, "You are bankrupt and out of the game.") }

        switch command {
        case .start, .auctionTimeout: break
        case .roll: try roll(i)
        case .buy: try buy(i)
        case .decline: try decline(i)
        case .bid(let amount): try bid(i, amount)
        case .pass: try pass(i)
        case .endTurn:
            try requireCurrent(i)
            try requireStage(.endTurn)
            emit(Event(.turnEnded, player: pid, text: "\(name(i)) ended the turn."))
            nextTurn()
        case .build(let sq): try build(i, try square(sq))
        case .sell(let sq): try sell(i, try square(sq))
        case .mortgage(let sq): try mortgage(i, try square(sq))
        case .unmortgage(let sq): try unmortgage(i, try square(sq))
        case .liftMortgage(let sq): try liftMortgage(i, try square(sq))
        case .keepMortgage(let sq): try keepMortgage(i, try square(sq))
        case .jailPay: try jailPay(i)
        case .jailCard: try jailCard(i)
        case .tradePropose(let to, let give, let get): try propose(i, to: to, give: give, get: get)
        case .tradeAccept(let t): try accept(i, t)
        case .tradeReject(let t): try reject(i, t)
        case .bankrupt: try declareBankruptcy(i)
        case .resign:
            emit(Event(.bankrupt, player: pid, text: "\(name(i)) resigned."))
            goBankrupt(i, to: .bank)
        }
        settle()
    }

    // MARK: Start and turns

    mutating func start(by pid: PlayerID) throws(RuleViolation) {
        guard s.phase == .lobby else { throw violation(.gameNotInLobby, "The game has already started.") }
        guard pid == s.host else { throw violation(.notHost, "Only the host can start the game.") }
        guard s.players.count >= 2 else { throw violation(.notEnoughPlayers, "At least two players are needed to start.") }
        s.options = try s.options.validated()
        for k in s.players.indices { s.players[k].cash = s.options.startingCash }
        s.moneySupply = s.options.startingCash * s.players.count
        if s.options.shuffleCards {
            s.chanceDeck.shuffle(using: &s.rng)
            s.communityChestDeck.shuffle(using: &s.rng)
        }
        s.phase = .playing
        s.current = s.players[0].id
        s.turnNumber = 1
        s.canRoll = true
        emit(Event(.started, player: pid, amount: s.options.startingCash,
                   text: "The game started with \(s.players.count) players and $\(s.options.startingCash) each."))
        emit(Event(.turnStarted, player: s.players[0].id, text: "It is \(name(0))'s turn."))
    }

    /// Passes the turn to the next player still in the game (or ends a short game).
    mutating func nextTurn() {
        s.pendingBuy = nil
        s.canRoll = true
        if let limit = s.options.turnLimit, s.turnNumber >= limit {
            let best = s.activePlayers.max { a, b in s.netWorth(of: a.id) < s.netWorth(of: b.id) }
            let ranked = s.activePlayers.filter { s.netWorth(of: $0.id) == s.netWorth(of: best!.id) }
            finish(winner: ranked.first!.id, reason: "turn_limit")
            return
        }
        s.turnNumber += 1
        let start = s.current.flatMap { s.index(of: $0) } ?? 0
        var k = start
        repeat {
            k = (k + 1) % s.players.count
        } while s.players[k].bankrupt && k != start
        s.current = s.players[k].id
        s.players[k].doubles = 0
        emit(Event(.turnStarted, player: s.players[k].id, text: "It is \(name(k))'s turn."))
    }

    mutating func finish(winner: PlayerID?, reason: String) {
        s.phase = .finished
        s.winner = winner
        s.endReason = reason
        s.auction = nil
        s.auctionQueue = []
        s.pendingBuy = nil
        s.debts = []
        s.mortgageChoices = []
        s.placement = nil
        s.trades = []
        let who = winner.flatMap { s.player($0)?.name } ?? "nobody"
        let text = switch reason {
        case "turn_limit": "Game over: \(who) has the highest net worth when the turn limit is reached and wins."
        case "abandoned": "Game over: no player was connected for too long, the game is closed."
        case "lobby_idle": "The game is closed: nobody was connected to it for too long."
        case "lobby_empty": "The game is closed: every player left."
        default: "Game over: \(who) is the last player standing and wins."
        }
        emit(Event(.gameOver, player: winner, detail: reason, text: text))
    }

    // MARK: Rolling and moving

    mutating func rollDie() -> Int { dice.nextDie(fallback: &s.rng) }

    mutating func roll(_ i: Int) throws(RuleViolation) {
        try requireCurrent(i)
        try requireStage(.roll)
        let a = rollDie(), b = rollDie()
        s.dice = [a, b]
        lastTotal = a + b
        let id = s.players[i].id
        let pos = s.players[i].position
        let dest = squareName((pos + a + b) % Board.size)
        if s.players[i].inJail {
            s.canRoll = false
            if a == b {
                s.players[i].inJail = false
                s.players[i].jailTurns = 0
                emit(Event(.leftJail, player: id, dice: [a, b], text: "\(name(i)) rolled \(a)+\(b), doubles: out of jail and moved to \(dest)."))
                move(i, by: a + b)
            } else {
                s.players[i].jailTurns += 1
                if s.players[i].jailTurns >= 3 {
                    // The fine comes before the move: with a card held, the player chooses (stage
                    // jail_fine); otherwise it is charged now, and a fine that must be raised first
                    // keeps the token in jail until it is paid (`settle`) or the player is bankrupt.
                    emit(Event(.stayedInJail, player: id, dice: [a, b],
                               text: "\(name(i)) rolled \(a)+\(b), a third miss: the $\(Board.jailFine) fine is due before moving to \(dest)."))
                    if s.players[i].jailCards.isEmpty { payJailFine(i) }
                } else {
                    emit(Event(.stayedInJail, player: id, dice: [a, b], text: "\(name(i)) rolled \(a)+\(b) and stays in jail."))
                }
            }
            return
        }
        if a == b {
            s.players[i].doubles += 1
            if s.players[i].doubles >= 3 {
                emit(Event(.rolled, player: id, dice: [a, b], text: "\(name(i)) rolled \(a)+\(b), a third doubles in a row."))
                sendToJail(i, "three doubles in a row")
                return
            }
            s.canRoll = true
        } else {
            s.canRoll = false
        }
        emit(Event(.rolled, player: id, square: (pos + a + b) % Board.size, dice: [a, b],
                   text: "\(name(i)) rolled \(a)+\(b)\(a == b ? " (doubles)" : "") and moved to \(dest)."))
        move(i, by: a + b)
    }

    /// Moves forward by dice; GO salary when passing or landing on GO.
    mutating func move(_ i: Int, by steps: Int) {
        let from = s.players[i].position
        let to = (from + steps) % Board.size
        s.players[i].position = to
        if from + steps >= Board.size { salary(i, exact: to == Board.goIndex) }
        land(i, mode: .normal)
    }

    /// Moves forward to a square (cards); passing or landing on GO pays the salary.
    mutating func advance(_ i: Int, to target: Int, mode: RentMode) {
        let from = s.players[i].position
        s.players[i].position = target
        emit(Event(.moved, player: s.players[i].id, square: target, text: "\(name(i)) advanced to \(squareName(target))."))
        if target <= from { salary(i, exact: target == Board.goIndex) }
        land(i, mode: mode)
    }

    mutating func salary(_ i: Int, exact: Bool) {
        let amount = exact && s.options.doubleSalaryOnGo ? 2 * Board.salary : Board.salary
        transfer(amount, from: .bank, to: .player(s.players[i].id))
        emit(Event(.passedGo, player: s.players[i].id, amount: amount,
                   text: "\(name(i)) \(exact ? "landed on" : "passed") GO and collected $\(amount)."))
    }

    mutating func sendToJail(_ i: Int, _ why: String) {
        s.players[i].position = Board.jailIndex
        s.players[i].inJail = true
        s.players[i].jailTurns = 0
        s.players[i].doubles = 0
        if s.current == s.players[i].id { s.canRoll = false }
        emit(Event(.wentToJail, player: s.players[i].id, square: Board.jailIndex, detail: why,
                   text: "\(name(i)) went to jail (\(why))."))
    }

    enum RentMode { case normal, railroadDouble, utilityTen }

    mutating func land(_ i: Int, mode: RentMode) {
        let pos = s.players[i].position
        switch Board.squares[pos].kind {
        case .go, .jail: break
        case .freeParking:
            if s.options.freeParkingJackpot, s.jackpot > 0 {
                let amount = s.jackpot
                transfer(amount, from: .jackpot, to: .player(s.players[i].id))
                emit(Event(.jackpot, player: s.players[i].id, square: pos, amount: amount,
                           text: "\(name(i)) collected the Free Parking jackpot of $\(amount)."))
            }
        case .goToJail: sendToJail(i, "landed on Go To Jail")
        case .incomeTax: charge(i, Board.incomeTax, to: feeParty, "Income Tax", square: pos)
        case .luxuryTax: charge(i, Board.luxuryTax, to: feeParty, "Luxury Tax", square: pos)
        case .chance: draw(i, .chance)
        case .communityChest: draw(i, .communityChest)
        case .property, .railroad, .utility: landOnOwnable(i, pos, mode)
        }
    }

    mutating func landOnOwnable(_ i: Int, _ sq: Int, _ mode: RentMode) {
        let st = s.squares[sq], info = st.info, id = s.players[i].id
        guard let owner = st.owner else {
            s.pendingBuy = sq
            return
        }
        if owner == id { return }
        let oi = idx(owner)
        if st.mortgaged {
            emit(Event(.noRent, player: id, other: owner, square: sq, text: "\(info.name) is mortgaged: no rent."))
            return
        }
        if s.options.noRentInJail, s.players[oi].inJail {
            emit(Event(.noRent, player: id, other: owner, square: sq, text: "\(name(oi)) is in jail and collects no rent."))
            return
        }
        var rent: Int
        switch mode {
        case .normal:
            rent = s.rent(of: sq, diceTotal: lastTotal)
        case .railroadDouble:
            rent = 2 * s.rent(of: sq, diceTotal: lastTotal)
        case .utilityTen:
            let a = rollDie(), b = rollDie()
            s.dice = [a, b]
            rent = 10 * (a + b)
            emit(Event(.rolled, player: id, dice: [a, b], text: "\(name(i)) threw \(a)+\(b) for the utility: 10 × \(a + b)."))
        }
        charge(i, rent, to: .player(owner), "rent for \(info.name)", kind: .rentPaid, square: sq)
    }

    // MARK: Cards

    mutating func draw(_ i: Int, _ deck: DeckKind) {
        var cards = deck == .chance ? s.chanceDeck : s.communityChestDeck
        let cid = cards.removeFirst()
        let card = Cards.card(deck, cid)
        if card.effect != .getOutOfJailFree { cards.append(cid) }
        if deck == .chance { s.chanceDeck = cards } else { s.communityChestDeck = cards }
        let id = s.players[i].id
        emit(Event(.cardDrawn, player: id, square: s.players[i].position, detail: card.text,
                   text: "\(name(i)) drew \(deck.title): \(card.text)"))
        switch card.effect {
        case .advance(let t):
            advance(i, to: t, mode: .normal)
        case .nearestRailroad:
            let pos = s.players[i].position
            let t = Board.railroads.first { $0 > pos } ?? Board.railroads[0]
            advance(i, to: t, mode: .railroadDouble)
        case .nearestUtility:
            let pos = s.players[i].position
            let t = Board.utilities.first { $0 > pos } ?? Board.utilities[0]
            advance(i, to: t, mode: .utilityTen)
        case .collect(let a):
            collect(i, a, card.text)
        case .pay(let a):
            charge(i, a, to: feeParty, card.text)
        case .getOutOfJailFree:
            s.players[i].jailCards.append(deck)
        case .back3:
            let to = (s.players[i].position + Board.size - 3) % Board.size
            s.players[i].position = to
            emit(Event(.moved, player: id, square: to, text: "\(name(i)) went back 3 spaces to \(squareName(to))."))
            land(i, mode: .normal)
        case .goToJail:
            sendToJail(i, "card")
        case .repairs(let perHouse, let perHotel):
            var total = 0
            for sq in s.squares where sq.owner == id {
                total += sq.houses == 5 ? perHotel : sq.houses * perHouse
            }
            if total > 0 { charge(i, total, to: feeParty, "repairs") }
        case .payEachPlayer(let a):
            // Clockwise from the drawer; the first who cannot be paid in full is owed first.
            for k in 1..<s.players.count {
                let j = (i + k) % s.players.count
                if !s.players[j].bankrupt { charge(i, a, to: .player(s.players[j].id), "Chairman of the Board") }
            }
        case .collectFromEachPlayer(let a):
            for j in s.players.indices where j != i && !s.players[j].bankrupt {
                charge(j, a, to: .player(id), "birthday")
            }
        }
    }

    // MARK: Buying and auctions

    mutating func buy(_ i: Int) throws(RuleViolation) {
        try requireCurrent(i)
        try requireStage(.buy)
        let sq = s.pendingBuy!, info = Board.squares[sq]
        guard s.players[i].cash >= info.price else {
            throw violation(.insufficientFunds, "\(info.name) costs $\(info.price); you have $\(s.players[i].cash). Mortgage or sell to raise it, or decline.")
        }
        let id = s.players[i].id
        transfer(info.price, from: .player(id), to: .bank)
        s.squares[sq].owner = id
        s.pendingBuy = nil
        emit(Event(.bought, player: id, square: sq, amount: info.price, text: "\(name(i)) bought \(info.name) for $\(info.price)."))
    }

    mutating func decline(_ i: Int) throws(RuleViolation) {
        try requireCurrent(i)
        try requireStage(.buy)
        let sq = s.pendingBuy!
        s.pendingBuy = nil
        emit(Event(.declined, player: s.players[i].id, square: sq, text: "\(name(i)) declined to buy \(squareName(sq))."))
        if s.options.auctions { startPropertyAuction(sq) }
    }

    mutating func startPropertyAuction(_ sq: Int) {
        s.auction = Auction(kind: .property, square: sq, bidders: s.activePlayers.map(\.id))
        emit(Event(.auctionStarted, square: sq, text: "\(squareName(sq)) goes to auction."))
    }

    mutating func bid(_ i: Int, _ amount: Int) throws(RuleViolation) {
        try requireStage(.auction)
        var a = s.auction!
        let id = s.players[i].id
        guard a.bidders.contains(id) else { throw violation(.notInAuction, "You are not in this auction.") }
        guard !a.passed.contains(id) else { throw violation(.alreadyPassed, "You passed and are out of this auction.") }
        guard a.highBidder != id else { throw violation(.alreadyHighBidder, "You already hold the high bid.") }
        guard amount > a.highBid, amount >= 1 else { throw violation(.bidTooLow, "A bid must be higher than $\(a.highBid).") }
        guard amount <= s.players[i].cash else { throw violation(.insufficientFunds, "You cannot bid more than your cash ($\(s.players[i].cash)).") }
        a.highBid = amount
        a.highBidder = id
        a.seq += 1
        s.auction = a
        emit(Event(.bid, player: id, square: a.square, amount: amount, text: "\(name(i)) bid $\(amount)."))
        if a.waitingOn.isEmpty { finishAuction(timedOut: false) }
    }

    mutating func pass(_ i: Int) throws(RuleViolation) {
        try requireStage(.auction)
        var a = s.auction!
        let id = s.players[i].id
        guard a.bidders.contains(id) else { throw violation(.notInAuction, "You are not in this auction.") }
        guard !a.passed.contains(id) else { throw violation(.alreadyPassed, "You have already passed.") }
        guard a.highBidder != id else { throw violation(.alreadyHighBidder, "The high bidder cannot pass.") }
        a.passed.append(id)
        a.seq += 1
        s.auction = a
        emit(Event(.passed, player: id, square: a.square, text: "\(name(i)) passed."))
        if a.waitingOn.isEmpty { finishAuction(timedOut: false) }
    }

    mutating func finishAuction(timedOut: Bool) {
        guard let a = s.auction else { return }
        s.auction = nil
        let what = a.square.map(squareName) ?? (a.kind == .hotel ? "a hotel" : "a house")
        guard let winner = a.highBidder else {
            emit(Event(.auctionUnsold, square: a.square, text: "Nobody bid: \(what) stays with the bank."))
            return
        }
        let w = idx(winner)
        charge(w, a.highBid, to: .bank, "auction")
        emit(Event(.auctionWon, player: winner, square: a.square, amount: a.highBid,
                   text: "\(name(w)) won \(what) for $\(a.highBid)\(timedOut ? " when time ran out" : "")."))
        if let sq = a.square {
            s.squares[sq].owner = winner
        } else {
            s.placement = Placement(player: winner, kind: a.kind)
        }
    }

    // MARK: Buildings

    mutating func build(_ i: Int, _ sq: Int) throws(RuleViolation) {
        let id = s.players[i].id
        if let pl = s.placement {
            guard pl.player == id else { throw violation(.mustPlaceBuilding, "\(s.player(pl.player)?.name ?? "") must first place the building won at auction.") }
            if let v = s.buildViolation(id, on: sq, ignoringCash: true) { throw v }
            guard (s.squares[sq].houses == 4) == (pl.kind == .hotel) else {
                throw violation(.notBuildable, "The \(pl.kind == .hotel ? "hotel" : "house") won at auction must go on a lot ready for it.")
            }
            s.placement = nil
            place(i, sq, paid: 0)
            return
        }
        switch s.stage {
        case .debt: throw violation(.debtPending, "Nobody builds while a debt is unpaid.")
        case .mortgageChoice: throw violation(.decisionPending, "A received mortgaged property must be lifted or kept first.")
        case .auction: throw violation(.auctionInProgress, "Nobody builds during an auction.")
        default: break
        }
        if let v = s.buildViolation(id, on: sq) { throw v }
        let kind: AuctionKind = s.squares[sq].houses == 4 ? .hotel : .house
        let stock = kind == .hotel ? s.bank.hotels : s.bank.houses
        let wanting = s.activePlayers.map(\.id).filter { s.canBuildAnywhere($0, kind: kind) }
        if wanting.count >= 2, wanting.count > stock {
            s.auction = Auction(kind: kind, square: nil, bidders: wanting)
            let names = wanting.compactMap { s.player($0)?.name }.joined(separator: ", ")
            emit(Event(.buildingAuction, player: id, detail: kind.rawValue,
                       text: "The bank has only \(stock) \(kind == .hotel ? "hotel" : "house")\(stock == 1 ? "" : "s") left and \(wanting.count) players can build: one goes to auction among \(names)."))
            return
        }
        let cost = Board.squares[sq].houseCost
        transfer(cost, from: .player(id), to: .bank)
        place(i, sq, paid: cost)
    }

    mutating func place(_ i: Int, _ sq: Int, paid: Int) {
        let h = s.squares[sq].houses
        if h == 4 {
            s.bank.hotels -= 1
            s.bank.houses += 4
        } else {
            s.bank.houses -= 1
        }
        s.squares[sq].houses = h + 1
        let what = h == 4 ? "a hotel" : "a house"
        emit(Event(.built, player: s.players[i].id, square: sq, amount: paid,
                   text: "\(name(i)) built \(what) on \(squareName(sq))\(paid > 0 ? " for $\(paid)" : "")."))
    }

    mutating func sell(_ i: Int, _ sq: Int) throws(RuleViolation) {
        try requireNoBuildingAuction()
        let id = s.players[i].id, info = Board.squares[sq]
        guard s.squares[sq].owner == id else { throw violation(.notOwner, "You do not own \(info.name).") }
        let h = s.squares[sq].houses
        guard h > 0 else { throw violation(.noBuildings, "\(info.name) has no buildings to sell.") }
        let group = Board.group(of: sq)
        if s.options.evenBuild, h < group.map({ s.squares[$0].houses }).max()! {
            throw violation(.mustSellEvenly, "You must sell evenly: sell from the lots with the most buildings first.")
        }
        let half = info.houseCost / 2
        if h < 5 || s.bank.houses >= 4 {
            if h == 5 {
                s.bank.hotels += 1
                s.bank.houses -= 4
            } else {
                s.bank.houses += 1
            }
            s.squares[sq].houses = h - 1
            transfer(half, from: .bank, to: .player(id))
            emit(Event(.sold, player: id, square: sq, amount: half,
                       text: "\(name(i)) sold \(h == 5 ? "the hotel" : "a house") on \(info.name) for $\(half)."))
            return
        }
        // Hotel, but the bank lacks the four houses to break it down: the hotels of the group (just this
        // lot without even-build) come down to the highest even level the bank's houses allow.
        let lots = s.options.evenBuild ? group : [sq]
        func need(_ level: Int) -> Int {
            lots.reduce(0) { acc, l in
                let x = s.squares[l].houses
                return acc + (x == 5 ? level : -max(0, x - level))
            }
        }
        let level = (0...4).reversed().first { need($0) <= s.bank.houses }!
        var refund = 0
        for l in lots {
            let x = s.squares[l].houses
            if x == 5 {
                s.bank.hotels += 1
                s.bank.houses -= level
                refund += (5 - level) * half
                s.squares[l].houses = level
            } else if x > level {
                s.bank.houses += x - level
                refund += (x - level) * half
                s.squares[l].houses = level
            }
        }
        transfer(refund, from: .bank, to: .player(id))
        emit(Event(.sold, player: id, square: sq, amount: refund,
                   text: "The bank lacks houses to break down the hotel: \(name(i)) sold the group down to \(level) house\(level == 1 ? "" : "s") per lot for $\(refund)."))
    }

    // MARK: Mortgages

    mutating func mortgage(_ i: Int, _ sq: Int) throws(RuleViolation) {
        try requireNoBuildingAuction()
        let id = s.players[i].id, info = Board.squares[sq]
        guard s.squares[sq].owner == id else { throw violation(.notOwner, "You do not own \(info.name).") }
        guard !s.squares[sq].mortgaged else { throw violation(.alreadyMortgaged, "\(info.name) is already mortgaged.") }
        guard !Board.group(of: sq).contains(where: { s.squares[$0].houses > 0 }) else {
            throw violation(.buildingsInGroup, "Sell the buildings of the colour group before mortgaging \(info.name).")
        }
        s.squares[sq].mortgaged = true
        s.mortgageChoices.removeAll { $0.square == sq }
        transfer(info.mortgage, from: .bank, to: .player(id))
        emit(Event(.mortgaged, player: id, square: sq, amount: info.mortgage, text: "\(name(i)) mortgaged \(info.name) for $\(info.mortgage)."))
    }

    mutating func unmortgage(_ i: Int, _ sq: Int) throws(RuleViolation) {
        let id = s.players[i].id
        if s.mortgageChoices.contains(MortgageChoice(player: id, square: sq)) { try liftMortgage(i, sq); return }
        if s.auction != nil { throw violation(.auctionInProgress, "Mortgages cannot be lifted during an auction.") }
        try requireNoBuildingAuction()
        if s.debts.contains(where: { $0.debtor == id }) { throw violation(.debtPending, "Pay your debt first.") }
        try lift(i, sq)
    }

    mutating func lift(_ i: Int, _ sq: Int) throws(RuleViolation) {
        let id = s.players[i].id, info = Board.squares[sq]
        guard s.squares[sq].owner == id else { throw violation(.notOwner, "You do not own \(info.name).") }
        guard s.squares[sq].mortgaged else { throw violation(.notMortgaged, "\(info.name) is not mortgaged.") }
        let cost = Board.unmortgageCost(sq)
        guard s.players[i].cash >= cost else {
            throw violation(.insufficientFunds, "Lifting the mortgage on \(info.name) costs $\(cost) (value + 10%); you have $\(s.players[i].cash).")
        }
        transfer(cost, from: .player(id), to: .bank)
        s.squares[sq].mortgaged = false
        s.mortgageChoices.removeAll { $0.square == sq }
        emit(Event(.unmortgaged, player: id, square: sq, amount: cost, text: "\(name(i)) lifted the mortgage on \(info.name) for $\(cost)."))
    }

    mutating func liftMortgage(_ i: Int, _ sq: Int) throws(RuleViolation) {
        let id = s.players[i].id
        guard s.mortgageChoices.contains(MortgageChoice(player: id, square: sq)) else {
            throw violation(.noDecision, "You have no mortgage decision pending on \(squareName(sq)).")
        }
        // A debtor pays before spending: keeping it (the 10% queues behind the debt) is still open.
        if s.debts.contains(where: { $0.debtor == id }) { throw violation(.debtPending, "Pay your debt first (or keep the mortgage).") }
        try lift(i, sq)
    }

    mutating func keepMortgage(_ i: Int, _ sq: Int) throws(RuleViolation) {
        let id = s.players[i].id
        guard let k = s.mortgageChoices.firstIndex(of: MortgageChoice(player: id, square: sq)) else {
            throw violation(.noDecision, "You have no mortgage decision pending on \(squareName(sq)).")
        }
        s.mortgageChoices.remove(at: k)
        chargeInterest(i, sq, text: "\(name(i)) keeps \(squareName(sq)) mortgaged and pays 10% interest.")
    }

    /// The 10% a receiver of a mortgaged property owes when not lifting the mortgage at once.
    mutating func chargeInterest(_ i: Int, _ sq: Int, text: String) {
        emit(Event(.mortgageKept, player: s.players[i].id, square: sq, amount: Board.interest(sq), text: text))
        charge(i, Board.interest(sq), to: .bank, "10% interest on \(squareName(sq))")
    }

    // MARK: Jail

    mutating func jailPay(_ i: Int) throws(RuleViolation) {
        try requireCurrent(i)
        guard s.players[i].inJail else { throw violation(.notInJail, "You are not in jail.") }
        if s.players[i].jailTurns >= 3 {
            try requireStage(.jailFine)
            payJailFine(i)
            return
        }
        try requireStage(.roll)
        // The rules: "paying a fine of $50 before you roll the dice on either of your next two turns".
        guard s.players[i].jailTurns < 2 else {
            throw violation(.mustRoll, "On your third turn in jail you roll for doubles (or use a Get Out of Jail Free card); the $\(Board.jailFine) fine is due if you miss.")
        }
        guard s.players[i].cash >= Board.jailFine else {
            throw violation(.insufficientFunds, "The fine is $\(Board.jailFine); you have $\(s.players[i].cash).")
        }
        transfer(Board.jailFine, from: .player(s.players[i].id), to: feeParty)
        s.players[i].inJail = false
        s.players[i].jailTurns = 0
        emit(Event(.leftJail, player: s.players[i].id, amount: Board.jailFine, text: "\(name(i)) paid $\(Board.jailFine) to get out of jail."))
    }

    mutating func jailCard(_ i: Int) throws(RuleViolation) {
        try requireCurrent(i)
        guard s.players[i].inJail else { throw violation(.notInJail, "You are not in jail.") }
        let thirdMiss = s.players[i].jailTurns >= 3
        try requireStage(thirdMiss ? .jailFine : .roll)
        guard !s.players[i].jailCards.isEmpty else { throw violation(.noJailCard, "You have no Get Out of Jail Free card.") }
        let deck = s.players[i].jailCards.removeFirst()
        returnJailCard(deck)
        emit(Event(.jailCardUsed, player: s.players[i].id, detail: deck.rawValue, text: "\(name(i)) used a Get Out of Jail Free card."))
        if thirdMiss {
            leaveJailAndMove(i)
        } else {
            s.players[i].inJail = false
            s.players[i].jailTurns = 0
        }
    }

    /// Why a debt is owed when it is the fine after a third missed roll in jail (`settle` moves the
    /// token once it is paid).
    static var jailFineReason: String { "jail fine" }

    /// The fine after a third missed roll: paid now and the token moves by that roll, or owed (a
    /// debt) and the token stays in jail until it is paid.
    mutating func payJailFine(_ i: Int) {
        charge(i, Board.jailFine, to: feeParty, Self.jailFineReason)
        if !s.debts.contains(where: { $0.debtor == s.players[i].id }) { leaveJailAndMove(i) }
    }

    /// After a third missed roll, once the fine is settled: out of jail and on by the roll.
    mutating func leaveJailAndMove(_ i: Int) {
        s.players[i].inJail = false
        s.players[i].jailTurns = 0
        let steps = lastTotal
        emit(Event(.leftJail, player: s.players[i].id, dice: s.dice,
                   text: "\(name(i)) leaves jail and moves to \(squareName((s.players[i].position + steps) % Board.size))."))
        move(i, by: steps)
    }

    /// A used (or surrendered) Get Out of Jail Free card goes to the bottom of its deck.
    mutating func returnJailCard(_ deck: DeckKind) {
        if deck == .chance { s.chanceDeck.append(Cards.jailCardID(.chance)) } else { s.communityChestDeck.append(Cards.jailCardID(.communityChest)) }
    }

    // MARK: Trades

    mutating func propose(_ i: Int, to: PlayerID, give: TradeOffer, get: TradeOffer) throws(RuleViolation) {
        let id = s.players[i].id
        guard to != id, let t = s.index(of: to), !s.players[t].bankrupt else {
            throw violation(.invalidTrade, "Trades are with another player still in the game.")
        }
        guard !(give.isEmpty && get.isEmpty) else { throw violation(.invalidTrade, "A trade must exchange something.") }
        if let v = s.tradeLimitViolation(from: id, to: to) { throw v }
        if let v = s.tradeViolation(from: id, to: to, give: give, get: get) { throw v }
        let tid = "t\(s.nextTradeNumber)"
        s.nextTradeNumber += 1
        s.trades.append(Trade(id: tid, from: id, to: to, give: give, get: get))
        s.players[i].lastProposalTurn = s.turnNumber
        emit(Event(.tradeProposed, player: id, other: to, detail: tid,
                   text: "\(name(i)) offers \(name(t)) \(describe(give)) for \(describe(get))."))
    }

    func describe(_ o: TradeOffer) -> String {
        var parts: [String] = []
        if o.cash > 0 { parts.append("$\(o.cash)") }
        parts += o.properties.map(squareName)
        if o.jailCards > 0 { parts.append("\(o.jailCards) Get Out of Jail Free card\(o.jailCards == 1 ? "" : "s")") }
        return parts.isEmpty ? "nothing" : parts.joined(separator: ", ")
    }

    mutating func accept(_ i: Int, _ tid: TradeID) throws(RuleViolation) {
        guard let k = s.trades.firstIndex(where: { $0.id == tid }) else { throw violation(.unknownTrade, "There is no open trade \(tid).") }
        let t = s.trades[k], id = s.players[i].id
        guard t.to == id else { throw violation(.notTradeRecipient, "Only \(s.player(t.to)?.name ?? t.to) can accept this trade.") }
        if s.auction != nil { throw violation(.auctionInProgress, "Trades are settled after the auction.") }
        try requireNoBuildingAuction()
        if let v = s.tradeViolation(from: t.from, to: t.to, give: t.give, get: t.get) { throw v }
        s.trades.remove(at: k)
        transfer(t.give.cash, from: .player(t.from), to: .player(t.to))
        transfer(t.get.cash, from: .player(t.to), to: .player(t.from))
        handOver(t.give.properties, cards: t.give.jailCards, from: t.from, to: t.to)
        handOver(t.get.properties, cards: t.get.jailCards, from: t.to, to: t.from)
        emit(Event(.tradeAccepted, player: t.to, other: t.from, detail: tid,
                   text: "\(name(i)) accepted the trade: \(describe(t.give)) for \(describe(t.get))."))
    }

    /// Properties and jail cards change hands; a mortgaged property asks the receiver to lift or keep.
    /// The 10% is due on receipt: a lot passed on before its receiver decided counts as kept by them.
    mutating func handOver(_ props: [Int], cards: Int, from: PlayerID, to: PlayerID) {
        for sq in props {
            s.squares[sq].owner = to
            if let k = s.mortgageChoices.firstIndex(of: MortgageChoice(player: from, square: sq)) {
                s.mortgageChoices.remove(at: k)
                let f = idx(from)
                chargeInterest(f, sq, text: "\(name(f)) passed on \(squareName(sq)) without lifting the mortgage and pays 10% interest.")
            }
            s.mortgageChoices.removeAll { $0.square == sq }
            if s.squares[sq].mortgaged { askMortgageChoice(to, sq) }
        }
        let f = idx(from), t = idx(to)
        for _ in 0..<cards { s.players[t].jailCards.append(s.players[f].jailCards.removeFirst()) }
    }

    /// The receiver of a mortgaged property must lift the mortgage or keep it (and pay the 10%).
    mutating func askMortgageChoice(_ to: PlayerID, _ sq: Int) {
        s.mortgageChoices.append(MortgageChoice(player: to, square: sq))
        emit(Event(.mortgageChoice, player: to, square: sq, amount: Board.interest(sq),
                   text: "\(s.player(to)!.name) received mortgaged \(squareName(sq)): lift the mortgage for $\(Board.unmortgageCost(sq)) or keep it and pay $\(Board.interest(sq)) interest."))
    }

    mutating func reject(_ i: Int, _ tid: TradeID) throws(RuleViolation) {
        guard let k = s.trades.firstIndex(where: { $0.id == tid }) else { throw violation(.unknownTrade, "There is no open trade \(tid).") }
        let t = s.trades[k], id = s.players[i].id
        guard t.to == id || t.from == id else { throw violation(.notTradeRecipient, "This trade is not yours.") }
        s.trades.remove(at: k)
        emit(Event(.tradeRejected, player: id, other: t.to == id ? t.from : t.to, detail: tid,
                   text: t.to == id ? "\(name(i)) rejected the trade." : "\(name(i)) withdrew the trade."))
    }

    // MARK: Debts and bankruptcy

    mutating func declareBankruptcy(_ i: Int) throws(RuleViolation) {
        let id = s.players[i].id
        guard let d = s.debts.first(where: { $0.debtor == id }) else { throw violation(.notInDebt, "You owe nothing that you cannot pay.") }
        let worth = s.liquidationValue(of: id)
        guard worth < d.amount else {
            throw violation(.canRaiseFunds, "You can still raise $\(worth) by selling buildings and mortgaging; you owe $\(d.amount).")
        }
        emit(Event(.bankrupt, player: id, other: d.creditor.playerID, amount: d.amount,
                   text: "\(name(i)) cannot pay $\(d.amount) to \(partyName(d.creditor)) and is bankrupt."))
        goBankrupt(i, to: d.creditor)
    }

    mutating func goBankrupt(_ i: Int, to creditor: Party) {
        let id = s.players[i].id
        // Buildings go back to the bank at half price first.
        for k in s.squares.indices where s.squares[k].owner == id && s.squares[k].houses > 0 {
            let h = s.squares[k].houses
            if h == 5 { s.bank.hotels += 1 } else { s.bank.houses += h }
            s.squares[k].houses = 0
            transfer(h * s.squares[k].info.houseCost / 2, from: .bank, to: .player(id))
        }
        var target = creditor
        if case .player(let c) = creditor, s.player(c)?.bankrupt ?? true { target = .bank }
        transfer(s.players[i].cash, from: .player(id), to: target)
        let props = s.owned(by: id)
        let cards = s.players[i].jailCards
        s.players[i].jailCards = []
        switch target {
        case .player(let c):
            for sq in props { s.squares[sq].owner = c }
            s.players[idx(c)].jailCards += cards
            emit(Event(.bankrupt, player: id, other: c, text: "\(partyName(target)) takes over \(name(i))'s cash, properties and cards."))
            for sq in props where s.squares[sq].mortgaged { askMortgageChoice(c, sq) }
        case .bank, .jackpot:
            for sq in props {
                s.squares[sq].owner = nil
                s.squares[sq].mortgaged = false
                if s.options.auctions { s.auctionQueue.append(sq) }
            }
            for d in cards { returnJailCard(d) }
            emit(Event(.bankrupt, player: id, text: "The bank takes over \(name(i))'s properties\(s.options.auctions && !props.isEmpty ? " and auctions them" : "")."))
        }
        s.players[i].bankrupt = true
        s.players[i].inJail = false
        s.players[i].jailTurns = 0
        s.players[i].doubles = 0
        s.debts.removeAll { $0.debtor == id || $0.creditor == .player(id) }
        s.mortgageChoices.removeAll { $0.player == id }
        s.trades.removeAll { $0.from == id || $0.to == id }
        if s.placement?.player == id { s.placement = nil }
        if var a = s.auction {
            a.bidders.removeAll { $0 == id }
            a.passed.removeAll { $0 == id }
            if a.highBidder == id {
                a.highBidder = nil
                a.highBid = 0
            }
            a.seq += 1
            s.auction = a
            if a.waitingOn.isEmpty { finishAuction(timedOut: false) }
        }
        let active = s.activePlayers
        if active.count <= 1 {
            finish(winner: active.first?.id, reason: "last_player_standing")
            return
        }
        if s.current == id { nextTurn() }
    }

    /// After every command: pay debts that can now be paid, start queued auctions, drop stale trades.
    mutating func settle() {
        guard s.phase == .playing else { return }
        var finedOut: [Int] = []
        var progress = true
        while progress && !s.debts.isEmpty {
            progress = false
            var blocked: Set<PlayerID> = []
            var k = 0
            while k < s.debts.count {
                let d = s.debts[k]
                let di = idx(d.debtor)
                if !blocked.contains(d.debtor), s.players[di].cash >= d.amount {
                    s.debts.remove(at: k)
                    transfer(d.amount, from: .player(d.debtor), to: d.creditor)
                    emit(Event(.debtPaid, player: d.debtor, other: d.creditor.playerID,
                               amount: d.amount, detail: d.reason,
                               text: "\(name(di)) paid $\(d.amount) to \(partyName(d.creditor)) (\(d.reason))."))
                    if d.reason == Self.jailFineReason, s.players[di].inJail, s.players[di].jailTurns >= 3 { finedOut.append(di) }
                    progress = true
                } else {
                    blocked.insert(d.debtor)
                    k += 1
                }
            }
        }
        for i in finedOut { leaveJailAndMove(i) }
        if s.auction == nil, s.debts.isEmpty, s.mortgageChoices.isEmpty, s.placement == nil, !s.auctionQueue.isEmpty {
            startPropertyAuction(s.auctionQueue.removeFirst())
        }
        if !s.trades.isEmpty {
            let stale = s.trades.filter { s.tradeViolation(from: $0.from, to: $0.to, give: $0.give, get: $0.get) != nil }
            for t in stale {
                s.trades.removeAll { $0.id == t.id }
                emit(Event(.tradeRejected, player: t.from, other: t.to, detail: t.id, text: "Trade \(t.id) was withdrawn: it is no longer possible."))
            }
        }
    }
}
func squareName(_ i: Int) -> String { Board.squares[i].name }
