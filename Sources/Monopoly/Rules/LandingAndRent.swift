/// What a square does to the token that lands on it, and the rent an owned square asks.

extension GameState {
    /// Whether `owner` holds every property of the group of `square`.
    public func ownsGroup(_ owner: PlayerID, of square: Int) -> Bool {
        let group = Board.group(of: square)
        return !group.isEmpty && group.allSatisfy { squares[$0].owner == owner }
    }

    /// The rent a visitor would owe on `square` right now (dice total for utilities).
    public func rent(of square: Int, diceTotal: Int) -> Int {
        let squareState = squares[square]
        guard let owner = squareState.owner, !squareState.mortgaged else { return 0 }
        let info = squareState.info
        switch info.kind {
        case .property:
            if squareState.houses > 0 { return info.rents[squareState.houses] }
            return info.rents[0] * (ownsGroup(owner, of: square) ? 2 : 1)
        case .railroad:
            let owned = Board.railroads.filter { squares[$0].owner == owner }.count
            return Board.railroadRents[owned - 1]
        case .utility:
            let owned = Board.utilities.filter { squares[$0].owner == owner }.count
            return (owned == 2 ? 10 : 4) * diceTotal
        default:
            return 0
        }
    }
}

extension Engine {
    enum RentMode { case normal, railroadDouble, utilityTen }

    mutating func land(_ player: Int, mode: RentMode) {
        let position = state.players[player].position
        switch Board.squares[position].kind {
        case .go, .jail: break
        case .freeParking:
            if state.options.freeParkingJackpot, state.jackpot > 0 {
                let amount = state.jackpot
                transfer(amount, from: .jackpot, to: .player(state.players[player].id))
                emit(Event(.jackpot, player: state.players[player].id, square: position, amount: amount,
                           text: "\(name(player)) collected the Free Parking jackpot of $\(amount)."))
            }
        case .goToJail: sendToJail(player, "landed on Go To Jail")
        case .incomeTax: charge(player, Board.incomeTax, to: feeParty, "Income Tax", square: position)
        case .luxuryTax: charge(player, Board.luxuryTax, to: feeParty, "Luxury Tax", square: position)
        case .chance: draw(player, .chance)
        case .communityChest: draw(player, .communityChest)
        case .property, .railroad, .utility: landOnOwnable(player, position, mode)
        }
    }

    mutating func landOnOwnable(_ player: Int, _ square: Int, _ mode: RentMode) {
        let squareState = state.squares[square], info = squareState.info, id = state.players[player].id
        guard let owner = squareState.owner else {
            state.pendingBuy = square
            return
        }
        if owner == id { return }
        let ownerIndex = playerIndex(owner)
        if squareState.mortgaged {
            emit(Event(.noRent, player: id, other: owner, square: square, text: "\(info.name) is mortgaged: no rent."))
            return
        }
        if state.options.noRentInJail, state.players[ownerIndex].inJail {
            emit(Event(.noRent, player: id, other: owner, square: square, text: "\(name(ownerIndex)) is in jail and collects no rent."))
            return
        }
        var rent: Int
        switch mode {
        case .normal:
            rent = state.rent(of: square, diceTotal: lastTotal)
        case .railroadDouble:
            rent = 2 * state.rent(of: square, diceTotal: lastTotal)
        case .utilityTen:
            let first = rollDie(), second = rollDie()
            state.dice = [first, second]
            rent = 10 * (first + second)
            emit(Event(.rolled, player: id, dice: [first, second], text: "\(name(player)) threw \(first)+\(second) for the utility: 10 × \(first + second)."))
        }
        charge(player, rent, to: .player(owner), "rent for \(info.name)", kind: .rentPaid, square: square)
    }
}
