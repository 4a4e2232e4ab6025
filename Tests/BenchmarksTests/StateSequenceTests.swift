@testable import Benchmarks
import Testing

/// The spectators' shortcut to a state's seq (they never parse the JSON).
@Suite struct StateSequenceTests {
    let marker = GameClient.seqMarker(game: "ABC234")

    @Test func findsTheTopLevelSeqAfterTheGame() {
        let state = #"{"cmd":{"id":"g-1","player":"p1","type":"roll"},"events":[],"game":"ABC234","seq":1207,"state":{}}"#
        #expect(GameClient.stateSeq(state, marker: marker) == 1207)
        #expect(GameClient.stateSeq(state, game: "ABC234") == 1207)
    }

    @Test func isNotFooledByTextInsideEvents() {
        // Inside a JSON string the quotes are escaped, so the marker cannot match there; a `g`
        // before the real marker is skipped.
        let state = #"{"cmd":null,"events":[{"text":"the \"game\":\"ABC234\",\"seq\":9 gag"}],"game":"ABC234","seq":42,"state":{}}"#
        #expect(GameClient.stateSeq(state, marker: marker) == 42)
    }

    @Test func ignoresOtherMessagesAndOtherGames() {
        #expect(GameClient.stateSeq(#"{"game":"ABC234","re":"s","type":"welcome"}"#, marker: marker) == nil)
        #expect(GameClient.stateSeq(#"{"cmd":null,"events":[],"game":"ZZZ999","seq":3}"#, marker: marker) == nil)
        #expect(GameClient.stateSeq(#"{"cmd":null,"events":[],"game":"ABC234","seq":}"#, marker: marker) == nil)
        #expect(GameClient.stateSeq(#"{"cmd""#, marker: marker) == nil)
    }
}
