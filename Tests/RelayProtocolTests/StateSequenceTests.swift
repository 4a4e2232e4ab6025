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

    /// A seq that is no Int is not read as one: before, 40 nines gave 922337203685477580 (the
    /// digits read until the next would overflow) and 12.5 gave 12.
    @Test func aNumberThatIsNoIntIsNotReadAsOne() {
        #expect(sequence.find(in: #"{"game":"ABC234","seq":"# + String(repeating: "9", count: 40) + "}") == nil)
        #expect(sequence.find(in: #"{"game":"ABC234","seq":9223372036854775808}"#) == nil)
        #expect(sequence.find(in: #"{"game":"ABC234","seq":12.5,"state":{}}"#) == nil)
        #expect(sequence.find(in: #"{"game":"ABC234","seq":12e3,"state":{}}"#) == nil)
        #expect(sequence.find(in: #"{"game":"ABC234","seq":-1,"state":{}}"#) == nil)
        #expect(sequence.find(in: #"{"game":"ABC234","seq":9223372036854775807}"#) == Int.max)
        #expect(sequence.find(in: #"{"game":"ABC234","seq":7}"#) == 7)
    }
}
