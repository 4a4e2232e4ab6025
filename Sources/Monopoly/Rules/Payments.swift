/// Money between the players, the bank and the jackpot: paid at once when the cash is there, else owed.

extension Engine {
    func partyName(_ party: Party) -> String {
        switch party {
        case .bank: "the bank"
        case .jackpot: "the Free Parking jackpot"
        case .player(let id): state.player(id)?.name ?? id
        }
    }

    var feeParty: Party { state.options.freeParkingJackpot ? .jackpot : .bank }

    mutating func credit(_ party: Party, _ amount: Int) {
        switch party {
        case .bank: state.bank.cash += amount
        case .jackpot: state.jackpot += amount
        case .player(let id): state.players[playerIndex(id)].cash += amount
        }
    }

    mutating func transfer(_ amount: Int, from: Party, to: Party) {
        credit(from, -amount)
        credit(to, amount)
    }

    /// The bank pays a player.
    mutating func collect(_ player: Int, _ amount: Int, _ reason: String) {
        transfer(amount, from: .bank, to: .player(state.players[player].id))
        emit(Event(.collected, player: state.players[player].id, amount: amount, detail: reason, text: "\(name(player)) collected $\(amount) (\(reason))."))
    }

    /// The player owes `amount`: paid at once when the cash is there, otherwise a blocking debt.
    mutating func charge(_ player: Int, _ amount: Int, to creditor: Party, _ reason: String, kind: Event.Kind = .paid, square: Int? = nil) {
        guard amount > 0 else { return }
        let id = state.players[player].id
        var other: PlayerID? = nil
        if case .player(let creditorID) = creditor { other = creditorID }
        if !state.debts.contains(where: { $0.debtor == id }), state.players[player].cash >= amount {
            transfer(amount, from: .player(id), to: creditor)
            emit(Event(kind, player: id, other: other, square: square, amount: amount, detail: reason,
                       text: "\(name(player)) paid $\(amount) to \(partyName(creditor)) (\(reason))."))
        } else {
            state.debts.append(Debt(debtor: id, creditor: creditor, amount: amount, reason: reason))
            emit(Event(.debt, player: id, other: other, square: square, amount: amount, detail: reason,
                       text: "\(name(player)) owes $\(amount) to \(partyName(creditor)) (\(reason)) and must raise the money or go bankrupt."))
        }
    }
}
