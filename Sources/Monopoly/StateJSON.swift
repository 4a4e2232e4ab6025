/// The game state's JSON written by hand (see `JSONWritable`): the same bytes as its `Encodable`
/// conformance through a sorted-keys `JSONEncoder`. Keys are listed in byte order.

extension JSONWritable where Self: RawRepresentable, RawValue == String {
    public func writeJSON(to out: inout JSONOutput) { out.string(rawValue) }
}

extension Phase: JSONWritable {}
extension TurnStage: JSONWritable {}
extension AuctionKind: JSONWritable {}
extension DeckKind: JSONWritable {}
extension Event.Kind: JSONWritable {}
extension SquareKind: JSONWritable {}
extension ColorGroup: JSONWritable {}

extension Party: JSONWritable {
    public func writeJSON(to out: inout JSONOutput) {
        switch self {
        case .bank: out.string("bank")
        case .jackpot: out.string("jackpot")
        case .player(let id): out.string(id)
        }
    }
}

extension Player: JSONWritable {
    public func writeJSON(to out: inout JSONOutput) {
        out.object { o in
            o.field("away", away)
            o.field("bankrupt", bankrupt)
            o.field("bot", bot)
            o.field("cash", cash)
            o.field("connected", connected)
            o.field("doubles", doubles)
            o.field("id", id)
            o.field("in_jail", inJail)
            o.field("jail_card_decks", jailCards)
            o.field("jail_cards", jailCards.count)
            o.field("jail_turns", jailTurns)
            o.field("last_proposal_turn", lastProposalTurn)
            o.field("name", name)
            o.field("position", position)
        }
    }
}

extension SquareState: JSONWritable {
    public func writeJSON(to out: inout JSONOutput) {
        out.object { o in
            o.field("houses", houses)
            o.field("index", index)
            o.field("mortgaged", mortgaged)
            o.field("owner", owner)
        }
    }
}

extension Bank: JSONWritable {
    public func writeJSON(to out: inout JSONOutput) {
        out.object { o in
            o.field("cash", cash)
            o.field("hotels", hotels)
            o.field("houses", houses)
        }
    }
}

extension Auction: JSONWritable {
    public func writeJSON(to out: inout JSONOutput) {
        out.object { o in
            o.field("bidders", bidders)
            o.field("deadline", deadline)
            o.field("high_bid", highBid)
            o.field("high_bidder", highBidder)
            o.field("kind", kind)
            o.field("passed", passed)
            o.field("seq", seq)
            o.field("square", square)
        }
    }
}

extension TradeOffer: JSONWritable {
    public func writeJSON(to out: inout JSONOutput) {
        out.object { o in
            o.field("cash", cash)
            o.field("jail_cards", jailCards)
            o.field("properties", properties)
        }
    }
}

extension Trade: JSONWritable {
    public func writeJSON(to out: inout JSONOutput) {
        out.object { o in
            o.field("from", from)
            o.field("get", get)
            o.field("give", give)
            o.field("id", id)
            o.field("to", to)
        }
    }
}

extension Debt: JSONWritable {
    public func writeJSON(to out: inout JSONOutput) {
        out.object { o in
            o.field("amount", amount)
            o.field("creditor", creditor)
            o.field("debtor", debtor)
            o.field("reason", reason)
        }
    }
}

extension MortgageChoice: JSONWritable {
    public func writeJSON(to out: inout JSONOutput) {
        out.object { o in
            o.field("player", player)
            o.field("square", square)
        }
    }
}

extension Placement: JSONWritable {
    public func writeJSON(to out: inout JSONOutput) {
        out.object { o in
            o.field("kind", kind)
            o.field("player", player)
        }
    }
}

extension GameOptions: JSONWritable {
    public func writeJSON(to out: inout JSONOutput) {
        out.object { o in
            o.field("auction_seconds", auctionSeconds)
            o.field("auctions", auctions)
            o.field("double_salary_on_go", doubleSalaryOnGo)
            o.field("even_build", evenBuild)
            o.field("free_parking_jackpot", freeParkingJackpot)
            o.field("max_players", maxPlayers)
            o.field("no_rent_in_jail", noRentInJail)
            o.field("shuffle_cards", shuffleCards)
            o.field("starting_cash", startingCash)
            o.field("turn_limit", turnLimit)
            o.field("turn_seconds", turnSeconds)
        }
    }
}

extension Event: JSONWritable {
    public func writeJSON(to out: inout JSONOutput) {
        out.object { o in
            o.field("amount", amount)
            o.field("detail", detail)
            o.field("dice", dice)
            o.field("other", other)
            o.field("player", player)
            o.field("square", square)
            o.field("text", text)
            o.field("type", kind)
        }
    }
}

extension GameResults.PlayerResult: JSONWritable {
    public func writeJSON(to out: inout JSONOutput) {
        out.object { o in
            o.field("id", id)
            o.field("net_worth", netWorth)
            o.field("properties_bought", propertiesBought)
            o.field("rent_paid", rentPaid)
            o.field("rent_received", rentReceived)
            o.field("trades_made", tradesMade)
            o.field("turns_in_jail", turnsInJail)
        }
    }
}

extension GameResults.MonopolyHold: JSONWritable {
    public func writeJSON(to out: inout JSONOutput) {
        out.object { o in
            o.field("from_turn", fromTurn)
            o.field("group", group)
            o.field("player", player)
            o.field("turns", turns)
        }
    }
}

extension GameResults: JSONWritable {
    public func writeJSON(to out: inout JSONOutput) {
        out.object { o in
            o.field("eliminated", eliminated)
            o.field("holds", holds)
            o.field("longest_monopoly", longestMonopoly)
            o.field("players", players)
            o.field("ranking", ranking)
            o.field("sample_every", sampleEvery)
            o.field("sample_turns", sampleTurns)
        }
    }
}

extension GameState: JSONWritable {
    public func writeJSON(to out: inout JSONOutput) {
        out.object { o in
            o.field("auction", auction)
            o.field("auction_queue", auctionQueue)
            o.field("awaiting", awaiting)
            o.field("bank", bank)
            o.field("can_roll", canRoll)
            o.field("chance_deck", chanceDeck)
            o.field("community_chest_deck", communityChestDeck)
            o.field("current", current)
            o.field("debts", debts)
            o.field("dice", dice)
            o.field("end_reason", endReason)
            o.field("host", host)
            o.field("jackpot", jackpot)
            o.field("money_supply", moneySupply)
            o.field("mortgage_choices", mortgageChoices)
            o.field("next_player_number", nextPlayerNumber)
            o.field("next_trade_number", nextTradeNumber)
            o.field("options", options)
            o.field("pending_buy", pendingBuy)
            o.field("phase", phase)
            o.field("placement", placement)
            o.field("players", players)
            o.field("results", results)
            o.field("rng_state", rngStateHex)
            o.field("skip_votes", skipVotes)
            o.field("skip_votes_needed", skipVotesNeeded)
            o.field("squares", squares)
            o.field("trades", trades)
            o.field("turn_deadline", turnDeadline)
            o.field("turn_number", turnNumber)
            o.field("turn_stage", stage)
            o.field("winner", winner)
        }
    }
}

/// A command as the command log writes it (`{"amount":120,"type":"bid"}`), once per command.
extension Command: JSONWritable {
    public func writeJSON(to out: inout JSONOutput) {
        out.object { o in
            switch self {
            case .bid(let amount): o.field("amount", amount)
            case .tradePropose(let to, let give, let get):
                o.field("get", get)
                o.field("give", give)
                o.field("to", to)
            case .build(let square), .sell(let square), .mortgage(let square), .unmortgage(let square),
                 .liftMortgage(let square), .keepMortgage(let square):
                o.field("square", square)
            case .tradeAccept(let trade), .tradeReject(let trade): o.field("trade", trade)
            case .voteSkip(let turn): o.field("turn", turn)
            default: break
            }
            o.field("type", type)
        }
    }
}
