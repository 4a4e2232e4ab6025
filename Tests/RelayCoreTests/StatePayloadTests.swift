import RelayProtocol
import Testing
@testable import RelayCore

/// What the gateway reads of a payload on a state channel: a state's version, chat, or a state
/// refused for an epoch that is not one.
@Suite struct StatePayloadTests {
    let game = GameID(rawValue: "ABC234")!

    func read(_ text: String) -> StatePayload.Reading { StatePayload.read(Array(text.utf8), game: game) }

    @Test func aStateIsReadWithItsEpochChatIsNotAStateAndABadEpochIsRefused() {
        let epoch = StateEpoch(rawValue: 1_765_000_000_250)!
        #expect(read(#"{"cmd":{"id":null,"player":null,"type":"bot"},"epoch":1765000000250,"events":[],"game":"ABC234","seq":3,"state":{},"type":"state"}"#)
                == .state(StateVersion(epoch: epoch, seq: 3)))
        #expect(read(#"{"cmd":null,"events":[],"game":"ABC234","seq":3,"state":{},"type":"state"}"#) == .state(StateVersion(epoch: .zero, seq: 3)))
        // Not in the authority's form (spaces): decoded.
        #expect(read(#"{"type": "state", "game": "ABC234", "seq": 4, "epoch": 1765000000250}"#) == .state(StateVersion(epoch: epoch, seq: 4)))
        #expect(read(#"{"type": "state", "game": "ABC234", "seq": 4, "epoch": null}"#) == .state(StateVersion(epoch: .zero, seq: 4)))
        #expect(read(#"{"game":"ABC234","name":"Ada","player":"p1","text":"hi","type":"chat"}"#) == .other)
        for bad in [#"{"cmd":null,"epoch":-1,"events":[],"game":"ABC234","seq":3}"#,
                    #"{"cmd":null,"epoch":"7","events":[],"game":"ABC234","seq":3}"#,
                    #"{"cmd":null,"epoch":9007199254740992,"events":[],"game":"ABC234","seq":3}"#,
                    #"{"cmd":null,"epoch":1.5,"events":[],"game":"ABC234","seq":3}"#] {
            #expect(read(bad) == .refused, "\(bad)")
        }
        // 1e3 is the integer 1000 as JSON (and as JavaScript reads it).
        #expect(read(#"{"cmd":null,"epoch":1e3,"events":[],"game":"ABC234","seq":3}"#) == .state(StateVersion(epoch: StateEpoch(rawValue: 1000)!, seq: 3)))
    }
}
