/// Mortgaging and lifting mortgages, and the choice a receiver of a mortgaged property must make.

extension Engine {
    mutating func mortgage(_ player: Int, _ square: Int) throws(RuleViolation) {
        try requireNoBuildingAuction()
        let id = state.players[player].id, info = Board.squares[square]
        guard state.squares[square].owner == id else { throw violation(.notOwner, "You do not own \(info.name).") }
        guard !state.squares[square].mortgaged else { throw violation(.alreadyMortgaged, "\(info.name) is already mortgaged.") }
        guard !Board.group(of: square).contains(where: { state.squares[$0].houses > 0 }) else {
            throw violation(.buildingsInGroup, "Sell the buildings of the colour group before mortgaging \(info.name).")
        }
        state.squares[square].mortgaged = true
        state.mortgageChoices.removeAll { $0.square == square }
        transfer(info.mortgage, from: .bank, to: .player(id))
        emit(Event(.mortgaged, player: id, square: square, amount: info.mortgage, text: "\(name(player)) mortgaged \(info.name) for $\(info.mortgage)."))
    }

    mutating func unmortgage(_ player: Int, _ square: Int) throws(RuleViolation) {
        let id = state.players[player].id
        if state.mortgageChoices.contains(MortgageChoice(player: id, square: square)) { try liftMortgage(player, square); return }
        if state.auction != nil { throw violation(.auctionInProgress, "Mortgages cannot be lifted during an auction.") }
        try requireNoBuildingAuction()
        if state.debts.contains(where: { $0.debtor == id }) { throw violation(.debtPending, "Pay your debt first.") }
        try lift(player, square)
    }

    mutating func lift(_ player: Int, _ square: Int) throws(RuleViolation) {
        let id = state.players[player].id, info = Board.squares[square]
        guard state.squares[square].owner == id else { throw violation(.notOwner, "You do not own \(info.name).") }
        guard state.squares[square].mortgaged else { throw violation(.notMortgaged, "\(info.name) is not mortgaged.") }
        let cost = Board.unmortgageCost(square)
        guard state.players[player].cash >= cost else {
            throw violation(.insufficientFunds, "Lifting the mortgage on \(info.name) costs $\(cost) (value + 10%); you have $\(state.players[player].cash).")
        }
        transfer(cost, from: .player(id), to: .bank)
        state.squares[square].mortgaged = false
        state.mortgageChoices.removeAll { $0.square == square }
        emit(Event(.unmortgaged, player: id, square: square, amount: cost, text: "\(name(player)) lifted the mortgage on \(info.name) for $\(cost)."))
    }

    mutating func liftMortgage(_ player: Int, _ square: Int) throws(RuleViolation) {
        let id = state.players[player].id
        guard state.mortgageChoices.contains(MortgageChoice(player: id, square: square)) else {
            throw violation(.noDecision, "You have no mortgage decision pending on \(squareName(square)).")
        }
        // A debtor pays before spending: keeping it (the 10% queues behind the debt) is still open.
        if state.debts.contains(where: { $0.debtor == id }) { throw violation(.debtPending, "Pay your debt first (or keep the mortgage).") }
        try lift(player, square)
    }

    mutating func keepMortgage(_ player: Int, _ square: Int) throws(RuleViolation) {
        let id = state.players[player].id
        guard let index = state.mortgageChoices.firstIndex(of: MortgageChoice(player: id, square: square)) else {
            throw violation(.noDecision, "You have no mortgage decision pending on \(squareName(square)).")
        }
        state.mortgageChoices.remove(at: index)
        chargeInterest(player, square, text: "\(name(player)) keeps \(squareName(square)) mortgaged and pays 10% interest.")
    }

    /// The 10% a receiver of a mortgaged property owes when not lifting the mortgage at once.
    mutating func chargeInterest(_ player: Int, _ square: Int, text: String) {
        emit(Event(.mortgageKept, player: state.players[player].id, square: square, amount: Board.interest(square), text: text))
        charge(player, Board.interest(square), to: .bank, "10% interest on \(squareName(square))")
    }

    /// The receiver of a mortgaged property must lift the mortgage or keep it (and pay the 10%).
    mutating func askMortgageChoice(_ to: PlayerID, _ square: Int) {
        state.mortgageChoices.append(MortgageChoice(player: to, square: square))
        emit(Event(.mortgageChoice, player: to, square: square, amount: Board.interest(square),
                   text: "\(state.player(to)!.name) received mortgaged \(squareName(square)): lift the mortgage for $\(Board.unmortgageCost(square)) or keep it and pay $\(Board.interest(square)) interest."))
    }
}
