/// Building and selling houses and hotels, with the bank's limited stock (the building shortage).

extension GameState {
    /// Why `player` may not build the next building on `square` (nil when legal).
    /// `ignoringCash` is used for placing a building won at a shortage auction.
    public func buildViolation(_ player: PlayerID, on square: Int, ignoringCash: Bool = false) -> RuleViolation? {
        guard (0..<Board.size).contains(square) else { return RuleViolation(.invalidSquare, "There is no square \(square).") }
        let squareState = squares[square], info = squareState.info
        guard info.kind == .property else { return RuleViolation(.notBuildable, "Houses can only be built on coloured lots.") }
        guard squareState.owner == player else { return RuleViolation(.notOwner, "You do not own \(info.name).") }
        let group = Board.group(of: square)
        guard ownsGroup(player, of: square) else {
            return RuleViolation(.incompleteGroup, "You must own every lot of a colour group before building on it.")
        }
        guard !group.contains(where: { squares[$0].mortgaged }) else {
            return RuleViolation(.groupMortgaged, "You cannot build while a lot of the group is mortgaged.")
        }
        guard squareState.houses < 5 else { return RuleViolation(.maxBuildings, "\(info.name) already has a hotel.") }
        if options.evenBuild, squareState.houses > group.map({ squares[$0].houses }).min()! {
            return RuleViolation(.mustBuildEvenly, "You must build evenly: every lot of the group needs \(squareState.houses) houses before \(info.name) gets another.")
        }
        if squareState.houses == 4 {
            guard bank.hotels > 0 else { return RuleViolation(.bankOutOfHotels, "The bank has no hotels left.") }
        } else {
            guard bank.houses > 0 else { return RuleViolation(.bankOutOfHouses, "The bank has no houses left.") }
        }
        if !ignoringCash, let builder = self.player(player), builder.cash < info.houseCost {
            return RuleViolation(.insufficientFunds, "A building on \(info.name) costs $\(info.houseCost); you have $\(builder.cash).")
        }
        return nil
    }

    /// Whether `player` could legally build a building of `kind` somewhere right now (cash included).
    func canBuildAnywhere(_ player: PlayerID, kind: AuctionKind) -> Bool {
        for square in squares where square.owner == player && square.info.kind == .property {
            if (kind == .hotel) == (square.houses == 4), buildViolation(player, on: square.index) == nil { return true }
        }
        return false
    }
}

extension Engine {
    mutating func build(_ player: Int, _ square: Int) throws(RuleViolation) {
        let id = state.players[player].id
        if let placement = state.placement {
            guard placement.player == id else { throw violation(.mustPlaceBuilding, "\(state.player(placement.player)?.name ?? "") must first place the building won at auction.") }
            if let refusal = state.buildViolation(id, on: square, ignoringCash: true) { throw refusal }
            guard (state.squares[square].houses == 4) == (placement.kind == .hotel) else {
                throw violation(.notBuildable, "The \(placement.kind == .hotel ? "hotel" : "house") won at auction must go on a lot ready for it.")
            }
            state.placement = nil
            place(player, square, paid: 0)
            return
        }
        switch state.stage {
        case .debt: throw violation(.debtPending, "Nobody builds while a debt is unpaid.")
        case .mortgageChoice: throw violation(.decisionPending, "A received mortgaged property must be lifted or kept first.")
        case .auction: throw violation(.auctionInProgress, "Nobody builds during an auction.")
        default: break
        }
        if let refusal = state.buildViolation(id, on: square) { throw refusal }
        let kind: AuctionKind = state.squares[square].houses == 4 ? .hotel : .house
        let stock = kind == .hotel ? state.bank.hotels : state.bank.houses
        let wanting = state.activePlayers.map(\.id).filter { state.canBuildAnywhere($0, kind: kind) }
        if wanting.count >= 2, wanting.count > stock {
            state.auction = Auction(kind: kind, square: nil, bidders: wanting)
            let names = wanting.compactMap { state.player($0)?.name }.joined(separator: ", ")
            emit(Event(.buildingAuction, player: id, detail: kind.rawValue,
                       text: "The bank has only \(stock) \(kind == .hotel ? "hotel" : "house")\(stock == 1 ? "" : "s") left and \(wanting.count) players can build: one goes to auction among \(names)."))
            return
        }
        let cost = Board.squares[square].houseCost
        transfer(cost, from: .player(id), to: .bank)
        place(player, square, paid: cost)
    }

    mutating func place(_ player: Int, _ square: Int, paid: Int) {
        let buildings = state.squares[square].houses
        if buildings == 4 {
            state.bank.hotels -= 1
            state.bank.houses += 4
        } else {
            state.bank.houses -= 1
        }
        state.squares[square].houses = buildings + 1
        let what = buildings == 4 ? "a hotel" : "a house"
        emit(Event(.built, player: state.players[player].id, square: square, amount: paid,
                   text: "\(name(player)) built \(what) on \(squareName(square))\(paid > 0 ? " for $\(paid)" : "")."))
    }

    mutating func sell(_ player: Int, _ square: Int) throws(RuleViolation) {
        try requireNoBuildingAuction()
        let id = state.players[player].id, info = Board.squares[square]
        guard state.squares[square].owner == id else { throw violation(.notOwner, "You do not own \(info.name).") }
        let buildings = state.squares[square].houses
        guard buildings > 0 else { throw violation(.noBuildings, "\(info.name) has no buildings to sell.") }
        let group = Board.group(of: square)
        if state.options.evenBuild, buildings < group.map({ state.squares[$0].houses }).max()! {
            throw violation(.mustSellEvenly, "You must sell evenly: sell from the lots with the most buildings first.")
        }
        let half = info.houseCost / 2
        if buildings < 5 || state.bank.houses >= 4 {
            if buildings == 5 {
                state.bank.hotels += 1
                state.bank.houses -= 4
            } else {
                state.bank.houses += 1
            }
            state.squares[square].houses = buildings - 1
            transfer(half, from: .bank, to: .player(id))
            emit(Event(.sold, player: id, square: square, amount: half,
                       text: "\(name(player)) sold \(buildings == 5 ? "the hotel" : "a house") on \(info.name) for $\(half)."))
            return
        }
        // Hotel, but the bank lacks the four houses to break it down: the hotels of the group (just this
        // lot without even-build) come down to the highest even level the bank's houses allow.
        let lots = state.options.evenBuild ? group : [square]
        func need(_ level: Int) -> Int {
            lots.reduce(0) { total, lot in
                let lotBuildings = state.squares[lot].houses
                return total + (lotBuildings == 5 ? level : -max(0, lotBuildings - level))
            }
        }
        let level = (0...4).reversed().first { need($0) <= state.bank.houses }!
        var refund = 0
        for lot in lots {
            let lotBuildings = state.squares[lot].houses
            if lotBuildings == 5 {
                state.bank.hotels += 1
                state.bank.houses -= level
                refund += (5 - level) * half
                state.squares[lot].houses = level
            } else if lotBuildings > level {
                state.bank.houses += lotBuildings - level
                refund += (lotBuildings - level) * half
                state.squares[lot].houses = level
            }
        }
        transfer(refund, from: .bank, to: .player(id))
        emit(Event(.sold, player: id, square: square, amount: refund,
                   text: "The bank lacks houses to break down the hotel: \(name(player)) sold the group down to \(level) house\(level == 1 ? "" : "s") per lot for $\(refund)."))
    }
}
