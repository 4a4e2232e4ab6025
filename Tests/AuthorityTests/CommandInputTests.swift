import Testing
@testable import Authority
@testable import RelayProtocol

/// The authority dispatches an envelope only on the channel of the game it names.
@Suite struct CommandInputTests {
    static func payload(game: String, msg: String = #"{"type":"create","name":"Ada"}"#) -> [UInt8] {
        Array(#"{"id":"gw1-7","gateway":"gw1","conn":"3","game":"\#(game)","player":null,"seat":null,"msg":\#(msg)}"#.utf8)
    }

    @Test func anEnvelopeOnItsGamesChannelIsDispatched() {
        guard case .envelope(let envelope) = CommandInput(payload: Self.payload(game: "HOSTIL"), channel: "monopoly:{HOSTIL}:cmd") else {
            Issue.record("not dispatched")
            return
        }
        #expect(envelope.game.rawValue == "HOSTIL")
    }

    @Test(arguments: ["monopoly:{HOSTIL}:cmd", "monopoly:{HOSTIL2}:cmd", "monopoly:{}:cmd", "monopoly:{" + String(repeating: "A", count: 60_000) + "}:cmd"])
    func anEnvelopeNamingAnotherGameThanItsChannelIsDropped(_ channel: String) {
        guard case .dropped(let what) = CommandInput(payload: Self.payload(game: "OTHER2"), channel: channel) else {
            Issue.record("not dropped")
            return
        }
        #expect(what.hasPrefix("an envelope for game OTHER2 on monopoly:{"))
        #expect(what.utf8.count < 200)
    }

    @Test func anUnreadableEnvelopeIsAnsweredOnlyOnItsGamesChannel() {
        let unreadable = Self.payload(game: "OTHER2", msg: #"{"type":"bid","amount":"x"}"#)
        guard case .refused(let error) = CommandInput(payload: unreadable, channel: "monopoly:{OTHER2}:cmd") else {
            Issue.record("not refused")
            return
        }
        #expect(error.replyTo?.game.rawValue == "OTHER2")
        guard case .dropped = CommandInput(payload: unreadable, channel: "monopoly:{HOSTIL}:cmd") else {
            Issue.record("answered on another game's channel")
            return
        }
    }
}
