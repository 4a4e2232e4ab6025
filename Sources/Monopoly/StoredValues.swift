/// Bounds on every value of a state that the engine uses as an index or adds to, for a state read
/// back from Redis: the engine indexes the board, the decks and the players with these values and
/// adds to them, so one out of bounds would trap the authority, and every authority that loads the
/// game after it. `checkInvariants` cannot serve here: it assumes these bounds itself.
extension GameState {
    /// Far beyond any amount of money or count a game reaches (a million times the most cash at
    /// stake), and far below where a sum of a few of them could overflow.
    public static let maximumStoredMagnitude = 1 << 42

    /// Why this state cannot be played: each value the engine indexes with or adds to, out of its
    /// bounds. Empty for every state the engine produces. Never traps.
    public func storedValueViolations() -> [String] {
        var v: [String] = []
        let board = 0..<Board.size
        let magnitude = -Self.maximumStoredMagnitude...Self.maximumStoredMagnitude
        let count = 0...Self.maximumStoredMagnitude
        let ids = Set(players.map(\.id))
        func amount(_ name: String, _ value: Int, _ range: ClosedRange<Int>) {
            if !range.contains(value) { v.append("\(name) \(value) out of bounds") }
        }
        func square(_ name: String, _ value: Int) {
            if !board.contains(value) { v.append("\(name) \(value) is no square") }
        }
        func player(_ name: String, _ id: PlayerID?) {
            if let id, !ids.contains(id) { v.append("\(name) \(id) is no player") }
        }

        if squares.count != Board.size || squares.enumerated().contains(where: { $0.element.index != $0.offset }) {
            v.append("the board does not hold the \(Board.size) squares in order")
        }
        for sq in squares {
            if !(0...5).contains(sq.houses) { v.append("square \(sq.index) has \(sq.houses) buildings") }
            player("the owner of square \(sq.index)", sq.owner)
        }
        for p in players {
            square("\(p.id)'s position", p.position)
            amount("\(p.id)'s cash", p.cash, magnitude)
            amount("\(p.id)'s jail turns", p.jailTurns, count)
            amount("\(p.id)'s doubles", p.doubles, count)
            if let turn = p.lastProposalTurn { amount("\(p.id)'s last proposal turn", turn, magnitude) }
        }
        amount("the bank's houses", bank.houses, magnitude)
        amount("the bank's hotels", bank.hotels, magnitude)
        amount("the bank's ledger", bank.cash, magnitude)
        amount("the jackpot", jackpot, magnitude)
        amount("the money supply", moneySupply, magnitude)
        amount("the turn number", turnNumber, count)
        amount("the next trade number", nextTradeNumber, count)
        amount("the next player number", nextPlayerNumber, count)
        amount("the starting cash", options.startingCash, magnitude)
        if phase == .playing, current == nil { v.append("no current player during play") }
        player("the current player", current)
        player("the winner", winner)
        if let dice, dice.count != 2 || !dice.allSatisfy({ (1...6).contains($0) }) { v.append("dice \(dice)") }
        if let a = auction {
            if let sq = a.square { square("the auctioned square", sq) }
            amount("the high bid", a.highBid, count)
            amount("the auction's seq", a.seq, count)
            player("the high bidder", a.highBidder)
            for id in a.bidders + a.passed { player("the bidder", id) }
        }
        for sq in auctionQueue { square("the queued auction", sq) }
        if let sq = pendingBuy { square("the pending buy", sq) }
        for t in trades {
            player("trade \(t.id)'s proposer", t.from)
            player("trade \(t.id)'s recipient", t.to)
            for offer in [t.give, t.get] {
                amount("trade \(t.id)'s cash", offer.cash, count)
                amount("trade \(t.id)'s jail cards", offer.jailCards, count)
                for sq in offer.properties { square("trade \(t.id)'s property", sq) }
            }
        }
        for d in debts {
            player("the debtor", d.debtor)
            if case .player(let creditor) = d.creditor { player("the creditor", creditor) }
            amount("a debt", d.amount, count)
        }
        for c in mortgageChoices {
            player("the mortgage choice's player", c.player)
            square("the mortgage choice's square", c.square)
        }
        player("the placement's player", placement?.player)
        for id in skipVotes { player("the skip vote", id) }
        if Set(skipVotes).count != skipVotes.count { v.append("a player voted twice to skip the turn") }
        for (deck, cards) in [(DeckKind.chance, chanceDeck), (.communityChest, communityChestDeck)] {
            let size = Cards.deck(deck).count
            if let card = cards.first(where: { !(0..<size).contains($0) }) { v.append("\(deck.rawValue) card \(card) does not exist") }
        }
        if let r = results {
            amount("the results' sample interval", r.sampleEvery, 1...Self.maximumStoredMagnitude)
            if r.sampleTurns.count > GameResults.maxSamples + 1 { v.append("\(r.sampleTurns.count) results samples") }
            if r.players.map(\.id) != players.map(\.id) { v.append("the results' players are not the game's") }
            for p in r.players {
                if p.netWorth.count != r.sampleTurns.count { v.append("\(p.id)'s net worth samples do not match the sample turns") }
                for (name, value) in [("rent paid", p.rentPaid), ("rent received", p.rentReceived), ("properties bought", p.propertiesBought),
                                      ("trades made", p.tradesMade), ("turns in jail", p.turnsInJail)] {
                    amount("\(p.id)'s \(name)", value, count)
                }
            }
            for id in r.ranking + r.eliminated { player("the ranked player", id) }
            for h in r.holds + [r.longestMonopoly].compactMap({ $0 }) {
                player("the monopoly holder", h.player)
                amount("the monopoly's first turn", h.fromTurn, count)
            }
        }
        return v
    }
}
