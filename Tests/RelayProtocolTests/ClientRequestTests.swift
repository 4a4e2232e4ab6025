import Foundation
import Monopoly
import Testing
@testable import RelayProtocol

@Suite struct ClientRequestTests {
    @Test func parsesJoinWithGameAndName() throws {
        let request = try ClientRequest.parse(#"{"type":"join","game":"ABC234","name":" Ada ","id":7}"#).get()
        #expect(request.kind == .join(game: GameID(rawValue: "ABC234")!, name: "Ada"))
        #expect(request.id == .number(7))
    }

    @Test func rejectsInvalidJSONWithoutClosing() {
        #expect(ClientRequest.parse("{not json").failure?.code == .invalidJSON)
        #expect(ClientRequest.parse("[1,2]").failure?.code == .invalidJSON)
        #expect(ClientRequest.parse("\"roll\"").failure?.code == .invalidJSON)
    }

    @Test func refusesDeepNestingBeforeDecodingAnything() {
        let deep = #"{"type":"lobby","x":"# + String(repeating: "[", count: 500) + String(repeating: "]", count: 500) + "}"
        let error = ClientRequest.parse(deep).failure
        #expect(error?.code == .badRequest)
        #expect(error?.message == "JSON nested deeper than 32 levels")
    }

    @Test func rejectsUnknownTypeAndEchoesId() {
        let error = ClientRequest.parse(#"{"type":"teleport","id":"x1"}"#).failure
        #expect(error?.code == .unknownType)
        #expect(error?.re == .string("x1"))
    }

    @Test func rejectsGameIdsThatCouldEscapeAChannelName() {
        for game in ["*", "AB}:cmd", "ab", "", "A B", "ABCDEFGHJKMNPQRST9", "{X}"] {
            let text = WireJSON.encode(JSONValue.object(["type": .string("spectate"), "game": .string(game)]))
            #expect(ClientRequest.parse(text).failure?.code == .invalidGame, "\(game)")
        }
    }

    @Test func stripsPlayerAndGameFromCommandsSoIdentityComesFromTheConnection() throws {
        let request = try ClientRequest.parse(#"{"type":"bid","amount":50,"player":"p2","game":"ZZZZZZ"}"#).get()
        #expect(request.kind == .command(.bid(amount: 50)))
    }

    @Test func rejectsNamesThatAreEmptyTooLongOrControlCharacters() {
        #expect(ClientRequest.parse(#"{"type":"create","name":"   "}"#).failure?.code == .badRequest)
        #expect(ClientRequest.parse(#"{"type":"create","name":"\#(String(repeating: "x", count: 25))"}"#).failure?.code == .badRequest)
        #expect(ClientRequest.parse(#"{"type":"create","name":"a\u0007b"}"#).failure?.code == .badRequest)
        #expect(ClientRequest.parse(#"{"type":"create","name":"Bob","options":3}"#).failure?.code == .badRequest)
    }

    @Test func rejoinNeedsAWellFormedToken() throws {
        #expect(ClientRequest.parse(#"{"type":"rejoin","game":"ABC234","token":"short"}"#).failure?.code == .badRequest)
        let token = String(repeating: "ab", count: 16)
        let request = try ClientRequest.parse(#"{"type":"rejoin","game":"ABC234","token":"\#(token)"}"#).get()
        #expect(request.kind == .rejoin(game: GameID(rawValue: "ABC234")!, token: token))
    }

    @Test func chatTextIsBounded() {
        #expect(ClientRequest.parse(#"{"type":"chat","text":""}"#).failure?.code == .badRequest)
        #expect((try? ClientRequest.parse(#"{"type":"chat","text":"hi"}"#).get()) != nil)
    }
}

@Suite struct WireFormatTests {
    @Test func envelopeEncodesMissingValuesAsNull() throws {
        let envelope = CommandEnvelope(id: "gw1-1", gateway: "gw1", connection: "c1", game: GameID(rawValue: "ABC234")!,
                                       message: .command(.roll))
        let text = WireJSON.encode(envelope)
        #expect(text == #"{"conn":"c1","game":"ABC234","gateway":"gw1","id":"gw1-1","msg":{"type":"roll"},"player":null,"seat":null}"#)
        #expect(try CommandEnvelope.decode(Array(text.utf8)).get() == envelope)
    }

    @Test func theAuthorityChecksAnEnvelopesShapeBeforeDecodingIt() {
        let deep = #"{"conn":"c1","game":"ABC234","gateway":"gw1","id":"gw1-1","msg":{"type":"create","options":"#
            + String(repeating: "[", count: 500) + String(repeating: "]", count: 500) + #"},"player":null,"seat":null}"#
        #expect(CommandEnvelope.decode(Array(deep.utf8)).failure?.message == "JSON nested deeper than 32 levels")
        #expect(CommandEnvelope.decode(Array("{".utf8)).failure != nil)
        #expect(CommandEnvelope.decode(Array(#"{"id":1}"#.utf8)).failure != nil)
    }

    @Test func channelNamesCarryTheGameInAHashTag() {
        let game = GameID(rawValue: "ABC234")!
        #expect(RedisChannels.state(game) == "monopoly:{ABC234}:state")
        #expect(RedisChannels.replies(gateway: "gw1") == "monopoly:gateway:{gw1}:reply")
    }

    @Test func aStateChannelNamesItsGameAndNoOtherNameDoes() {
        let game = GameID(rawValue: "ABC234")!
        #expect(RedisChannels.game(ofStateChannel: RedisChannels.state(game)) == game)
        for other in [RedisChannels.shardCommands(GameShard(of: game)), RedisChannels.replies(gateway: "gw1"), RedisChannels.lobby, RedisChannels.lastStateKey(game),
                      "monopoly:{}:state", "monopoly:{abc234}:state", "monopoly:{A*}:state", "monopoly:{ABC234}:state:x", "x:monopoly:{ABC234}:state",
                      "monopoly:{" + String(repeating: "A", count: GameID.maximumLength + 1) + "}:state"] {
            #expect(RedisChannels.game(ofStateChannel: other) == nil, "\(other)")
        }
    }

    @Test func serverErrorAlwaysCarriesRe() {
        #expect(ServerMessage.error(code: .gameExists, message: "y", re: .null) == #"{"code":"game_exists","message":"y","re":null,"type":"error"}"#)
    }

    @Test func welcomeAckAndLobbyCarryTheServerTimeToTheMillisecond() throws {
        let game = GameID(rawValue: "ABC234")!
        #expect(ServerMessage.welcome(game: game, player: "p1", token: "t", re: .number(1), serverTime: 1_764_000_000.125)
            == #"{"game":"ABC234","player":"p1","re":1,"server_time":1764000000.125,"token":"t","type":"welcome"}"#)
        #expect(ServerMessage.ack(game: game, seq: 3, re: .null, serverTime: 1_764_000_000.5)
            == #"{"game":"ABC234","re":null,"seq":3,"server_time":1764000000.5,"type":"ack"}"#)
        #expect(ServerMessage.lobby(games: [], serverTime: 1_764_000_000.25)
            == #"{"games":[],"re":null,"server_time":1764000000.25,"type":"lobby"}"#)
        // By default: now, rounded to the millisecond.
        let before = Date().timeIntervalSince1970
        let sent = try WireJSON.decode(JSONValue.self, from: ServerMessage.welcome(game: game, player: nil, token: nil, re: .null))
        guard case .object(let fields) = sent, case .number(let serverTime)? = fields["server_time"] else {
            Issue.record("no server_time in \(sent)")
            return
        }
        #expect(abs(serverTime - before) < 1)
        #expect(abs((serverTime * 1000).rounded() - serverTime * 1000) < 0.01)
    }

    @Test func generatedGameIdsAreValid() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<100 { #expect(GameID(rawValue: GameID.random(using: &generator).rawValue) != nil) }
    }
}

extension Result {
    var failure: Failure? { if case .failure(let error) = self { return error }; return nil }
}
