/// The numbers a stored state may hold. States come back from storage (Redis), which anyone with
/// access can write: a `turn_number` at Int.max would trap the next `+= 1`, a position of 1000 the
/// next board lookup, cash at Int.max the next payment. The engine keeps every value it makes far
/// inside these bounds, so a state outside them was not written by it and is refused at load.
extension GameState {
    /// Counters (turns, player and trade numbers, auction moves, doubles, jail turns, buildings):
    /// 0 up to 2^53 - 1, the integers a JSON number holds exactly; +1 never overflows.
    public static let counterBounds = 0...(1 << 53 - 1)
    /// Amounts of money (cash, the bank's ledger, the supply, bids, debts, trade cash): within
    /// ±(2^53 - 1), so that sums over every player and the bank never overflow either.
    public static let amountBounds = -(1 << 53 - 1)...(1 << 53 - 1)

    /// The first number out of its bounds, named (nil when every one is within).
    public func boundsViolation() -> String? {
        var counters: [(String, Int)] = [("turn_number", turnNumber), ("next_player_number", nextPlayerNumber),
                                         ("next_trade_number", nextTradeNumber), ("bank.houses", bank.houses), ("bank.hotels", bank.hotels)]
        var amounts: [(String, Int)] = [("jackpot", jackpot), ("money_supply", moneySupply), ("bank.cash", bank.cash)]
        var squareIndices: [(String, Int)] = []
        for player in players {
            counters += [("\(player.id).jail_turns", player.jailTurns), ("\(player.id).doubles", player.doubles)]
            if let turn = player.lastProposalTurn { counters.append(("\(player.id).last_proposal_turn", turn)) }
            amounts.append(("\(player.id).cash", player.cash))
            squareIndices.append(("\(player.id).position", player.position))
        }
        if let auction {
            counters.append(("auction.seq", auction.seq))
            amounts.append(("auction.high_bid", auction.highBid))
            if let square = auction.square { squareIndices.append(("auction.square", square)) }
        }
        for trade in trades {
            for (side, offer) in [("give", trade.give), ("get", trade.get)] {
                counters.append(("trade \(trade.id).\(side).jail_cards", offer.jailCards))
                amounts.append(("trade \(trade.id).\(side).cash", offer.cash))
                squareIndices += offer.properties.map { ("trade \(trade.id).\(side).properties", $0) }
            }
        }
        amounts += debts.map { ("debt of \($0.debtor)", $0.amount) }
        squareIndices += auctionQueue.map { ("auction_queue", $0) } + mortgageChoices.map { ("mortgage_choices", $0.square) }
        if let pendingBuy { squareIndices.append(("pending_buy", pendingBuy)) }

        if let (name, value) = counters.first(where: { !Self.counterBounds.contains($0.1) }) { return "\(name) \(value) is out of bounds" }
        if let (name, value) = amounts.first(where: { !Self.amountBounds.contains($0.1) }) { return "\(name) \(value) is out of bounds" }
        if let (name, value) = squareIndices.first(where: { !(0..<Board.size).contains($0.1) }) { return "\(name) \(value) is off the board" }
        if squares.count != Board.size || squares.indices.contains(where: { squares[$0].index != $0 }) { return "the squares are not the board's" }
        if let square = squares.first(where: { !(0...5).contains($0.houses) }) { return "square \(square.index) has \(square.houses) buildings" }
        if let dice, dice.count != 2 || !dice.allSatisfy({ (1...6).contains($0) }) { return "dice \(dice) are no roll" }
        for (deck, cards) in [("chance_deck", chanceDeck), ("community_chest_deck", communityChestDeck)]
        where !(1...16).contains(cards.count) || !cards.allSatisfy({ (0..<16).contains($0) }) {
            return "\(deck) is not 1 to 16 of its cards"
        }
        return nil
    }
}
