import Foundation
import Testing
@testable import Monopoly

@Suite struct JSONTests {
    /// `JSONOutput` writes integers and strings itself (digits, and unescaped strings copied whole):
    /// the bytes `JSONEncoder` writes, at the edges too.
    @Test func integersAndStringsAreWhatJSONEncoderWrites() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        for value in [0, 1, 9, 10, 11, 99, 100, -1, -9, -10, 1_500, 1_764_100_000, Int.max, Int.min, Int.min + 1, -1_000_000_007] {
            var out = JSONOutput()
            out.int(value)
            #expect(out.text == String(decoding: try encoder.encode(value), as: UTF8.self))
        }
        for text in ["", "a", "houses", "a/b</script>", "Zoë 東京 😀", "quote\"", "back\\slash", "tab\t", "\u{1}\u{1f}\u{7f}",
                     String(repeating: "long text, nothing to escape ", count: 40), String(repeating: "x", count: 15) + "\n"] {
            var out = JSONOutput()
            out.string(text)
            #expect(out.text == String(decoding: try encoder.encode(text), as: UTF8.self), "\(text)")
        }
    }

    @Test func stateRoundTripsThroughJSON() throws {
        var g = newGame(3, GameOptions(), seed: 99)
        try g.run(.roll, "p1", dice: [1, 2])
        let data = try JSONEncoder().encode(g)
        let back = try JSONDecoder().decode(GameState.self, from: data)
        #expect(back == g)
    }

    @Test func stateJSONUsesSnakeCaseAndExplicitNulls() throws {
        var g = GameState(seed: 1)
        _ = try g.join(name: "Alice")
        let obj = try JSONSerialization.jsonObject(with: JSONEncoder().encode(g)) as! [String: Any]
        for key in ["phase", "players", "current", "dice", "squares", "bank", "auction", "trades", "winner", "options", "turn_stage", "debts", "pending_buy"] {
            #expect(obj.keys.contains(key), "missing \(key)")
        }
        #expect(obj["current"] is NSNull && obj["dice"] is NSNull && obj["auction"] is NSNull && obj["winner"] is NSNull)
        let p = (obj["players"] as! [[String: Any]])[0]
        for key in ["id", "name", "cash", "position", "in_jail", "jail_cards", "bankrupt", "connected", "jail_turns", "away", "doubles"] {
            #expect(p.keys.contains(key), "missing player.\(key)")
        }
        let squares = obj["squares"] as! [[String: Any]]
        #expect(squares.count == 40)
        #expect(squares[1]["owner"] is NSNull && squares[1]["houses"] as? Int == 0 && squares[1]["mortgaged"] as? Bool == false)
        // Only what changes: the static data is served once (`Board.json`).
        #expect(squares.allSatisfy { Set($0.keys) == ["houses", "index", "mortgaged", "owner"] })
        let bank = obj["bank"] as! [String: Any]
        #expect(bank["houses"] as? Int == 32 && bank["hotels"] as? Int == 12)
    }

    @Test func theStaticBoardIsJSONEncodersSortedKeysAndHoldsEverySquare() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        #expect(Board.json == String(decoding: try encoder.encode(Board.StaticBoard()), as: UTF8.self))
        let obj = try JSONSerialization.jsonObject(with: Data(Board.json.utf8)) as! [String: Any]
        let squares = obj["squares"] as! [[String: Any]]
        #expect(squares.count == 40 && obj["salary"] as? Int == 200 && obj["total_houses"] as? Int == 32)
        #expect(squares[39]["name"] as? String == "Boardwalk" && squares[39]["rents"] as? [Int] == [50, 200, 600, 1400, 1700, 2000])
        #expect(squares[37]["house_cost"] as? Int == 200 && squares[12]["mortgage"] as? Int == 75 && squares[0]["group"] is NSNull)
    }

    @Test func partialOptionsDecodeToDefaults() throws {
        let o = try JSONDecoder().decode(GameOptions.self, from: Data(#"{"starting_cash": 2000, "free_parking_jackpot": true}"#.utf8))
        #expect(o.startingCash == 2000 && o.freeParkingJackpot && o.auctions && o.evenBuild && o.maxPlayers == 8 && o.turnSeconds == nil)
        let empty = try JSONDecoder().decode(GameOptions.self, from: Data("{}".utf8))
        #expect(empty == GameOptions())
    }

    @Test func commandsUseTheWireNames() throws {
        let c = try JSONDecoder().decode(Command.self, from: Data(#"{"type":"trade_propose","to":"p2","give":{"cash":50,"properties":[1]},"get":{"jail_cards":1}}"#.utf8))
        #expect(c == .tradePropose(to: "p2", give: TradeOffer(cash: 50, properties: [1]), get: TradeOffer(jailCards: 1)))
        for cmd in [Command.roll, .endTurn, .bid(amount: 5), .build(square: 3), .liftMortgage(square: 5), .tradeAccept(trade: "t1"), .jailPay, .auctionTimeout] {
            let back = try JSONDecoder().decode(Command.self, from: JSONEncoder().encode(cmd))
            #expect(back == cmd)
        }
        let json = String(decoding: try JSONEncoder().encode(Command.endTurn), as: UTF8.self)
        #expect(json == #"{"type":"end_turn"}"#)
    }

    @Test func eventsEncodeATypeAndText() throws {
        var g = newGame(2)
        let ev = try g.run(.roll, "p1", dice: [4, 6])
        let obj = try JSONSerialization.jsonObject(with: JSONEncoder().encode(ev[0])) as! [String: Any]
        #expect(obj["type"] as? String == "rolled")
        #expect((obj["text"] as? String)?.isEmpty == false)
        #expect(obj["other"] is NSNull)
    }

    @Test func ruleViolationsHaveStableCodes() {
        var g = newGame(2)
        do {
            try g.run(.roll, "p2")
            Issue.record("expected a violation")
        } catch {
            #expect(error.code.rawValue == "not_your_turn")
            #expect(error.message.contains("turn"))
        }
    }
}
