/// Buying the square landed on or declining it, and the auctions (of lots and of scarce buildings).

extension Engine {
    mutating func buy(_ player: Int) throws(RuleViolation) {
        try requireCurrent(player)
        try requireStage(.buy)
        let square = state.pendingBuy!, info = Board.squares[square]
        guard state.players[player].cash >= info.price else {
            throw violation(.insufficientFunds, "\(info.name) costs $\(info.price); you have $\(state.players[player].cash). Mortgage or sell to raise it, or decline.")
        }
        let id = state.players[player].id
        transfer(info.price, from: .player(id), to: .bank)
        state.squares[square].owner = id
        state.pendingBuy = nil
        emit(Event(.bought, player: id, square: square, amount: info.price, text: "\(name(player)) bought \(info.name) for $\(info.price)."))
    }

    mutating func decline(_ player: Int) throws(RuleViolation) {
        try requireCurrent(player)
        try requireStage(.buy)
        let square = state.pendingBuy!
        state.pendingBuy = nil
        emit(Event(.declined, player: state.players[player].id, square: square, text: "\(name(player)) declined to buy \(squareName(square))."))
        if state.options.auctions { startPropertyAuction(square) }
    }

    mutating func startPropertyAuction(_ square: Int) {
        state.auction = Auction(kind: .property, square: square, bidders: state.activePlayers.map(\.id))
        emit(Event(.auctionStarted, square: square, text: "\(squareName(square)) goes to auction."))
    }

    mutating func bid(_ player: Int, _ amount: Int) throws(RuleViolation) {
        try requireStage(.auction)
        var auction = state.auction!
        let id = state.players[player].id
        guard auction.bidders.contains(id) else { throw violation(.notInAuction, "You are not in this auction.") }
        guard !auction.passed.contains(id) else { throw violation(.alreadyPassed, "You passed and are out of this auction.") }
        guard auction.highBidder != id else { throw violation(.alreadyHighBidder, "You already hold the high bid.") }
        guard amount > auction.highBid, amount >= 1 else { throw violation(.bidTooLow, "A bid must be higher than $\(auction.highBid).") }
        guard amount <= state.players[player].cash else { throw violation(.insufficientFunds, "You cannot bid more than your cash ($\(state.players[player].cash)).") }
        auction.highBid = amount
        auction.highBidder = id
        auction.seq += 1
        state.auction = auction
        emit(Event(.bid, player: id, square: auction.square, amount: amount, text: "\(name(player)) bid $\(amount)."))
        if auction.waitingOn.isEmpty { finishAuction(timedOut: false) }
    }

    mutating func pass(_ player: Int) throws(RuleViolation) {
        try requireStage(.auction)
        var auction = state.auction!
        let id = state.players[player].id
        guard auction.bidders.contains(id) else { throw violation(.notInAuction, "You are not in this auction.") }
        guard !auction.passed.contains(id) else { throw violation(.alreadyPassed, "You have already passed.") }
        guard auction.highBidder != id else { throw violation(.alreadyHighBidder, "The high bidder cannot pass.") }
        auction.passed.append(id)
        auction.seq += 1
        state.auction = auction
        emit(Event(.passed, player: id, square: auction.square, text: "\(name(player)) passed."))
        if auction.waitingOn.isEmpty { finishAuction(timedOut: false) }
    }

    mutating func finishAuction(timedOut: Bool) {
        guard let auction = state.auction else { return }
        state.auction = nil
        let what = auction.square.map(squareName) ?? (auction.kind == .hotel ? "a hotel" : "a house")
        guard let winner = auction.highBidder else {
            emit(Event(.auctionUnsold, square: auction.square, text: "Nobody bid: \(what) stays with the bank."))
            return
        }
        let winnerIndex = playerIndex(winner)
        charge(winnerIndex, auction.highBid, to: .bank, "auction")
        emit(Event(.auctionWon, player: winner, square: auction.square, amount: auction.highBid,
                   text: "\(name(winnerIndex)) won \(what) for $\(auction.highBid)\(timedOut ? " when time ran out" : "")."))
        if let square = auction.square {
            state.squares[square].owner = winner
        } else {
            state.placement = Placement(player: winner, kind: auction.kind)
        }
    }
}
