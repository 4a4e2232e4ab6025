/// Drawing a Chance or Community Chest card and carrying out what it says.

extension Engine {
    mutating func draw(_ player: Int, _ deck: DeckKind) {
        var pile = deck == .chance ? state.chanceDeck : state.communityChestDeck
        let cardID = pile.removeFirst()
        let card = Cards.card(deck, cardID)
        if card.effect != .getOutOfJailFree { pile.append(cardID) }
        if deck == .chance { state.chanceDeck = pile } else { state.communityChestDeck = pile }
        let id = state.players[player].id
        emit(Event(.cardDrawn, player: id, square: state.players[player].position, detail: card.text,
                   text: "\(name(player)) drew \(deck.title): \(card.text)"))
        switch card.effect {
        case .advance(let target):
            advance(player, to: target, mode: .normal)
        case .nearestRailroad:
            let position = state.players[player].position
            let target = Board.railroads.first { $0 > position } ?? Board.railroads[0]
            advance(player, to: target, mode: .railroadDouble)
        case .nearestUtility:
            let position = state.players[player].position
            let target = Board.utilities.first { $0 > position } ?? Board.utilities[0]
            advance(player, to: target, mode: .utilityTen)
        case .collect(let amount):
            collect(player, amount, card.text)
        case .pay(let amount):
            charge(player, amount, to: feeParty, card.text)
        case .getOutOfJailFree:
            state.players[player].jailCards.append(deck)
        case .back3:
            let to = (state.players[player].position + Board.size - 3) % Board.size
            state.players[player].position = to
            emit(Event(.moved, player: id, square: to, text: "\(name(player)) went back 3 spaces to \(squareName(to))."))
            land(player, mode: .normal)
        case .goToJail:
            sendToJail(player, "card")
        case .repairs(let perHouse, let perHotel):
            var total = 0
            for square in state.squares where square.owner == id {
                total += square.houses == 5 ? perHotel : square.houses * perHouse
            }
            if total > 0 { charge(player, total, to: feeParty, "repairs") }
        case .payEachPlayer(let amount):
            // Clockwise from the drawer; the first who cannot be paid in full is owed first.
            for step in 1..<state.players.count {
                let other = (player + step) % state.players.count
                if !state.players[other].bankrupt { charge(player, amount, to: .player(state.players[other].id), "Chairman of the Board") }
            }
        case .collectFromEachPlayer(let amount):
            for other in state.players.indices where other != player && !state.players[other].bankrupt {
                charge(other, amount, to: .player(id), "birthday")
            }
        }
    }
}
