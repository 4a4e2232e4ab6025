import RelayProtocol
import Testing
@testable import RelayCore

/// `patches` on any request takes effect at once (README, "State patches"), also for a connection
/// already in a game: before, the choice was read only when it entered the game, so `false` sent
/// on `lobby` left a member on patches.
@Suite struct PatchChoiceTests {
    /// Seat connection 1 asking `seated` for patches, send `then` in the game, and deliver
    /// state 2 with its patch: who gets the patch and who the state whole.
    @Test(arguments: [
        (true, #"{"type":"lobby","patches":false}"#, "broadcast GAME1 s2 to [1]"),
        (false, #"{"type":"lobby","patches":true}"#, "broadcast GAME1 s2 to [1]"),  // the chain starts at the next state
        (true, #"{"type":"lobby"}"#, "broadcast GAME1 patch p2 (whole s2) to [1]"),
        (true, #"{"type":"lobby","patches":true}"#, "broadcast GAME1 patch p2 (whole s2) to [1]"),
        (false, #"{"type":"lobby"}"#, "broadcast GAME1 s2 to [1]"),
    ])
    func aChoiceSentInAGameAppliesToItsNextStates(seated: Bool, then: String, delivery: String) {
        var harness = Harness()
        harness.open(1)
        let actions = harness.send(1, #"{"type":"create","name":"Ann","patches":\#(seated)}"#)
        let game = String(actions[0].dropFirst("subscribe ".count))
        let command = String(harness.on(.subscribed(Harness.game(game)))[0].dropFirst("schedule ".count))
        harness.state(game, seq: 1)
        harness.reply(.welcome, command, to: 1, game: game, player: "p1")
        harness.send(1, then)
        #expect(patched(&harness, game, seq: 2) == [delivery])
        // A member that turned patches on gets the one after.
        if then.contains(#""patches":true"#) {
            #expect(patched(&harness, game, seq: 3) == ["broadcast GAME1 patch p3 (whole s3) to [1]"])
        }
    }

    private func patched(_ harness: inout Harness, _ game: String, seq: Int) -> [String] {
        let header = StatePatch.Header(seq: seq, base: seq - 1)
        harness.on(.state(StateArrival(game: Harness.game(game), seq: nil, frame: "p\(seq)", payload: [], patch: header)))
        return harness.state(game, seq: seq)
    }
}
