import Testing
@testable import Authority
@testable import RelayProtocol

/// The authority dispatches an envelope only on the channel of the shard of the game it names.
@Suite struct CommandInputTests {
    static func payload(game: String, msg: String = #"{"type":"create","name":"Ada"}"#) -> [UInt8] {
        Array(#"{"id":"gw1-7","gateway":"gw1","conn":"3","game":"\#(game)","player":null,"seat":null,"msg":\#(msg)}"#.utf8)
    }

    @Test func anEnvelopeOnItsGamesShardChannelIsDispatched() {
        guard case .envelope(let envelope) = CommandInput(payload: Self.payload(game: "HOSTIL"), channel: "monopoly:shard:{1}:cmd") else {
            Issue.record("not dispatched")
            return
        }
        #expect(envelope.game.rawValue == "HOSTIL")
    }

    /// OTHER2 is in shard 16; HOSTIL in shard 1.
    @Test(arguments: ["monopoly:shard:{1}:cmd", "monopoly:{OTHER2}:cmd", "monopoly:shard:{016}:cmd", "monopoly:shard:{}:cmd",
                      "monopoly:shard:{" + String(repeating: "2", count: 60_000) + "}:cmd"])
    func anEnvelopeNamingAGameOfAnotherShardThanItsChannelIsDropped(_ channel: String) {
        guard case .dropped(let what) = CommandInput(payload: Self.payload(game: "OTHER2"), channel: channel) else {
            Issue.record("not dropped")
            return
        }
        #expect(what.hasPrefix("an envelope for game OTHER2 on monopoly:"))
        #expect(what.utf8.count < 200)
    }

    @Test func anUnreadableEnvelopeIsAnsweredOnlyOnItsGamesShardChannel() {
        let unreadable = Self.payload(game: "OTHER2", msg: #"{"type":"bid","amount":"x"}"#)
        guard case .refused(let error) = CommandInput(payload: unreadable, channel: "monopoly:shard:{16}:cmd") else {
            Issue.record("not refused")
            return
        }
        #expect(error.replyTo?.game.rawValue == "OTHER2")
        guard case .dropped = CommandInput(payload: unreadable, channel: "monopoly:shard:{1}:cmd") else {
            Issue.record("answered on another game's channel")
            return
        }
    }
}
