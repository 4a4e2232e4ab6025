import Foundation
import Monopoly
import Testing
@testable import RelayProtocol

/// The gateway decodes each client message once, into its type: what it accepts, what it refuses
/// (with the code and the message the client sees), and that nothing else is forwarded.
@Suite struct TypedRequestTests {
    static let game = GameID(rawValue: "ABC234")!
    static let token = String(repeating: "0f", count: 16)

    static let decoded: [(String, ClientRequest.Kind)] = [
        (#"{"type":"lobby"}"#, .lobby),
        (#"{"type":"create","name":"Ada"}"#, .create(name: "Ada", options: GameOptions())),
        (#"{"type":"create","name":"Ada","options":null}"#, .create(name: "Ada", options: GameOptions())),
        (#"{"type":"create","name":"Ada","options":{"max_players":4,"turn_seconds":60,"auction_seconds":null,"colour":"red"}}"#,
         .create(name: "Ada", options: GameOptions(maxPlayers: 4, turnSeconds: 60, auctionSeconds: nil))),
        (#"{"type":"join","game":"ABC234","name":"  Bob  "}"#, .join(game: game, name: "Bob")),
        (#"{"type":"join","game":"ABC234","name":"Zoe\u0301"}"#, .join(game: game, name: "Zo\u{E9}")),
        (#"{"type":"spectate","game":"ABC234"}"#, .spectate(game: game)),
        (#"{"type":"rejoin","game":"ABC234","token":"\#(token)"}"#, .rejoin(game: game, token: token)),
        (#"{"type":"leave"}"#, .leave),
        (#"{"type":"add_bot"}"#, .addBot),
        (#"{"type":"chat","text":" hi there "}"#, .chat(text: "hi there")),
        (#"{"type":"start"}"#, .command(.start)),
        (#"{"type":"roll","dice":[6,6]}"#, .command(.roll)),
        (#"{"type":"bid","amount":120}"#, .command(.bid(amount: 120))),
        (#"{"type":"build","square":39}"#, .command(.build(square: 39))),
        (#"{"type":"end_turn"}"#, .command(.endTurn)),
        (#"{"type":"vote_skip","turn":7,"player":"p1"}"#, .command(.voteSkip(turn: 7))),  // only the gateway names the voter
        (#"{"type":"trade_propose","to":"p2","give":{"cash":10,"properties":[1,3]},"get":{"jail_cards":1}}"#,
         .command(.tradePropose(to: "p2", give: TradeOffer(cash: 10, properties: [1, 3]), get: TradeOffer(jailCards: 1)))),
        (#"{"type":"trade_accept","trade":"t1"}"#, .command(.tradeAccept(trade: "t1"))),
    ]

    @Test(arguments: decoded) func decodesEachTypeIntoItsCase(_ text: String, _ kind: ClientRequest.Kind) throws {
        #expect(try ClientRequest.parse(text).get().kind == kind)
    }

    /// Every command name and message type is written and read under one name (`Command.Name`,
    /// `MessageType`); a client gets `unknown_type` for those that are not its to send.
    @Test func everyTypeIsWrittenAndReadUnderOneName() throws {
        let commands: [Command] = [
            .start, .roll, .buy, .decline, .bid(amount: 1), .pass, .endTurn, .build(square: 1), .sell(square: 1), .mortgage(square: 1),
            .unmortgage(square: 1), .liftMortgage(square: 1), .keepMortgage(square: 1), .jailPay, .jailCard,
            .tradePropose(to: "p2", give: TradeOffer(cash: 1), get: TradeOffer()), .tradeAccept(trade: "t1"), .tradeReject(trade: "t1"),
            .bankrupt, .resign, .auctionTimeout, .voteSkip(turn: 1),
        ]
        #expect(Set(commands.map(\.name)) == Set(Command.Name.allCases))
        for command in commands {
            let text = WireJSON.encode(EnvelopeMessage.command(command))
            #expect(text.hasPrefix(#"{"#) && text.contains(#""type":"\#(command.type)""#), "\(text)")
            #expect(try WireJSON.decode(EnvelopeMessage.self, from: text) == .command(command))
            if command.isSystem || command == .resign {
                #expect(ClientRequest.parse(text).failure?.code == .unknownType, "\(text)")
            } else {
                #expect(try ClientRequest.parse(text).get().kind == .command(command), "\(text)")
            }
        }
        let messages: [EnvelopeMessage] = [.create(name: "Ada", options: GameOptions()), .join(name: "Ada"), .rejoin, .leave, .disconnect,
                                           .chat(text: "hi"), .addBot]
        for message in messages {
            #expect(try WireJSON.decode(EnvelopeMessage.self, from: WireJSON.encode(message)) == message)
        }
        #expect(Set(messages.map(\.type)) == Set(MessageType.allCases.map(\.rawValue)).subtracting(["lobby", "spectate"]))
        #expect(ClientRequest.parse(#"{"type":"disconnect"}"#).failure?.code == .unknownType)
        #expect(Set(MessageType.allCases.map(\.rawValue)).isDisjoint(with: Command.Name.allCases.map(\.rawValue)))
    }

    /// `patches` opts a connection in or out of patch messages, on the messages that enter a game or the lobby.
    @Test func patchesIsABooleanOnTheMessagesThatEnterAGame() throws {
        for type in [#""lobby""#, #""spectate","game":"ABC234""#, #""join","game":"ABC234","name":"Bo""#,
                     #""rejoin","game":"ABC234","token":"\#(Self.token)""#, #""create","name":"Bo""#] {
            #expect(try ClientRequest.parse(#"{"type":\#(type),"patches":true}"#).get().patches == true)
            #expect(try ClientRequest.parse(#"{"type":\#(type),"patches":false}"#).get().patches == false)
            #expect(try ClientRequest.parse(#"{"type":\#(type),"patches":null}"#).get().patches == nil)
            #expect(try ClientRequest.parse(#"{"type":\#(type)}"#).get().patches == nil)
            for bad in [#""yes""#, "1", "[true]", "{}"] {
                guard case .failure(let error) = ClientRequest.parse(#"{"type":\#(type),"patches":\#(bad),"id":5}"#) else {
                    Issue.record("patches \(bad) accepted on \(type)")
                    continue
                }
                #expect(error.code == .badRequest && error.message == #""patches" must be a boolean"# && error.re == .number(5))
            }
        }
        // Elsewhere it is a field the type does not name: dropped, like any other.
        #expect(try ClientRequest.parse(#"{"type":"roll","patches":"yes"}"#).get() == ClientRequest(kind: .command(.roll)))
    }

    static let refused: [(String, ErrorCode, String)] = [
        // Shape and syntax: refused before any decoding.
        (#"{"type":"lobby","x":"# + String(repeating: "[", count: 33) + String(repeating: "]", count: 33) + "}",
         .badRequest, "JSON nested deeper than 32 levels"),
        (#"{"type":"create","name":"Ada","options":{"a":"# + String(repeating: "[", count: 31) + String(repeating: "]", count: 31) + "}}",
         .badRequest, "JSON nested deeper than 32 levels"),
        (#"{"type":"bid","amount":1"#, .invalidJSON, "not valid JSON: the text ends inside a container at byte 24"),
        ("[]", .invalidJSON, "the message is not a JSON object"),
        // Types.
        (#"{"type":5}"#, .badRequest, #"the message has no string "type""#),
        (#"{"type":"teleport"}"#, .unknownType, #"unknown message type "teleport""#),
        (#"{"type":"resign"}"#, .unknownType, #"unknown message type "resign""#),
        (#"{"type":"auction_timeout"}"#, .unknownType, #"unknown message type "auction_timeout""#),
        (#"{"type":""# + String(repeating: "x", count: 100) + #""}"#, .unknownType,
         #"unknown message type ""# + String(repeating: "x", count: 32) + #"…""#),
        // Wrong field types name the field.
        (#"{"type":"bid","amount":"120"}"#, .badRequest, #""amount" must be an integer"#),
        (#"{"type":"bid","amount":12.5}"#, .badRequest, #""amount" must be an integer"#),
        (#"{"type":"bid","amount":10000000000000000}"#, .badRequest, #""amount" is out of range"#),
        (#"{"type":"bid","amount":1e400}"#, .badRequest, "a JSON number out of range: 1e400"),
        (#"{"type":"bid"}"#, .badRequest, #"bid needs "amount""#),
        (#"{"type":"vote_skip"}"#, .badRequest, #"vote_skip needs "turn""#),
        (#"{"type":"vote_skip","turn":"7"}"#, .badRequest, #""turn" must be an integer"#),
        (#"{"type":"vote_skip","turn":null}"#, .badRequest, #""turn" must be an integer"#),
        (#"{"type":"vote_skip","turn":1.5}"#, .badRequest, #""turn" must be an integer"#),
        (#"{"type":"vote_skip","turn":1e300}"#, .badRequest, #""turn" is out of range"#),
        (#"{"type":"build","square":null}"#, .badRequest, #""square" must be an integer"#),
        (#"{"type":"trade_propose","to":"p2","give":{"properties":[1,"x"]}}"#, .badRequest, #""give.properties[1]" must be an integer"#),
        (#"{"type":"trade_propose","to":"p2","give":[]}"#, .badRequest, #""give" must be an object"#),
        (#"{"type":"create","name":7}"#, .badRequest, #""name" must be a string"#),
        (#"{"type":"create"}"#, .badRequest, #"create needs "name""#),
        (#"{"type":"chat","text":["hi"]}"#, .badRequest, #""text" must be a string"#),
        (#"{"type":"create","name":"Ada","options":3}"#, .badRequest, #""options" must be an object"#),
        // Options: read and validated at the gateway, the field named.
        (#"{"type":"create","name":"Ada","options":{"turn_seconds":"soon"}}"#, .invalidOptions, "turn_seconds must be an integer between 10 and 3600"),
        (#"{"type":"create","name":"Ada","options":{"turn_seconds":1e400}}"#, .badRequest, "a JSON number out of range: 1e400"),
        (#"{"type":"create","name":"Ada","options":{"turn_seconds":10000000000000000}}"#, .invalidOptions, "turn_seconds must be an integer between 10 and 3600"),
        (#"{"type":"create","name":"Ada","options":{"turn_seconds":3601}}"#, .invalidOptions, "turn_seconds must be between 10 and 3600"),
        (#"{"type":"create","name":"Ada","options":{"auctions":"yes"}}"#, .invalidOptions, "auctions must be true or false"),
        (#"{"type":"create","name":"Ada","options":{"max_players":9}}"#, .invalidOptions, "max_players must be between 2 and 8"),
        // Games and tokens.
        (#"{"type":"join","game":"abc","name":"Bob"}"#, .invalidGame, #"join needs a valid "game" code"#),
        (#"{"type":"rejoin","game":"ABC234","token":7}"#, .badRequest, #"rejoin needs the "token" received in welcome"#),
        // Text: the limit is named.
        (#"{"type":"create","name":"a"# + String(repeating: #"\u0301"#, count: 10_000) + #""}"#, .badRequest,
         "a name is at most 24 characters and 64 bytes"),
        (#"{"type":"create","name":"a"# + String(repeating: "\u{0301}", count: 20_000) + #""}"#, .badRequest,
         "a name is at most 24 characters and 64 bytes"),
        (#"{"type":"join","game":"ABC234","name":"\u202Eevil"}"#, .badRequest,
         "a name cannot contain U+202E (no control, format, private-use, unassigned or separator characters, invisible characters, tabs or line breaks)"),
        (#"{"type":"chat","text":""# + String(repeating: "y", count: 1025) + #""}"#, .badRequest,
         "a chat line is at most 300 characters and 1024 bytes"),
        (#"{"type":"chat","text":"  "}"#, .badRequest, "a chat line cannot be empty"),
    ]

    @Test(arguments: refused.indices) func refusesWithACodeAndAMessageNamingTheField(_ row: Int) {
        let (text, code, message) = Self.refused[row]
        let error = ClientRequest.parse(text).failure
        #expect(error?.code == code, "\(text.prefix(80))")
        #expect(error?.message == message, "\(text.prefix(80))")
    }

    static let ids: [(String, JSONValue?)] = [
        (#""id":null,"#, .null),
        ("", .null),
        (#""id":"abc-1","#, .string("abc-1")),
        (#""id":""# + String(repeating: "i", count: 64) + #"","#, .string(String(repeating: "i", count: 64))),
        (#""id":""# + String(repeating: "i", count: 65) + #"","#, nil),
        (#""id":""# + String(repeating: "é", count: 33) + #"","#, nil),
        (#""id":42,"#, .number(42)),
        (#""id":-9007199254740991,"#, .number(-9_007_199_254_740_991)),
        (#""id":9007199254740992,"#, nil),
        (#""id":10000000000000000,"#, nil),
        (#""id":1.5,"#, nil),
        (#""id":true,"#, nil),
        (#""id":{"a":1},"#, nil),
        (#""id":[1],"#, nil),
    ]

    @Test(arguments: ids) func theIdIsNullAnIntegerOrAShortString(_ field: String, _ expected: JSONValue?) {
        let result = ClientRequest.parse("{" + field + #""type":"lobby"}"#)
        if let expected {
            #expect((try? result.get())?.id == expected)
        } else {
            #expect(result.failure?.code == .badRequest)
            #expect(result.failure?.message == #""id" must be null, an integer or a string of at most 64 bytes"#)
            #expect(result.failure?.re == .null)
        }
    }

    @Test func laterErrorsEchoTheId() {
        #expect(ClientRequest.parse(#"{"id":"r1","type":"bid","amount":"x"}"#).failure?.re == .string("r1"))
        #expect(ClientRequest.parse(#"{"id":9,"type":"create","name":""}"#).failure?.re == .number(9))
    }

    @Test func onlyKnownFieldsAreForwarded() throws {
        let text = #"{"type":"create","name":"Ada","options":{"max_players":3,"evil":{"x":[1,2]}},"player":"p9","__proto__":{}}"#
        guard case .create(let name, let options) = try ClientRequest.parse(text).get().kind else {
            Issue.record("not a create")
            return
        }
        let forwarded = WireJSON.encode(EnvelopeMessage.create(name: name, options: options))
        #expect(!forwarded.contains("evil") && !forwarded.contains("p9") && !forwarded.contains("proto"))
        let bid = WireJSON.encode(EnvelopeMessage.command(.bid(amount: 120)))
        #expect(bid == #"{"amount":120,"type":"bid"}"#)
    }

    @Test func integersADoubleHoldsExactlyAreTakenLargerOnesRefusedNeverTrapped() throws {
        let request = try ClientRequest.parse(#"{"type":"bid","amount":9007199254740991}"#).get()
        #expect(request.kind == .command(.bid(amount: 9_007_199_254_740_991)))
        #expect(ClientRequest.parse(#"{"type":"bid","amount":-99999999999999999999}"#).failure?.message == #""amount" is out of range"#)
        #expect(ClientRequest.parse(#"{"type":"bid","amount":-0}"#).map(\.kind) == .success(.command(.bid(amount: 0))))
    }
}
