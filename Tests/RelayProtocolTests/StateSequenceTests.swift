import RelayProtocol
import Testing

/// Gateways and the load generator read a state's seq without parsing it.
@Suite struct StateSequenceTests {
    let sequence = StateSequence(game: "ABC234")

    @Test func findsTheTopLevelSeqAfterTheGame() {
        let state = #"{"cmd":{"id":"g-1","player":"p1","type":"roll"},"events":[],"game":"ABC234","seq":1207,"state":{"auction":{"seq":3}},"type":"state"}"#
        #expect(sequence.find(in: state) == 1207)
        #expect(sequence.find(in: Array(state.utf8)) == 1207)
    }

    @Test func isNotFooledByTextInsideStrings() {
        // Inside a JSON string the quotes are escaped, so the marker cannot match there; a `g`
        // before the real marker is skipped.
        let state = #"{"cmd":null,"events":[{"text":"the \"game\":\"ABC234\",\"seq\":9 gag"}],"game":"ABC234","seq":42,"state":{}}"#
        #expect(sequence.find(in: state) == 42)
    }

    @Test func ignoresOtherMessagesAndOtherGames() {
        #expect(sequence.find(in: #"{"game":"ABC234","name":"Ada","player":"p1","text":"hi","type":"chat"}"#) == nil)
        #expect(sequence.find(in: #"{"cmd":null,"events":[],"game":"ZZZ999","seq":3}"#) == nil)
        #expect(sequence.find(in: #"{"cmd":null,"events":[],"game":"ABC234","seq":}"#) == nil)
        #expect(sequence.find(in: #"{"cmd":null,"events":[],"game":"ABC234","seq":"#) == nil)
        #expect(sequence.find(in: "") == nil)
        #expect(sequence.find(in: "g") == nil)
    }

    @Test func anAbsurdlyLongNumberDoesNotOverflow() {
        let state = #"{"game":"ABC234","seq":"# + String(repeating: "9", count: 40) + "}"
        #expect(sequence.find(in: state) != nil)
    }
}
