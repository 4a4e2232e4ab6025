/// Going to jail and the three ways out: doubles, the $50 fine, a Get Out of Jail Free card.

extension Engine {
    mutating func sendToJail(_ player: Int, _ why: String) {
        state.players[player].position = Board.jailIndex
        state.players[player].inJail = true
        state.players[player].jailTurns = 0
        state.players[player].doubles = 0
        if state.current == state.players[player].id { state.canRoll = false }
        emit(Event(.wentToJail, player: state.players[player].id, square: Board.jailIndex, detail: why,
                   text: "\(name(player)) went to jail (\(why))."))
    }

    mutating func jailPay(_ player: Int) throws(RuleViolation) {
        try requireCurrent(player)
        guard state.players[player].inJail else { throw violation(.notInJail, "You are not in jail.") }
        if state.players[player].jailTurns >= 3 {
            try requireStage(.jailFine)
            payJailFine(player)
            return
        }
        try requireStage(.roll)
        // The rules: "paying a fine of $50 before you roll the dice on either of your next two turns".
        guard state.players[player].jailTurns < 2 else {
            throw violation(.mustRoll, "On your third turn in jail you roll for doubles (or use a Get Out of Jail Free card); the $\(Board.jailFine) fine is due if you miss.")
        }
        guard state.players[player].cash >= Board.jailFine else {
            throw violation(.insufficientFunds, "The fine is $\(Board.jailFine); you have $\(state.players[player].cash).")
        }
        transfer(Board.jailFine, from: .player(state.players[player].id), to: feeParty)
        state.players[player].inJail = false
        state.players[player].jailTurns = 0
        emit(Event(.leftJail, player: state.players[player].id, amount: Board.jailFine, text: "\(name(player)) paid $\(Board.jailFine) to get out of jail."))
    }

    mutating func jailCard(_ player: Int) throws(RuleViolation) {
        try requireCurrent(player)
        guard state.players[player].inJail else { throw violation(.notInJail, "You are not in jail.") }
        let thirdMiss = state.players[player].jailTurns >= 3
        try requireStage(thirdMiss ? .jailFine : .roll)
        guard !state.players[player].jailCards.isEmpty else { throw violation(.noJailCard, "You have no Get Out of Jail Free card.") }
        let deck = state.players[player].jailCards.removeFirst()
        returnJailCard(deck)
        emit(Event(.jailCardUsed, player: state.players[player].id, detail: deck.rawValue, text: "\(name(player)) used a Get Out of Jail Free card."))
        if thirdMiss {
            leaveJailAndMove(player)
        } else {
            state.players[player].inJail = false
            state.players[player].jailTurns = 0
        }
    }

    /// Why a debt is owed when it is the fine after a third missed roll in jail (`settle` moves the
    /// token once it is paid).
    static var jailFineReason: String { "jail fine" }

    /// The fine after a third missed roll: paid now and the token moves by that roll, or owed (a
    /// debt) and the token stays in jail until it is paid.
    mutating func payJailFine(_ player: Int) {
        charge(player, Board.jailFine, to: feeParty, Self.jailFineReason)
        if !state.debts.contains(where: { $0.debtor == state.players[player].id }) { leaveJailAndMove(player) }
    }

    /// After a third missed roll, once the fine is settled: out of jail and on by the roll.
    mutating func leaveJailAndMove(_ player: Int) {
        state.players[player].inJail = false
        state.players[player].jailTurns = 0
        let steps = lastTotal
        emit(Event(.leftJail, player: state.players[player].id, dice: state.dice,
                   text: "\(name(player)) leaves jail and moves to \(squareName((state.players[player].position + steps) % Board.size))."))
        move(player, by: steps)
    }

    /// A used (or surrendered) Get Out of Jail Free card goes to the bottom of its deck.
    mutating func returnJailCard(_ deck: DeckKind) {
        if deck == .chance { state.chanceDeck.append(Cards.jailCardID(.chance)) } else { state.communityChestDeck.append(Cards.jailCardID(.communityChest)) }
    }
}
