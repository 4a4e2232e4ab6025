/// Invariants that must hold after every command; simulations check them continuously.
extension GameState {
    /// Every broken invariant, described (empty when the state is sound).
    public func checkInvariants() -> [String] {
        var v: [String] = []
        if phase != .lobby {
            let total = players.reduce(0) { $0 + $1.cash } + jackpot + bank.cash
            if total != moneySupply {
                v.append("money not conserved: players \(players.map(\.cash)) + jackpot \(jackpot) + bank ledger \(bank.cash) = \(total) != \(moneySupply)")
            }
        }
        for p in players where p.cash < 0 { v.append("\(p.id) has negative cash \(p.cash)") }
        if !options.freeParkingJackpot && jackpot != 0 { v.append("jackpot \(jackpot) without the jackpot option") }
        if jackpot < 0 { v.append("negative jackpot") }

        var houses = 0, hotels = 0
        for sq in squares {
            let info = sq.info
            if sq.houses == 5 { hotels += 1 } else { houses += sq.houses }
            if !info.ownable {
                if sq.owner != nil || sq.houses != 0 || sq.mortgaged { v.append("unownable square \(sq.index) has an owner, buildings or a mortgage") }
                continue
            }
            if sq.houses < 0 || sq.houses > 5 { v.append("square \(sq.index) has \(sq.houses) buildings") }
            if sq.houses > 0 {
                if info.kind != .property { v.append("buildings on non-lot \(sq.index)") }
                guard let owner = sq.owner, ownsGroup(owner, of: sq.index) else {
                    v.append("buildings on \(sq.index) without the complete group")
                    continue
                }
                if Board.group(of: sq.index).contains(where: { squares[$0].mortgaged }) {
                    v.append("buildings on \(sq.index) while its group has a mortgage")
                }
            }
            if sq.mortgaged && sq.owner == nil { v.append("unowned square \(sq.index) is mortgaged") }
            if let o = sq.owner {
                guard let p = player(o) else { v.append("square \(sq.index) owned by unknown \(o)"); continue }
                if p.bankrupt { v.append("bankrupt \(o) owns square \(sq.index)") }
            }
        }
        if options.evenBuild {
            for (_, lots) in Board.groupMembers {
                let hs = lots.map { squares[$0].houses }
                if hs.max()! - hs.min()! > 1 { v.append("uneven buildings \(hs) on \(lots)") }
            }
        }
        if houses + bank.houses != Board.totalHouses { v.append("houses: \(houses) on board + \(bank.houses) in bank != 32") }
        if hotels + bank.hotels != Board.totalHotels { v.append("hotels: \(hotels) on board + \(bank.hotels) in bank != 12") }
        if bank.houses < 0 || bank.hotels < 0 { v.append("bank stock negative") }

        for deck in [DeckKind.chance, .communityChest] {
            let cards = deck == .chance ? chanceDeck : communityChestDeck
            let held = players.reduce(0) { $0 + $1.jailCards.filter { $0 == deck }.count }
            if cards.count + held != 16 || Set(cards).count != cards.count {
                v.append("\(deck.rawValue) deck has \(cards.count) cards + \(held) held")
            }
            if held > 0 && cards.contains(Cards.jailCardID(deck)) { v.append("\(deck.rawValue) jail card both held and in the deck") }
        }

        for p in players {
            if !(0..<Board.size).contains(p.position) { v.append("\(p.id) off the board at \(p.position)") }
            if p.bankrupt && (p.cash != 0 || !p.jailCards.isEmpty) { v.append("bankrupt \(p.id) still holds cash or cards") }
            if p.inJail && p.position != Board.jailIndex { v.append("\(p.id) in jail away from the jail square") }
            if p.jailTurns >= 3 && (!p.inJail || p.id != current) { v.append("\(p.id) owes a jail fine out of jail or out of turn") }
        }
        if phase == .playing {
            if let c = current, let p = player(c) {
                if p.bankrupt { v.append("current player \(c) is bankrupt") }
            } else { v.append("no current player during play") }
            if activePlayers.count < 2 { v.append("playing with fewer than two players") }
        }
        if phase == .finished && winner == nil && !players.isEmpty && !Self.closingReasons.contains(endReason ?? "") {
            v.append("finished without a winner")
        }
        for d in debts {
            if d.amount <= 0 { v.append("non-positive debt") }
            if player(d.debtor)?.bankrupt ?? true { v.append("debt of bankrupt or unknown \(d.debtor)") }
        }
        if let a = auction {
            if a.highBidder != nil && a.highBid <= 0 { v.append("auction high bidder without a bid") }
            if let sq = a.square, squares[sq].owner != nil { v.append("auction of an owned square") }
            if let hb = a.highBidder, let p = player(hb), p.cash < a.highBid, debts.isEmpty { v.append("high bidder cannot cover the bid") }
        }
        if let b = pendingBuy, squares[b].owner != nil { v.append("pending buy of an owned square") }
        if Set(skipVotes).count != skipVotes.count || !skipVotes.allSatisfy(skipVoters.contains) {
            v.append("skip votes \(skipVotes) are not all of different players who may vote \(skipVoters)")
        }
        for c in mortgageChoices where squares[c.square].owner != c.player || !squares[c.square].mortgaged {
            v.append("stale mortgage choice on \(c.square)")
        }
        return v
    }
}
