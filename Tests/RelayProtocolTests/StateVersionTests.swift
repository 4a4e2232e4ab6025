import Foundation
import RelayProtocol
import Testing

/// Epochs (README, "Epochs"): what a gateway does with a state, given the one it holds, and how
/// an epoch is read from what Redis, the authority or a log hands over.
@Suite struct StateVersionTests {
    static func v(_ seq: Int, _ epoch: Int) -> StateVersion { StateVersion(epoch: StateEpoch(rawValue: epoch)!, seq: seq) }

    static let rule: [(incoming: StateVersion, held: StateVersion?, expected: StateVersion.Succession)] = [
        (v(1, 0), nil, .next),  // the first state
        (v(9, 5), nil, .next),
        (v(8, 5), v(7, 5), .next),  // within an epoch: a higher seq
        (v(20, 5), v(7, 5), .next),  // a gap is still newer (the gateway missed some)
        (v(7, 5), v(7, 5), .stale),  // a duplicate
        (v(6, 5), v(7, 5), .stale),  // older
        (v(6, 6), v(7, 5), .newEpoch),  // a rollback: a lower seq in a newer epoch
        (v(1, 6), v(9_000, 5), .newEpoch),
        (v(7, 6), v(7, 5), .newEpoch),
        (v(8, 6), v(7, 5), .newEpoch),  // higher too: still a resync (nothing else may be kept)
        (v(8, 4), v(7, 5), .stale),  // an older epoch, whatever its seq
        (v(1, 1_765_000_000_000), v(50, 0), .newEpoch),  // the first state with an epoch after states without
        (v(50, 0), v(1, 1_765_000_000_000), .stale),
        (v(0, StateEpoch.maximum), v(Int.max, StateEpoch.maximum - 1), .newEpoch),
    ]

    @Test(arguments: rule.indices) func theAcceptRule(_ index: Int) {
        let (incoming, held, expected) = Self.rule[index]
        #expect(StateVersion.succession(of: incoming, after: held) == expected, "\(incoming) after \(held.map(\.description) ?? "nothing")")
    }

    @Test func anEpochIsAnIntegerWithinBoundsOrNone() {
        #expect(StateEpoch(rawValue: 0) == StateEpoch.zero)
        #expect(StateEpoch(rawValue: StateEpoch.maximum)?.rawValue == 9_007_199_254_740_991)
        #expect(StateEpoch(rawValue: StateEpoch.maximum + 1) == nil)
        #expect(StateEpoch(rawValue: -1) == nil)
        #expect(StateEpoch(rawValue: Int.min) == nil)
        // As JSON (a snapshot, a log line, a patch read by a client): absent and null are none.
        #expect(StateEpoch(json: nil) == StateEpoch.zero)
        #expect(StateEpoch(json: .null) == StateEpoch.zero)
        #expect(StateEpoch(json: .number(1_765_000_000_123))?.rawValue == 1_765_000_000_123)
        for bad: JSONValue in [.number(-1), .number(1.5), .number(9_007_199_254_740_992), .number(1e300), .number(-.infinity),
                               .string("12"), .bool(true), .array([]), .object([:])] {
            #expect(StateEpoch(json: bad) == nil, "\(bad)")
        }
    }

    @Test func aSnapshotsEpochIsDecodedWithinBounds() throws {
        struct Holder: Decodable { var epoch: StateEpoch? }
        #expect(try WireJSON.decode(Holder.self, from: #"{}"#).epoch == nil)
        #expect(try WireJSON.decode(Holder.self, from: #"{"epoch":42}"#).epoch?.rawValue == 42)
        for bad in [#"{"epoch":-1}"#, #"{"epoch":9007199254740992}"#, #"{"epoch":1.5}"#, #"{"epoch":"42"}"#] {
            #expect(throws: (any Error).self, "\(bad)") { try WireJSON.decode(Holder.self, from: bad) }
        }
    }

    /// The next epoch is the clock in milliseconds, and always above the one before: a clock set
    /// back, or a load within the same millisecond, still gives a newer epoch.
    @Test func theNextEpochIsTheClockAndAlwaysNewer() {
        let now = 1_765_000_000.25
        #expect(StateEpoch.next(after: .zero, now: now).rawValue == 1_765_000_000_250)
        let earlier = StateEpoch(rawValue: 1_765_000_000_250)!
        #expect(StateEpoch.next(after: earlier, now: now).rawValue == 1_765_000_000_251)
        let later = StateEpoch(rawValue: 1_800_000_000_000)!  // a clock that went back
        #expect(StateEpoch.next(after: later, now: now).rawValue == 1_800_000_000_001)
        // A clock that cannot be read is no reason to trap or to stand still.
        for clock in [Double.nan, -.infinity, .infinity, -5, 0, 1e300] {
            #expect(StateEpoch.next(after: earlier, now: clock) > earlier, "\(clock)")
        }
        let top = StateEpoch(rawValue: StateEpoch.maximum)!
        #expect(StateEpoch.next(after: top, now: now) == top)  // clamped: never past what clients read exactly
    }

    @Test func theEpochOfAStateIsFoundWithoutParsingIt() {
        func epoch(_ text: String) -> Int? { StateVersion.epoch(in: Array(text.utf8))?.rawValue }
        let state = #"{"cmd":{"id":"gw1-7","player":"p1","type":"roll"},"epoch":1765000000250,"events":[],"game":"ABC234","seq":3,"state":{},"type":"state"}"#
        #expect(epoch(state) == 1_765_000_000_250)
        #expect(epoch(#"{"cmd":{"id":null,"player":null,"type":"bot"},"events":[],"game":"ABC234","seq":3}"#) == 0)  // from before epochs
        // A command id that spells the key is inside a string: its quotes are escaped.
        #expect(epoch(#"{"cmd":{"id":"\"epoch\":9,","player":null,"type":"x"},"epoch":4,"events":[]}"#) == 4)
        for bad in [#"{"epoch":-1,"events":[]}"#, #"{"epoch":1.5,"events":[]}"#, #"{"epoch":"7","events":[]}"#,
                    #"{"epoch":9007199254740992,"events":[]}"#, #"{"epoch":"# + String(repeating: "9", count: 40) + "}",
                    #"{"epoch":"#, #"{"epoch":12"#] {
            #expect(epoch(bad) == nil, "\(bad)")
        }
    }

    @Test func aPatchNamesItsEpochAfterItsBase() throws {
        let game = GameID(rawValue: "ABC234")!
        let patch = StatePatch(game: game, seq: 8, base: 7, epoch: StateEpoch(rawValue: 1_765_000_000_250)!, ops: [])
        #expect(patch.text == #"{"type":"patch","game":"ABC234","seq":8,"base":7,"epoch":1765000000250,"ops":[]}"#)
        #expect(StatePatch.header(in: Array(patch.text.utf8), game: game) == StatePatch.Header(seq: 8, base: 7, epoch: patch.epoch))
        #expect(try StatePatch(json: WireJSON.decode(JSONValue.self, from: patch.text)) == patch)
        // Epoch none writes no field, and a patch without one (an older authority) is of epoch none.
        let old = #"{"type":"patch","game":"ABC234","seq":8,"base":7,"ops":[]}"#
        #expect(StatePatch(game: game, seq: 8, base: 7, ops: []).text == old)
        #expect(StatePatch.header(in: Array(old.utf8), game: game) == StatePatch.Header(seq: 8, base: 7))
        for bad in [#"{"type":"patch","game":"ABC234","seq":8,"base":7,"epoch":-3,"ops":[]}"#,
                    #"{"type":"patch","game":"ABC234","seq":8,"base":7,"epoch":9007199254740992,"ops":[]}"#,
                    #"{"type":"patch","game":"ABC234","seq":8,"base":7,"epoch":"1","ops":[]}"#,
                    #"{"type":"patch","game":"ABC234","seq":8,"base":7,"epoch":1}"#] {
            #expect(StatePatch.header(in: Array(bad.utf8), game: game) == nil, "\(bad)")
            #expect(StatePatch.looksLikePatch(Array(bad.utf8)))
        }
        #expect(throws: JSONPatch.Failure.self) {
            try StatePatch(json: WireJSON.decode(JSONValue.self, from: #"{"type":"patch","game":"ABC234","seq":8,"base":7,"epoch":-3,"ops":[]}"#))
        }
    }
}
