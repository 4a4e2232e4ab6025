/// Debts that cannot be paid at once, settling them after every command, and bankruptcy.

extension GameState {
    /// Liquidation value: cash, plus half the cost of every building, plus the mortgage value of
    /// every unmortgaged property. A debt up to this amount can be raised without trading.
    public func liquidationValue(of id: PlayerID) -> Int {
        guard let owner = player(id) else { return 0 }
        var value = owner.cash
        for square in squares where square.owner == id {
            let info = square.info
            value += square.houses * info.houseCost / 2
            if !square.mortgaged { value += info.mortgage }
        }
        return value
    }
}

extension Engine {
    mutating func declareBankruptcy(_ player: Int) throws(RuleViolation) {
        let id = state.players[player].id
        guard let debt = state.debts.first(where: { $0.debtor == id }) else { throw violation(.notInDebt, "You owe nothing that you cannot pay.") }
        let worth = state.liquidationValue(of: id)
        guard worth < debt.amount else {
            throw violation(.canRaiseFunds, "You can still raise $\(worth) by selling buildings and mortgaging; you owe $\(debt.amount).")
        }
        emit(Event(.bankrupt, player: id, other: debt.creditor.playerID, amount: debt.amount,
                   text: "\(name(player)) cannot pay $\(debt.amount) to \(partyName(debt.creditor)) and is bankrupt."))
        goBankrupt(player, to: debt.creditor)
    }

    mutating func goBankrupt(_ player: Int, to creditor: Party) {
        let id = state.players[player].id
        // Buildings go back to the bank at half price first.
        for square in state.squares.indices where state.squares[square].owner == id && state.squares[square].houses > 0 {
            let buildings = state.squares[square].houses
            if buildings == 5 { state.bank.hotels += 1 } else { state.bank.houses += buildings }
            state.squares[square].houses = 0
            transfer(buildings * state.squares[square].info.houseCost / 2, from: .bank, to: .player(id))
        }
        var target = creditor
        if case .player(let heir) = creditor, state.player(heir)?.bankrupt ?? true { target = .bank }
        transfer(state.players[player].cash, from: .player(id), to: target)
        let properties = state.owned(by: id)
        let cards = state.players[player].jailCards
        state.players[player].jailCards = []
        switch target {
        case .player(let heir):
            for square in properties { state.squares[square].owner = heir }
            state.players[playerIndex(heir)].jailCards += cards
            emit(Event(.bankrupt, player: id, other: heir, text: "\(partyName(target)) takes over \(name(player))'s cash, properties and cards."))
            for square in properties where state.squares[square].mortgaged { askMortgageChoice(heir, square) }
        case .bank, .jackpot:
            for square in properties {
                state.squares[square].owner = nil
                state.squares[square].mortgaged = false
                if state.options.auctions { state.auctionQueue.append(square) }
            }
            for deck in cards { returnJailCard(deck) }
            emit(Event(.bankrupt, player: id, text: "The bank takes over \(name(player))'s properties\(state.options.auctions && !properties.isEmpty ? " and auctions them" : "")."))
        }
        state.players[player].bankrupt = true
        state.players[player].inJail = false
        state.players[player].jailTurns = 0
        state.players[player].doubles = 0
        state.debts.removeAll { $0.debtor == id || $0.creditor == .player(id) }
        state.mortgageChoices.removeAll { $0.player == id }
        state.trades.removeAll { $0.from == id || $0.to == id }
        if state.placement?.player == id { state.placement = nil }
        if var auction = state.auction {
            auction.bidders.removeAll { $0 == id }
            auction.passed.removeAll { $0 == id }
            if auction.highBidder == id {
                auction.highBidder = nil
                auction.highBid = 0
            }
            auction.seq += 1
            state.auction = auction
            if auction.waitingOn.isEmpty { finishAuction(timedOut: false) }
        }
        let active = state.activePlayers
        if active.count <= 1 {
            finish(winner: active.first?.id, reason: "last_player_standing")
            return
        }
        if state.current == id { nextTurn() }
    }

    /// After every command: pay debts that can now be paid, start queued auctions, drop stale trades.
    mutating func settle() {
        guard state.phase == .playing else { return }
        var finedOut: [Int] = []
        var progress = true
        while progress && !state.debts.isEmpty {
            progress = false
            var blocked: Set<PlayerID> = []
            var index = 0
            while index < state.debts.count {
                let debt = state.debts[index]
                let debtorIndex = playerIndex(debt.debtor)
                if !blocked.contains(debt.debtor), state.players[debtorIndex].cash >= debt.amount {
                    state.debts.remove(at: index)
                    transfer(debt.amount, from: .player(debt.debtor), to: debt.creditor)
                    emit(Event(.debtPaid, player: debt.debtor, other: debt.creditor.playerID,
                               amount: debt.amount, detail: debt.reason,
                               text: "\(name(debtorIndex)) paid $\(debt.amount) to \(partyName(debt.creditor)) (\(debt.reason))."))
                    if debt.reason == Self.jailFineReason, state.players[debtorIndex].inJail, state.players[debtorIndex].jailTurns >= 3 { finedOut.append(debtorIndex) }
                    progress = true
                } else {
                    blocked.insert(debt.debtor)
                    index += 1
                }
            }
        }
        for player in finedOut { leaveJailAndMove(player) }
        if state.auction == nil, state.debts.isEmpty, state.mortgageChoices.isEmpty, state.placement == nil, !state.auctionQueue.isEmpty {
            startPropertyAuction(state.auctionQueue.removeFirst())
        }
        if !state.trades.isEmpty {
            let stale = state.trades.filter { state.tradeViolation(from: $0.from, to: $0.to, give: $0.give, get: $0.get) != nil }
            for trade in stale {
                state.trades.removeAll { $0.id == trade.id }
                emit(Event(.tradeRejected, player: trade.from, other: trade.to, detail: trade.id, text: "Trade \(trade.id) was withdrawn: it is no longer possible."))
            }
        }
    }
}
