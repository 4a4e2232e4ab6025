import Foundation
import Testing
@testable import Monopoly

@Suite struct OptionTests {
    @Test func freeParkingJackpotCollectsTaxesAndFees() throws {
        var g = newGame(2, GameOptions(freeParkingJackpot: true, shuffleCards: false))
        try g.run(.roll, "p1", dice: [1, 3]) // Income Tax -> jackpot
        #expect(g.jackpot == 200 && g.cash("p1") == 1300)
        try g.run(.endTurn, "p1")
        g.place("p2", at: 15)
        try g.run(.roll, "p2", dice: [2, 3]) // Free Parking
        #expect(g.jackpot == 0 && g.cash("p2") == 1700)
    }

    @Test func withoutTheJackpotFreeParkingPaysNothing() throws {
        var g = newGame(2)
        g.place("p1", at: 15)
        try g.run(.roll, "p1", dice: [2, 3])
        #expect(g.cash("p1") == 1500 && g.jackpot == 0)
    }

    @Test func doubleSalaryForLandingExactlyOnGo() throws {
        var g = newGame(2, GameOptions(doubleSalaryOnGo: true, shuffleCards: false))
        g.place("p1", at: 36)
        try g.run(.roll, "p1", dice: [1, 3])
        #expect(g.cash("p1") == 1900)
        try g.run(.endTurn, "p1")
        g.place("p2", at: 37)
        try g.run(.roll, "p2", dice: [1, 3]) // passes GO: $200 only
        #expect(g.cash("p2") == 1700)
    }

    @Test func noRentCollectedWhileInJail() throws {
        var g = newGame(2, GameOptions(noRentInJail: true, shuffleCards: false))
        g.give([3], to: "p2")
        g.jail("p2")
        try g.run(.roll, "p1", dice: [1, 2])
        #expect(g.cash("p1") == 1500)
    }

    @Test func shortGameEndsAtTheTurnLimitWithTheRichestPlayer() throws {
        var g = newGame(2, GameOptions(turnLimit: 2, shuffleCards: false))
        try g.run(.roll, "p1", dice: [1, 2])
        try g.run(.buy, "p1")
        try g.run(.endTurn, "p1")
        try g.run(.roll, "p2", dice: [1, 3]) // Income Tax
        try g.run(.endTurn, "p2")
        #expect(g.phase == .finished && g.winner == "p1" && g.endReason == "turn_limit")
        #expect(g.netWorth(of: "p1") == 1500 && g.netWorth(of: "p2") == 1300)
    }

    @Test func startingCashOption() {
        let g = newGame(3, GameOptions(startingCash: 2500))
        #expect(g.players.allSatisfy { $0.cash == 2500 } && g.moneySupply == 7500)
    }

    @Test func maxPlayersMustBeTwoToEight() throws {
        var g = GameState(options: GameOptions(maxPlayers: 9), seed: 1)
        _ = try g.join(name: "A")
        _ = try g.join(name: "B")
        #expect(violation { try g.apply(.start, by: "p1") } == .invalidOptions)
    }

    @Test func turnSecondsIsStoredForTheAuthority() throws {
        let g = newGame(2, GameOptions(turnSeconds: 30))
        #expect(g.options.turnSeconds == 30)
    }

    /// Options JSON, then the error message (nil: accepted). Every bound on both sides.
    static let ranges: [(String, String?)] = [
        (#"{"turn_seconds": 10}"#, nil), (#"{"turn_seconds": 3600}"#, nil), (#"{"turn_seconds": null}"#, nil),
        (#"{"turn_seconds": 9}"#, "turn_seconds must be between 10 and 3600"),
        (#"{"turn_seconds": 3601}"#, "turn_seconds must be between 10 and 3600"),
        (#"{"turn_seconds": 10000000000000000}"#, "turn_seconds must be between 10 and 3600"),
        (#"{"turn_seconds": -1}"#, "turn_seconds must be between 10 and 3600"),
        (#"{"turn_seconds": 0}"#, "turn_seconds must be between 10 and 3600"),
        (#"{"turn_seconds": 9223372036854775807}"#, "turn_seconds must be between 10 and 3600"),
        (#"{"auction_seconds": 5}"#, nil), (#"{"auction_seconds": 120}"#, nil), (#"{"auction_seconds": null}"#, nil),
        (#"{"auction_seconds": 4}"#, "auction_seconds must be between 5 and 120"),
        (#"{"auction_seconds": 121}"#, "auction_seconds must be between 5 and 120"),
        (#"{"auction_seconds": 10000000000000000}"#, "auction_seconds must be between 5 and 120"),
        (#"{"starting_cash": 1}"#, nil), (#"{"starting_cash": 100000}"#, nil),
        (#"{"starting_cash": 0}"#, "starting_cash must be between 1 and 100000"),
        (#"{"starting_cash": 100001}"#, "starting_cash must be between 1 and 100000"),
        (#"{"starting_cash": -9223372036854775808}"#, "starting_cash must be between 1 and 100000"),
        (#"{"turn_limit": 1}"#, nil), (#"{"turn_limit": 10000}"#, nil), (#"{"turn_limit": null}"#, nil),
        (#"{"turn_limit": 0}"#, "turn_limit must be between 1 and 10000"),
        (#"{"turn_limit": 10001}"#, "turn_limit must be between 1 and 10000"),
        (#"{"max_players": 2}"#, nil), (#"{"max_players": 8}"#, nil),
        (#"{"max_players": 1}"#, "max_players must be between 2 and 8"),
        (#"{"max_players": 9}"#, "max_players must be between 2 and 8"),
        // Values that are no integer at all name their field too.
        (#"{"turn_seconds": 10.5}"#, "turn_seconds must be an integer between 10 and 3600"),
        (#"{"turn_seconds": 1e30}"#, "turn_seconds must be an integer between 10 and 3600"),
        (#"{"turn_seconds": "60"}"#, "turn_seconds must be an integer between 10 and 3600"),
        (#"{"auction_seconds": [15]}"#, "auction_seconds must be an integer between 5 and 120"),
        (#"{"starting_cash": 1e300}"#, "starting_cash must be an integer between 1 and 100000"),
        (#"{"starting_cash": {"a": 1}}"#, "starting_cash must be an integer between 1 and 100000"),
        (#"{"turn_limit": true}"#, "turn_limit must be an integer between 1 and 10000"),
        (#"{"max_players": -1e30}"#, "max_players must be an integer between 2 and 8"),
        (#"{"auctions": 1}"#, "auctions must be true or false"),
        (#"{"shuffle_cards": "no"}"#, "shuffle_cards must be true or false"),
    ]

    @Test(arguments: ranges) func optionsOutsideTheirRangeAreRefusedNamingTheField(_ json: String, _ message: String?) {
        do {
            _ = try JSONDecoder().decode(GameOptions.self, from: Data(json.utf8)).validated()
            #expect(message == nil)
        } catch let violation as RuleViolation {
            #expect(violation == RuleViolation(.invalidOptions, message ?? "accepted"))
        } catch {
            Issue.record("not a rule violation: \(error)")
        }
    }
}
