import Foundation
import Testing
@testable import Authority
import Monopoly
import RelayProtocol

/// What the authority writes for every command besides the state: the command log's `msg`, the
/// replies and the in-flight mark. Hand-written (`JSONWritable`), so each must be byte for byte
/// what `JSONEncoder` makes of its `Encodable` conformance (what gateways and operators read).
@Suite struct CommandJSONTests {
    static let offer = TradeOffer(cash: 150, properties: [1, 3, 39], jailCards: 1)
    static let commands: [Command] = [
        .start, .roll, .buy, .decline, .bid(amount: 120), .bid(amount: -1), .pass, .endTurn, .build(square: 3), .sell(square: 39),
        .mortgage(square: 5), .unmortgage(square: 6), .liftMortgage(square: 11), .keepMortgage(square: 12), .jailPay, .jailCard,
        .tradePropose(to: "p2", give: offer, get: TradeOffer()), .tradePropose(to: "a \"b\"", give: TradeOffer(), get: offer),
        .tradeAccept(trade: "t1"), .tradeReject(trade: "t\u{1}"), .bankrupt, .resign, .auctionTimeout, .voteSkip(turn: 17),
    ]

    @Test func everyCommandIsWhatJSONEncoderWrites() {
        // Every command there is, at least once.
        #expect(Set(Self.commands.map(\.name)) == Set(Command.Name.allCases))
        for command in Self.commands {
            #expect(JSONOutput.encode(command) == WireJSON.encodeWithFoundation(command))
        }
    }

    @Test func everyEnvelopeMessageIsWhatJSONEncoderWrites() {
        var options = GameOptions()
        options.turnSeconds = 30
        options.auctionSeconds = nil
        let messages: [EnvelopeMessage] = [
            .create(name: "Zoë \\ 東京", options: GameOptions()), .create(name: "a/b", options: options), .join(name: "Bob \"B\""),
            .rejoin, .leave, .disconnect, .chat(text: "hi\nthere"), .addBot,
        ] + Self.commands.map(EnvelopeMessage.command)
        for message in messages {
            #expect(JSONOutput.encode(message) == WireJSON.encodeWithFoundation(message))
        }
    }

    @Test func repliesAndTheInFlightMarkAreWhatJSONEncoderWrites() {
        let game = GameID(rawValue: "ABC234")!
        let replies = [
            AuthorityReply(kind: .ack, command: "gw-1-7", connection: "12", game: game, seq: 42),
            AuthorityReply(kind: .ack, command: "gw-1-8", connection: "12", game: game, seq: 43, epoch: StateEpoch(rawValue: 1_765_000_000_000)),
            AuthorityReply(kind: .welcome, command: nil, connection: "0", game: game, player: "p3"),
            AuthorityReply(kind: .error, command: "x\"y", connection: "9", game: game, code: .notYourTurn, message: "not your turn\t!"),
            AuthorityReply(kind: .revoke, command: nil, connection: "3", game: game, seq: nil, player: "p1", code: .authorityUnavailable, message: ""),
        ]
        for reply in replies {
            #expect(JSONOutput.encode(reply) == WireJSON.encodeWithFoundation(reply))
        }
        for mark in [InFlight(command: "roll by p1 (command gw-1-7)", process: "host-12-abc", crashes: 0),
                     InFlight(command: "bot \"x\"", process: "", crashes: 2)] {
            #expect(JSONOutput.encode(mark) == WireJSON.encodeWithFoundation(mark))
        }
    }

    /// The command log's digest of each state: `sha256sum`'s lowercase hex (FIPS 180-2's vectors).
    @Test func theCommandLogsDigestIsSHA256InLowercaseHex() {
        #expect(GameLogEntry.digest(of: "") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(GameLogEntry.digest(of: "abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(GameLogEntry.digest(of: "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }
}

