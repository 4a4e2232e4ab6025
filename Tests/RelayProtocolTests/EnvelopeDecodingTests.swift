import Monopoly
import Testing
@testable import RelayProtocol

/// The envelope on `monopoly:{GAME}:cmd`: encoded from its type by the gateway, decoded once,
/// typed, by the authority. Redis input is hostile: what cannot be read is refused, answered
/// when it names its sender, and never traps.
@Suite struct EnvelopeDecodingTests {
    static let game = GameID(rawValue: "ABC234")!

    static func envelope(_ message: EnvelopeMessage) -> CommandEnvelope {
        CommandEnvelope(id: "gw1-7", gateway: "gw1", connection: "3", game: game, player: "p1", seat: nil, message: message)
    }

    static let messages: [(EnvelopeMessage, String)] = [
        (.create(name: "Ada", options: GameOptions(maxPlayers: 4)),
         #"{"name":"Ada","options":{"auction_seconds":15,"auctions":true,"double_salary_on_go":false,"even_build":true,"free_parking_jackpot":false,"max_players":4,"no_rent_in_jail":false,"shuffle_cards":true,"starting_cash":1500,"turn_limit":null,"turn_seconds":null},"type":"create"}"#),
        (.join(name: "Bob"), #"{"name":"Bob","type":"join"}"#),
        (.rejoin, #"{"type":"rejoin"}"#),
        (.leave, #"{"type":"leave"}"#),
        (.disconnect, #"{"type":"disconnect"}"#),
        (.chat(text: "hi \"you\""), #"{"text":"hi \"you\"","type":"chat"}"#),
        (.addBot, #"{"type":"add_bot"}"#),
        (.command(.bid(amount: 120)), #"{"amount":120,"type":"bid"}"#),
        (.command(.endTurn), #"{"type":"end_turn"}"#),
        (.command(.tradePropose(to: "p2", give: TradeOffer(cash: 5, properties: [1]), get: TradeOffer(jailCards: 1))),
         #"{"get":{"cash":0,"jail_cards":1,"properties":[]},"give":{"cash":5,"jail_cards":0,"properties":[1]},"to":"p2","type":"trade_propose"}"#),
    ]

    @Test(arguments: messages) func keepsTodaysWireShapeAndReadsItBackTyped(_ message: EnvelopeMessage, _ wire: String) throws {
        let text = WireJSON.encode(Self.envelope(message))
        #expect(text == #"{"conn":"3","game":"ABC234","gateway":"gw1","id":"gw1-7","msg":"# + wire + #","player":"p1","seat":null}"#)
        #expect(try CommandEnvelope.decode(Array(text.utf8)).get() == Self.envelope(message))
    }

    @Test func fieldsThatAreNotTheTypesAreNeverRead() throws {
        let text = #"{"conn":"3","game":"ABC234","gateway":"gw1","id":"gw1-7","player":"p1","seat":null,"#
            + #""x":{"y":[1,2,3]},"msg":{"type":"bid","amount":7,"player":"p9","z":[[[]]]}}"#
        #expect(try CommandEnvelope.decode(Array(text.utf8)).get() == Self.envelope(.command(.bid(amount: 7))))
    }

    static let header = #""conn":"3","game":"ABC234","gateway":"gw1","id":"gw1-7","player":"p1","seat":null"#
    static let answerable = EnvelopeError.Header(id: "gw1-7", gateway: "gw1", connection: "3", game: game)

    static let refused: [(String, String, String, EnvelopeError.Header?)] = [
        ("{" + header + #","msg":{"type":"bid","amount":"x"}}"#, "bad_request", #""msg.amount" must be an integer"#, answerable),
        ("{" + header + #","msg":{"type":"bid"}}"#, "bad_request", #"bid needs "msg.amount""#, answerable),
        ("{" + header + #","msg":{"type":"teleport"}}"#, "bad_request", #"unknown message type "teleport""#, answerable),
        ("{" + header + #","msg":{"type":"create","name":"A","options":{"max_players":"8"}}}"#, "invalid_options",
         "max_players must be an integer between 2 and 8", answerable),
        ("{" + header + #","msg":7}"#, "bad_request", #""msg" must be an object"#, answerable),
        ("{" + header + "}", "bad_request", #"the envelope needs "msg""#, answerable),
        (#"{"id":"gw1-7","gateway":"gw1","conn":"3","game":"*","msg":{"type":"roll"}}"#, "bad_request", #""game" is out of range"#, nil),
        (#"{"id":1,"msg":{"type":"roll"}}"#, "bad_request", #""id" must be a string"#, nil),
        ("{" + header + #","msg":{"type":"bid","amount":1e400}}"#, "bad_request", "a JSON number out of range: 1e400", nil),
        ("{" + header + #","msg":{"type":"create","name":"A","options":"# + String(repeating: "[", count: 40)
            + String(repeating: "]", count: 40) + "}}", "bad_request", "JSON nested deeper than 32 levels", nil),
        ("[]", "bad_request", #""" must be an object"#, nil),
        ("", "bad_request", "not valid JSON: a value expected at byte 0", nil),
    ]

    @Test(arguments: refused.indices) func refusesWhatItCannotReadAndNamesWhoToAnswer(_ row: Int) {
        let (text, code, message, replyTo) = Self.refused[row]
        let error = CommandEnvelope.decode(Array(text.utf8)).failure
        #expect(error?.code.rawValue == code)
        #expect(error?.message == message)
        #expect(error?.replyTo == replyTo)
    }
}
