/// Trades between players: the limits and validity of an offer, proposing, accepting, rejecting.

extension GameState {
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
        guard let giver = player(id), !giver.bankrupt else { return RuleViolation(.invalidTrade, "That player is not in the game.") }
        guard offer.cash >= 0, offer.jailCards >= 0 else { return RuleViolation(.invalidTrade, "Amounts in a trade cannot be negative.") }
        guard offer.cash <= giver.cash else {
            return RuleViolation(.insufficientFunds, "\(giver.name) does not have $\(offer.cash) (trades cannot include loans).")
        }
        if offer.cash > 0, debts.contains(where: { $0.debtor == id }) {
            return RuleViolation(.debtPending, "\(giver.name) must pay their debt before giving cash away.")
        }
        guard offer.jailCards <= giver.jailCards.count else {
            return RuleViolation(.noJailCard, "\(giver.name) does not hold \(offer.jailCards) Get Out of Jail Free card(s).")
        }
        guard Set(offer.properties).count == offer.properties.count else { return RuleViolation(.invalidTrade, "A property is listed twice.") }
        for square in offer.properties {
            guard (0..<Board.size).contains(square) else { return RuleViolation(.invalidSquare, "There is no square \(square).") }
            guard squares[square].owner == id else { return RuleViolation(.notOwner, "\(giver.name) does not own \(Board.squares[square].name).") }
            if Board.group(of: square).contains(where: { squares[$0].houses > 0 }) {
                return RuleViolation(.buildingsInGroup, "\(Board.squares[square].name) cannot be traded while its colour group has buildings; sell them first.")
            }
        }
        return nil
    }

    /// Why a trade where `from` gives `give` and `to` gives `get` is not valid now (nil when valid).
    func tradeViolation(from: PlayerID, to: PlayerID, give: TradeOffer, get: TradeOffer) -> RuleViolation? {
        if let violation = offerViolation(give, from: from) { return violation }
        if let violation = offerViolation(get, from: to) { return violation }
        if let violation = debtorGiftViolation(gives: give, gets: get, by: from) { return violation }
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

extension Engine {
    mutating func propose(_ player: Int, to: PlayerID, give: TradeOffer, get: TradeOffer) throws(RuleViolation) {
        let id = state.players[player].id
        guard to != id, let recipient = state.index(of: to), !state.players[recipient].bankrupt else {
            throw violation(.invalidTrade, "Trades are with another player still in the game.")
        }
        guard !(give.isEmpty && get.isEmpty) else { throw violation(.invalidTrade, "A trade must exchange something.") }
        if let refusal = state.tradeLimitViolation(from: id, to: to) { throw refusal }
        if let refusal = state.tradeViolation(from: id, to: to, give: give, get: get) { throw refusal }
        let tradeID = "t\(state.nextTradeNumber)"
        state.nextTradeNumber += 1
        state.trades.append(Trade(id: tradeID, from: id, to: to, give: give, get: get))
        state.players[player].lastProposalTurn = state.turnNumber
        emit(Event(.tradeProposed, player: id, other: to, detail: tradeID,
                   text: "\(name(player)) offers \(name(recipient)) \(describe(give)) for \(describe(get))."))
    }

    func describe(_ offer: TradeOffer) -> String {
        var parts: [String] = []
        if offer.cash > 0 { parts.append("$\(offer.cash)") }
        parts += offer.properties.map(squareName)
        if offer.jailCards > 0 { parts.append("\(offer.jailCards) Get Out of Jail Free card\(offer.jailCards == 1 ? "" : "s")") }
        return parts.isEmpty ? "nothing" : parts.joined(separator: ", ")
    }

    mutating func accept(_ player: Int, _ tradeID: TradeID) throws(RuleViolation) {
        guard let index = state.trades.firstIndex(where: { $0.id == tradeID }) else { throw violation(.unknownTrade, "There is no open trade \(tradeID).") }
        let trade = state.trades[index], id = state.players[player].id
        guard trade.to == id else { throw violation(.notTradeRecipient, "Only \(state.player(trade.to)?.name ?? trade.to) can accept this trade.") }
        if state.auction != nil { throw violation(.auctionInProgress, "Trades are settled after the auction.") }
        try requireNoBuildingAuction()
        if let refusal = state.tradeViolation(from: trade.from, to: trade.to, give: trade.give, get: trade.get) { throw refusal }
        state.trades.remove(at: index)
        transfer(trade.give.cash, from: .player(trade.from), to: .player(trade.to))
        transfer(trade.get.cash, from: .player(trade.to), to: .player(trade.from))
        handOver(trade.give.properties, cards: trade.give.jailCards, from: trade.from, to: trade.to)
        handOver(trade.get.properties, cards: trade.get.jailCards, from: trade.to, to: trade.from)
        emit(Event(.tradeAccepted, player: trade.to, other: trade.from, detail: tradeID,
                   text: "\(name(player)) accepted the trade: \(describe(trade.give)) for \(describe(trade.get))."))
    }

    /// Properties and jail cards change hands; a mortgaged property asks the receiver to lift or keep.
    /// The 10% is due on receipt: a lot passed on before its receiver decided counts as kept by them.
    mutating func handOver(_ properties: [Int], cards: Int, from: PlayerID, to: PlayerID) {
        for square in properties {
            state.squares[square].owner = to
            if let choice = state.mortgageChoices.firstIndex(of: MortgageChoice(player: from, square: square)) {
                state.mortgageChoices.remove(at: choice)
                let giver = playerIndex(from)
                chargeInterest(giver, square, text: "\(name(giver)) passed on \(squareName(square)) without lifting the mortgage and pays 10% interest.")
            }
            state.mortgageChoices.removeAll { $0.square == square }
            if state.squares[square].mortgaged { askMortgageChoice(to, square) }
        }
        let giver = playerIndex(from), receiver = playerIndex(to)
        for _ in 0..<cards { state.players[receiver].jailCards.append(state.players[giver].jailCards.removeFirst()) }
    }

    mutating func reject(_ player: Int, _ tradeID: TradeID) throws(RuleViolation) {
        guard let index = state.trades.firstIndex(where: { $0.id == tradeID }) else { throw violation(.unknownTrade, "There is no open trade \(tradeID).") }
        let trade = state.trades[index], id = state.players[player].id
        guard trade.to == id || trade.from == id else { throw violation(.notTradeRecipient, "This trade is not yours.") }
        state.trades.remove(at: index)
        emit(Event(.tradeRejected, player: id, other: trade.to == id ? trade.from : trade.to, detail: tradeID,
                   text: trade.to == id ? "\(name(player)) rejected the trade." : "\(name(player)) withdrew the trade."))
    }
}
