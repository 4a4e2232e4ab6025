/// Why a command was rejected. `code` is stable (wire protocol); `message` names the rule for people.
public struct RuleViolation: Error, Sendable, Equatable, Codable, CustomStringConvertible {
    public enum Code: String, Codable, Sendable, Equatable {
        case invalidOptions = "invalid_options"
        case gameNotInLobby = "game_not_in_lobby"
        case gameNotStarted = "game_not_started"
        case gameOver = "game_over"
        case gameFull = "game_full"
        case invalidName = "invalid_name"
        case notHost = "not_host"
        case notEnoughPlayers = "not_enough_players"
        case unknownPlayer = "unknown_player"
        case playerBankrupt = "player_bankrupt"
        case notYourTurn = "not_your_turn"
        case wrongStage = "wrong_stage"
        case alreadyRolled = "already_rolled"
        case mustRoll = "must_roll"
        case nothingToBuy = "nothing_to_buy"
        case insufficientFunds = "insufficient_funds"
        case noAuction = "no_auction"
        case auctionInProgress = "auction_in_progress"
        case bidTooLow = "bid_too_low"
        case alreadyPassed = "already_passed"
        case notInAuction = "not_in_auction"
        case alreadyHighBidder = "already_high_bidder"
        case debtPending = "debt_pending"
        case decisionPending = "decision_pending"
        case invalidSquare = "invalid_square"
        case notOwner = "not_owner"
        case notBuildable = "not_buildable"
        case incompleteGroup = "incomplete_group"
        case groupMortgaged = "group_mortgaged"
        case mustBuildEvenly = "must_build_evenly"
        case mustSellEvenly = "must_sell_evenly"
        case maxBuildings = "max_buildings"
        case noBuildings = "no_buildings"
        case bankOutOfHouses = "bank_out_of_houses"
        case bankOutOfHotels = "bank_out_of_hotels"
        case alreadyMortgaged = "already_mortgaged"
        case notMortgaged = "not_mortgaged"
        case buildingsInGroup = "buildings_in_group"
        case notInJail = "not_in_jail"
        case noJailCard = "no_jail_card"
        case unknownTrade = "unknown_trade"
        case invalidTrade = "invalid_trade"
        case notTradeRecipient = "not_trade_recipient"
        case tooManyTrades = "too_many_trades"
        case notInDebt = "not_in_debt"
        case canRaiseFunds = "can_raise_funds"
        case noDecision = "no_decision"
        case mustPlaceBuilding = "must_place_building"
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
