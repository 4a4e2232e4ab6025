/// A simple, deterministic player: fills empty seats, plays for away players, and drives simulations.
///
/// Policy: buys while keeping a cash reserve, bids up to a valuation, builds on complete groups,
/// sells and mortgages to pay debts (bankrupt only when it cannot raise the money), lifts mortgages
/// when rich, proposes at most one trade per turn to complete a colour group, and accepts trades that
/// are fair by its valuation.
public enum Bot {
    /// Cash the bot keeps after buying or building.
    public static let reserve = 150

    /// The command the bot would issue for `player` now, or nil when nothing is expected from it.
    public static func nextCommand(for player: PlayerID, in s: GameState) -> Command? {
        guard s.phase == .playing, let me = s.player(player), !me.bankrupt else { return nil }
        let id = me.id

        // Duties that block the game.
        switch s.stage {
        case .debt:
            if s.debts.contains(where: { $0.debtor == id }) { return raiseCash(id, s) }
        case .mortgageChoice:
            if let c = s.mortgageChoices.first(where: { $0.player == id }) {
                return me.cash - Board.unmortgageCost(c.square) >= reserve * 2 ? .liftMortgage(square: c.square) : .keepMortgage(square: c.square)
            }
        case .placement:
            if let p = s.placement, p.player == id {
                let lot = buildOrder(id, s).first { sq in
                    (sq.houses == 4) == (p.kind == .hotel) && s.buildViolation(id, on: sq.index, ignoringCash: true) == nil
                }
                if let lot { return .build(square: lot.index) }
            }
        case .auction:
            if let a = s.auction, a.waitingOn.contains(id) { return auctionMove(id, a, s) }
        default:
            break
        }

        // Answer trades addressed to me.
        if s.auction == nil, s.placement == nil, let t = s.trades.first(where: { $0.to == id }) {
            let fair = value(of: t.give, receivedBy: id, from: t.from, s) - value(of: t.get, givenBy: id, to: t.from, s) >= 0
            return fair && s.tradeViolation(from: t.from, to: id, give: t.give, get: t.get) == nil ? .tradeAccept(trade: t.id) : .tradeReject(trade: t.id)
        }

        guard s.current == id else { return nil }
        switch s.stage {
        case .jailFine:
            return me.jailCards.isEmpty ? .jailPay : .jailCard
        case .buy:
            let sq = s.pendingBuy!
            let price = Board.squares[sq].price
            let keep = completesGroup(sq, for: id, s) ? 0 : reserve
            return me.cash - price >= keep ? .buy : .decline
        case .roll:
            if let c = manage(me, s) { return c }
            if me.inJail {
                if !me.jailCards.isEmpty { return .jailCard }
                let unowned = s.squares.filter { $0.info.ownable && $0.owner == nil }.count
                if unowned > 6 && me.cash >= Board.jailFine + 300 && me.jailTurns < 2 { return .jailPay }
            }
            return .roll
        case .endTurn:
            return manage(me, s) ?? .endTurn
        default:
            return nil
        }
    }

    // MARK: Own turn

    /// Building, lifting mortgages and proposing a trade; nil when there is nothing to do.
    static func manage(_ me: Player, _ s: GameState) -> Command? {
        let id = me.id
        // Lift mortgages when rich.
        if let m = s.squares.first(where: { $0.owner == id && $0.mortgaged && me.cash - Board.unmortgageCost($0.index) >= 600 }) {
            return .unmortgage(square: m.index)
        }
        for lot in buildOrder(id, s) where me.cash - lot.info.houseCost >= reserve + 50 * lot.houses {
            if s.buildViolation(id, on: lot.index) == nil { return .build(square: lot.index) }
        }
        if let c = consolidate(me, s) { return c }
        if me.lastProposalTurn != s.turnNumber, let t = proposal(me, s) { return t }
        return nil
    }

    /// My lots that may take another building, in the order the bot builds: one group up to hotels
    /// before the next (spreading houses thinly can leave all 32 in use below the four per lot a
    /// hotel needs), evenly within the group, dearer groups first.
    static func buildOrder(_ id: PlayerID, _ s: GameState) -> [SquareState] {
        func level(_ sq: SquareState) -> Int { Board.group(of: sq.index).reduce(0) { $0 + s.squares[$1].houses } }
        return s.squares.filter { $0.owner == id && $0.info.kind == .property && $0.houses < 5 }
            .sorted { (-level($0), $0.houses, -$0.info.houseCost, $0.index) < (-level($1), $1.houses, -$1.info.houseCost, $1.index) }
    }

    /// When the bank is out of houses and none of my groups can grow, move a house from my least
    /// built group towards my most built one (sell here; the next `build` takes it back), so houses
    /// spread over many groups never freeze the game below the four houses a hotel needs.
    static func consolidate(_ me: Player, _ s: GameState) -> Command? {
        let id = me.id
        guard s.bank.houses == 0, s.bank.hotels > 0, me.cash >= 1000 else { return nil }
        let groups = ColorGroup.allCases.compactMap { Board.groupMembers[$0] }.filter { lots in
            lots[0] < Board.size && Board.squares[lots[0]].kind == .property && s.ownsGroup(id, of: lots[0])
                && !lots.contains { s.squares[$0].mortgaged }
        }
        func total(_ lots: [Int]) -> Int { lots.reduce(0) { $0 + s.squares[$1].houses } }
        guard let target = groups.filter({ lots in lots.contains { s.squares[$0].houses < 4 } }).max(by: { total($0) < total($1) }),
              total(target) > 0 else { return nil }
        let donors = groups.filter { $0 != target && total($0) > 0 && total($0) < total(target) && !$0.contains { s.squares[$0].houses == 5 } }
        guard let donor = donors.min(by: { total($0) < total($1) }) else { return nil }
        let top = donor.map { s.squares[$0].houses }.max()!
        return donor.first { s.squares[$0].houses == top }.map { .sell(square: $0) }
    }

    // MARK: Debts

    static func raiseCash(_ id: PlayerID, _ s: GameState) -> Command {
        guard let debt = s.debts.first(where: { $0.debtor == id }) else { return .bankrupt }
        if s.liquidationValue(of: id) < debt.amount { return .bankrupt }
        let mine = s.squares.filter { $0.owner == id }
        func groupBuilt(_ sq: SquareState) -> Bool { Board.group(of: sq.index).contains { s.squares[$0].houses > 0 } }
        // 1. Mortgage properties outside complete groups, cheapest first.
        let loose = mine.filter { !$0.mortgaged && !groupBuilt($0) && !s.ownsGroup(id, of: $0.index) }
            .sorted { $0.info.mortgage < $1.info.mortgage }
        if let m = loose.first { return .mortgage(square: m.index) }
        // 2. Sell buildings evenly (from the lot with the most in its group), cheapest houses first.
        let built = mine.filter { sq in
            sq.houses > 0 && sq.houses == Board.group(of: sq.index).map { s.squares[$0].houses }.max()!
        }.sorted { ($0.info.houseCost, -$0.houses) < ($1.info.houseCost, -$1.houses) }
        if let b = built.first { return .sell(square: b.index) }
        // 3. Mortgage the rest.
        if let m = mine.first(where: { !$0.mortgaged && !groupBuilt($0) }) { return .mortgage(square: m.index) }
        return .bankrupt
    }

    // MARK: Auctions

    static func auctionMove(_ id: PlayerID, _ a: Auction, _ s: GameState) -> Command {
        let cash = s.player(id)!.cash
        let limit: Int
        let step: Int
        if let sq = a.square {
            let price = Board.squares[sq].price
            var factor = 0.8
            if completesGroup(sq, for: id, s) { factor = 1.6 } else if blocksGroup(sq, against: id, s) { factor = 1.3 }
            else if Board.group(of: sq).contains(where: { s.squares[$0].owner == id }) { factor = 1.1 }
            limit = min(Int(Double(price) * factor), cash - 50)
            step = max(10, price / 10)
        } else {
            let best = s.squares.filter { $0.owner == id && $0.info.kind == .property }.map(\.info.houseCost).max() ?? 0
            limit = min(best + best / 5, cash - 100)
            step = 10
        }
        let bid = a.highBid + step
        if bid <= limit { return .bid(amount: bid) }
        if a.highBid + 1 <= limit { return .bid(amount: limit) }
        return .pass
    }

    // MARK: Valuation and trades

    static func completesGroup(_ sq: Int, for id: PlayerID, _ s: GameState) -> Bool {
        Board.group(of: sq).allSatisfy { $0 == sq || s.squares[$0].owner == id }
    }

    static func blocksGroup(_ sq: Int, against id: PlayerID, _ s: GameState) -> Bool {
        let others = Board.group(of: sq).filter { $0 != sq }.map { s.squares[$0].owner }
        guard let first = others.first, let o = first, o != id else { return false }
        return others.allSatisfy { $0 == o }
    }

    static func owners(_ s: GameState, moving props: [Int], to: PlayerID) -> GameState {
        var t = s
        for p in props { t.squares[p].owner = to }
        return t
    }

    /// What receiving `offer` from `from` is worth to `id`.
    static func value(of offer: TradeOffer, receivedBy id: PlayerID, from: PlayerID, _ s: GameState) -> Int {
        var v = Double(offer.cash) + Double(offer.jailCards * 30)
        let after = owners(s, moving: offer.properties, to: id)
        for sq in offer.properties {
            let info = Board.squares[sq]
            var f = 1.0
            if info.kind == .property && after.ownsGroup(id, of: sq) && !s.ownsGroup(id, of: sq) { f += 1.0 }
            f += 0.1 * Double(Board.group(of: sq).filter { $0 != sq && s.squares[$0].owner == id }.count)
            v += Double(info.price) * f
            if s.squares[sq].mortgaged { v -= Double(Board.unmortgageCost(sq)) }
        }
        return Int(v)
    }

    /// What giving `offer` to `to` costs `id` (its loss, plus the opponent's gain of a colour group).
    static func value(of offer: TradeOffer, givenBy id: PlayerID, to: PlayerID, _ s: GameState) -> Int {
        var v = Double(offer.cash) + Double(offer.jailCards * 30)
        let after = owners(s, moving: offer.properties, to: to)
        for sq in offer.properties {
            let info = Board.squares[sq]
            var f = 1.0 + 0.1 * Double(Board.group(of: sq).filter { $0 != sq && s.squares[$0].owner == id }.count)
            if info.kind == .property && after.ownsGroup(to, of: sq) { f += 1.0 }
            v += Double(info.price) * f
            if s.squares[sq].mortgaged { v -= Double(info.mortgage) }
        }
        return Int(v)
    }

    /// A trade that completes one of my colour groups and that the owner should accept.
    static func proposal(_ me: Player, _ s: GameState) -> Command? {
        let id = me.id
        for g in ColorGroup.allCases where g != .railroad && g != .utility {
            let lots = Board.groupMembers[g]!
            let mine = lots.filter { s.squares[$0].owner == id }
            let missing = lots.filter { s.squares[$0].owner != id }
            guard !mine.isEmpty, !missing.isEmpty else { continue }
            if missing.count > 1 {
                // Gather a split group first, but only the leader of the group does (most lots, then
                // earliest seat), so two bots never trade the same lot back and forth.
                let seat = s.index(of: id)!
                let leads = missing.allSatisfy { sq in
                    guard let o = s.squares[sq].owner, let os = s.index(of: o) else { return true }
                    let theirs = lots.filter { s.squares[$0].owner == o }.count
                    return theirs < mine.count || (theirs == mine.count && seat < os)
                }
                guard leads else { continue }
            }
            guard let want = missing.first(where: { s.squares[$0].owner != nil }),
                  let q = s.squares[want].owner, s.player(q)?.bankrupt == false,
                  s.tradeLimitViolation(from: id, to: q) == nil else { continue }
            let get = TradeOffer(properties: [want])
            guard s.offerViolation(get, from: q) == nil else { continue }
            let myGain = value(of: get, receivedBy: id, from: q, s)
            // Swap: a lot of mine that completes one of q's groups, plus cash to balance.
            var candidates: [[Int]] = [[]]
            for sq in s.squares where sq.owner == id && sq.info.kind == .property && !lots.contains(sq.index) {
                if completesGroup(sq.index, for: q, s) { candidates.insert([sq.index], at: 0) }
            }
            for props in candidates {
                var give = TradeOffer(properties: props)
                guard s.offerViolation(give, from: id) == nil else { continue }
                let theirGain = value(of: give, receivedBy: q, from: id, s)
                let theirLoss = value(of: get, givenBy: q, to: id, s)
                let cash = max(0, theirLoss - theirGain)
                give.cash = cash
                let myCost = value(of: give, givenBy: id, to: q, s)
                guard cash <= me.cash - reserve, myGain >= myCost || (props.isEmpty && myGain >= cash) else { continue }
                if give.isEmpty || s.tradeViolation(from: id, to: q, give: give, get: get) != nil { continue }
                return .tradePropose(to: q, give: give, get: get)
            }
        }
        return nil
    }
}
