import RelayCore
import RelayProtocol
import Testing

/// An acknowledgement reaches its client after the state it names (README, "Acknowledgements"). On
/// a Redis Cluster the state (SPUBLISH on the game's node) and the ack (PUBLISH on the reply
/// channel's node) come on two connections and the ack can come first: it is held, with the replies
/// behind it, until the state (or a later one, or one of a newer epoch) went out (`ReplyHolds`).
/// No clock, no sleep: the hold's timer is an action and its firing an event.
@Suite struct StateWaitTests {
    static func limits(perConnection: Int = 16) -> RelayCoreConfiguration {
        RelayCoreConfiguration(gatewayID: "gw", stateWait: StateWaitLimits(perConnection: perConnection))
    }

    /// Seats connection 1 in a game at state 1 and publishes its `roll` (gw-2), heard.
    static func rolled(_ h: inout Harness, patches: Bool = false) -> String {
        h.open(1)
        let actions = h.send(1, #"{"type":"create","name":"Ann","patches":\#(patches)}"#)
        let game = String(actions[0].dropFirst("subscribe ".count))
        let command = String(h.on(.subscribed(Harness.game(game)))[0].dropFirst("schedule ".count))
        h.state(game, seq: 1)
        h.reply(.welcome, command, to: 1, game: game, player: "p1")
        #expect(h.send(1, #"{"type":"roll","id":8}"#) == ["schedule gw-2", "publish gw-2 roll \(game) as p1"])
        h.on(.published(command: "gw-2", receivers: 1, now: h.now))
        return game
    }

    @Test func anAckBeforeItsStateWaitsForItAndGoesOutRightAfterIt() {
        var h = Harness()
        let game = Self.rolled(&h)
        #expect(h.reply(.ack, "gw-2", to: 1, game: game, seq: 2)
                == ["cancel gw-2", "count acknowledgementHeld", "hold replies of 1 for 500 ms"])
        #expect(h.core.repliesWaitingForState == 1)
        // A duplicate of the state before (a resync racing the feed) releases nothing.
        #expect(h.state(game, seq: 1) == [])
        #expect(h.state(game, seq: 2) == ["broadcast \(game) s2 to [1]", "cancel hold of 1", "send 1 ack \(game) 2 re 8"])
        #expect(h.core.repliesWaitingForState == 0)
        // The timer, had it fired meanwhile, finds nothing.
        #expect(h.on(.timerFired(.stateWait(connection: 1))) == [])
    }

    @Test func anAckAfterItsStateGoesOutAtOnce() {
        var h = Harness()
        let game = Self.rolled(&h)
        #expect(h.state(game, seq: 2) == ["broadcast \(game) s2 to [1]"])
        #expect(h.reply(.ack, "gw-2", to: 1, game: game, seq: 2) == ["cancel gw-2", "send 1 ack \(game) 2 re 8"])
        // An ack naming an older state (a deduplicated copy answered with its first seq) too.
        h.send(1, #"{"type":"roll","id":8}"#)
        #expect(h.reply(.ack, "gw-3", to: 1, game: game, seq: 2) == ["cancel gw-3", "send 1 ack \(game) 2 re 8"])
        #expect(h.core.repliesWaitingForState == 0)
    }

    /// The state named was not fanned out here (lost, or another gateway's resync raced it) or
    /// was replaced by a newer one for a slow reader: a later state means the client is past it.
    @Test func aLaterStateReleasesTheAckAndConflationCountsAsSent() {
        var h = Harness()
        let game = Self.rolled(&h)
        h.reply(.ack, "gw-2", to: 1, game: game, seq: 2)
        #expect(h.state(game, seq: 3) == ["broadcast \(game) s3 to [1]", "cancel hold of 1", "send 1 ack \(game) 2 re 8"])
    }

    /// The authority reloaded the game (a new epoch): its first state may have a lower seq than
    /// the one the ack names, and replaces everything the client holds.
    @Test func aNewEpochReleasesTheAck() {
        var h = Harness()
        let game = Self.rolled(&h)
        h.reply(.ack, "gw-2", to: 1, game: game, seq: 2)
        // An older epoch's state is stale: dropped, nothing released.
        #expect(h.state(game, seq: 1, epoch: 0) == [])
        #expect(h.state(game, seq: 1, epoch: 1) == ["broadcast \(game) s1@1 to [1]", "cancel hold of 1", "send 1 ack \(game) 2 re 8"])
    }

    /// The ack is held in the epoch the game was in: a seq past it in that epoch releases it, a
    /// lower seq of the same epoch does not.
    @Test func anAckNamesASeqInTheEpochItCameIn() {
        var h = Harness()
        let game = Self.rolled(&h)
        h.state(game, seq: 1, epoch: 2)
        h.reply(.ack, "gw-2", to: 1, game: game, seq: 4)
        #expect(h.state(game, seq: 3, epoch: 2) == ["broadcast \(game) s3@2 to [1]"])
        #expect(h.state(game, seq: 4, epoch: 2) == ["broadcast \(game) s4@2 to [1]", "cancel hold of 1", "send 1 ack \(game) 4 re 8"])
    }

    /// An authority reload (a new epoch) raced the command after a Redis rollback: the ack names
    /// seq 2 of epoch 5 while the gateway sent seq 4 of epoch 2. Named by (epoch, seq), it waits for
    /// the new epoch's state; before, with no epoch in the reply, the older epoch's higher seq
    /// counted and the ack went out before the state its command made. An ack naming an older
    /// epoch than the one sent (the client holds a newer state) goes out at once.
    @Test func anAckNamingItsEpochWaitsForThatEpochsState() {
        var h = Harness()
        let game = Self.rolled(&h)
        h.state(game, seq: 4, epoch: 2)
        #expect(h.reply(.ack, "gw-2", to: 1, game: game, seq: 2, epoch: 5)
                == ["cancel gw-2", "count acknowledgementHeld", "hold replies of 1 for 500 ms"])
        #expect(h.state(game, seq: 5, epoch: 2) == ["broadcast \(game) s5@2 to [1]"])
        #expect(h.state(game, seq: 2, epoch: 5) == ["broadcast \(game) s2@5 to [1]", "cancel hold of 1", "send 1 ack \(game) 2 re 8"])
        h.send(1, #"{"type":"roll","id":9}"#)
        #expect(h.reply(.ack, "gw-3", to: 1, game: game, seq: 7, epoch: 2) == ["cancel gw-3", "send 1 ack \(game) 7 re 9"])
    }

    /// The same for a welcome naming the state that seated its player in a new epoch.
    @Test func aWelcomeNamingItsEpochWaitsForThatEpochsState() {
        var h = Harness()
        let game = Self.rolled(&h)
        h.state(game, seq: 4, epoch: 2)
        h.open(2)
        h.send(2, #"{"type":"join","game":"\#(game)","name":"Bob","id":1}"#)
        #expect(h.reply(.welcome, "gw-3", to: 2, game: game, seq: 2, epoch: 5, player: "p2") == ["count acknowledgementHeld", "hold welcome gw-3"])
        #expect(h.state(game, seq: 2, epoch: 5) == [
            "broadcast \(game) s2@5 to [1]", "cancel hold of welcome gw-3", "cancel gw-3",
            "send 2 welcome \(game) p2 token t2 re 1", "send 2 state s2@5",
        ])
    }

    /// The state was lost (a subscriber reconnect whose resync comes later, a node failing over):
    /// after `StateWaitLimits.timeout` the ack goes out anyway, counted.
    @Test func aStateThatNeverComesReleasesTheAckAfterTheTimeout() {
        var h = Harness()
        let game = Self.rolled(&h)
        h.reply(.ack, "gw-2", to: 1, game: game, seq: 2)
        #expect(h.on(.timerFired(.stateWait(connection: 1))) == ["count acknowledgementReleasedByTimeout", "send 1 ack \(game) 2 re 8"])
        #expect(h.core.repliesWaitingForState == 0)
        #expect(h.state(game, seq: 2) == ["broadcast \(game) s2 to [1]"])
        // A shorter acknowledgement timeout shortens the hold to a quarter of it.
        #expect(StateWaitLimits.forAcknowledgementTimeout(.seconds(1)).timeout == .milliseconds(250))
        #expect(StateWaitLimits.forAcknowledgementTimeout(.seconds(2)).timeout == .milliseconds(500))
        #expect(StateWaitLimits.forAcknowledgementTimeout(.seconds(30)).timeout == .milliseconds(500))
    }

    @Test func aClosedConnectionDropsWhatItHeld() {
        var h = Harness()
        let game = Self.rolled(&h)
        h.reply(.ack, "gw-2", to: 1, game: game, seq: 2)
        #expect(h.on(.closed(h.peer(1))) == ["cancel hold of 1", "unsubscribe \(game)", "report disconnect \(game) conn 1 as p1"])
        #expect(h.core.repliesWaitingForState == 0)
        #expect(h.state(game, seq: 2) == [])
        #expect(h.on(.timerFired(.stateWait(connection: 1))) == [])
    }

    /// Revoked (its seat taken over elsewhere), the connection gets no more states of the game:
    /// what it held goes out at once, before the revoke's error.
    @Test func aConnectionThatLeavesTheGameGetsWhatItHeldAtOnce() {
        var h = Harness()
        let game = Self.rolled(&h)
        h.reply(.ack, "gw-2", to: 1, game: game, seq: 2)
        #expect(h.reply(.revoke, nil, to: 1, game: game, player: "p1")
                == ["cancel hold of 1", "send 1 ack \(game) 2 re 8", "unsubscribe \(game)", "send 1 error seat_taken re null"])
    }

    /// An acknowledged `leave` names the state without the player: the member gets it, then the
    /// ack, and leaves the game only then.
    @Test func anAcknowledgedLeaveWaitsForItsStateThenLeaves() {
        var h = Harness()
        let game = Self.rolled(&h)
        h.state(game, seq: 2)
        h.reply(.ack, "gw-2", to: 1, game: game, seq: 2)
        #expect(h.send(1, #"{"type":"leave","id":9}"#) == ["schedule gw-3", "publish gw-3 leave \(game) as p1"])
        #expect(h.reply(.ack, "gw-3", to: 1, game: game, seq: 3)
                == ["cancel gw-3", "count acknowledgementHeld", "hold replies of 1 for 500 ms"])
        #expect(h.core.game(of: 1) == Harness.game(game))
        #expect(h.state(game, seq: 3)
                == ["broadcast \(game) s3 to [1]", "cancel hold of 1", "send 1 ack \(game) 3 re 9", "unsubscribe \(game)"])
        #expect(h.core.game(of: 1) == nil)
    }

    /// One connection's replies keep their order: an error for a later command, and a later ack
    /// naming a later state, wait behind the held ack; each ack still after its own state.
    @Test func laterRepliesWaitBehindAHeldAck() {
        var h = Harness()
        let game = Self.rolled(&h)
        #expect(h.send(1, #"{"type":"buy","id":9}"#) == ["schedule gw-3", "publish gw-3 buy \(game) as p1"])
        h.on(.published(command: "gw-3", receivers: 1, now: h.now))
        #expect(h.send(1, #"{"type":"end_turn","id":10}"#) == ["schedule gw-4", "publish gw-4 end_turn \(game) as p1"])
        h.on(.published(command: "gw-4", receivers: 1, now: h.now))
        h.reply(.ack, "gw-2", to: 1, game: game, seq: 2)
        #expect(h.reply(.error, "gw-3", to: 1, game: game, code: .notYourTurn) == ["cancel gw-3"])
        // A request refused by the gateway itself is a reply too.
        #expect(h.send(1, #"{"type":"spectate","game":"ABC234","id":11}"#) == [])
        #expect(h.reply(.ack, "gw-4", to: 1, game: game, seq: 3) == ["cancel gw-4", "count acknowledgementHeld"])
        #expect(h.core.repliesWaitingForState == 4)
        #expect(h.state(game, seq: 2) == [
            "broadcast \(game) s2 to [1]", "send 1 ack \(game) 2 re 8", "send 1 error not_your_turn re 9",
            "send 1 error already_seated re 11",
        ])
        #expect(h.state(game, seq: 3) == ["broadcast \(game) s3 to [1]", "cancel hold of 1", "send 1 ack \(game) 3 re 10"])
    }

    /// The timeout lets the whole line go, each ack out without its state counted.
    @Test func theTimeoutLetsTheWholeLineGoInOrder() {
        var h = Harness()
        let game = Self.rolled(&h)
        h.send(1, #"{"type":"buy","id":9}"#)
        h.on(.published(command: "gw-3", receivers: 1, now: h.now))
        h.reply(.ack, "gw-2", to: 1, game: game, seq: 2)
        h.reply(.ack, "gw-3", to: 1, game: game, seq: 3)
        #expect(h.on(.timerFired(.stateWait(connection: 1))) == [
            "count acknowledgementReleasedByTimeout", "send 1 ack \(game) 2 re 8",
            "count acknowledgementReleasedByTimeout", "send 1 ack \(game) 3 re 9",
        ])
    }

    /// Every member whose ack waited for the state gets it after the one broadcast; a member with
    /// nothing held is not touched.
    @Test func oneStateReleasesEveryMemberWaitingForIt() {
        var h = Harness()
        let game = Self.rolled(&h)
        h.open(2)
        h.send(2, #"{"type":"join","game":"\#(game)","name":"Bob","id":1}"#)
        #expect(h.reply(.welcome, "gw-3", to: 2, game: game, player: "p2") == ["cancel gw-3", "send 2 welcome \(game) p2 token t2 re 1", "send 2 state s1"])
        h.send(2, #"{"type":"chat","text":"hi","id":2}"#)
        h.on(.published(command: "gw-4", receivers: 1, now: h.now))
        h.open(3)
        h.send(3, #"{"type":"join","game":"\#(game)","name":"Cy","id":1}"#)
        h.reply(.welcome, "gw-5", to: 3, game: game, player: "p3")
        h.reply(.ack, "gw-4", to: 2, game: game, seq: 3)
        h.reply(.ack, "gw-2", to: 1, game: game, seq: 2)
        #expect(h.state(game, seq: 2) == ["broadcast \(game) s2 to [1, 2, 3]", "cancel hold of 1", "send 1 ack \(game) 2 re 8"])
        #expect(h.state(game, seq: 3) == ["broadcast \(game) s3 to [1, 2, 3]", "cancel hold of 2", "send 2 ack \(game) 3 re 2"])
    }

    /// With patches, the state goes out as a patch (or whole): either counts as sent.
    @Test func aPatchReleasesTheAckLikeTheWholeState() {
        var h = Harness()
        let game = Self.rolled(&h, patches: true)
        h.reply(.ack, "gw-2", to: 1, game: game, seq: 2)
        let header = StatePatch.Header(seq: 2, base: 1)
        // The patch comes just before its state and is held for it: nothing goes out yet.
        #expect(h.on(.state(StateArrival(game: Harness.game(game), seq: 2, frame: "p2", payload: [], patch: header))) == [])
        #expect(h.state(game, seq: 2)
                == ["broadcast \(game) patch p2 (whole s2) to [1]", "cancel hold of 1", "send 1 ack \(game) 2 re 8"])
    }

    /// An ack (or any reply) nobody waits a state for goes out at once: one naming no state, one
    /// about a game whose states the connection does not get.
    @Test func aReplyThatNamesNoStateTheConnectionGetsIsNotHeld() {
        var h = Harness()
        let game = Self.rolled(&h)
        #expect(h.reply(.ack, "gw-2", to: 1, game: game, seq: nil) == ["cancel gw-2", "send 1 ack \(game) - re 8"])
        h.send(1, #"{"type":"roll","id":9}"#)
        #expect(h.reply(.ack, "gw-3", to: 1, game: "ABC234", seq: 7) == ["cancel gw-3", "send 1 ack ABC234 7 re 9"])
        #expect(h.core.repliesWaitingForState == 0)
    }

    /// At most `perConnection` replies wait per connection: the next lets the line go first, in order.
    @Test func aFullLineIsLetGoBeforeTheNextReply() {
        var h = Harness(configuration: Self.limits(perConnection: 2))
        let game = Self.rolled(&h)
        h.send(1, #"{"type":"buy","id":9}"#)
        h.on(.published(command: "gw-3", receivers: 1, now: h.now))
        h.send(1, #"{"type":"end_turn","id":10}"#)
        h.on(.published(command: "gw-4", receivers: 1, now: h.now))
        h.reply(.ack, "gw-2", to: 1, game: game, seq: 2)
        h.reply(.error, "gw-3", to: 1, game: game, code: .notYourTurn)
        #expect(h.reply(.ack, "gw-4", to: 1, game: game, seq: 3) == [
            "cancel gw-4", "count acknowledgementReleasedByCap", "send 1 ack \(game) 2 re 8",
            "cancel hold of 1", "send 1 error not_your_turn re 9", "count acknowledgementHeld", "hold replies of 1 for 500 ms",
        ])
        #expect(h.state(game, seq: 3) == ["broadcast \(game) s3 to [1]", "cancel hold of 1", "send 1 ack \(game) 3 re 10"])
    }

    /// A lost ack recovered from the stored state: the state goes out first, so nothing is held.
    @Test func aRecoveredAckFollowsTheStateItWasRecoveredFrom() {
        var h = Harness()
        let game = Self.rolled(&h)
        #expect(h.on(.timerFired(.acknowledgement(command: "gw-2"))) == ["read last \(game) to recover gw-2"])
        let stored = #"{"type":"state","seq":2,"cmd":{"id":"gw-2","player":"p1"}}"#
        #expect(h.on(.storedState(Harness.game(game), .state(Harness.arrival(game, seq: 2, payload: stored)), for: .recovery(command: "gw-2")))
                == ["broadcast \(game) s2 to [1]", "cancel gw-2", "send 1 ack \(game) 2 re 8"])
    }

    // MARK: - Welcomes

    /// A welcome names the state that seated its player; the gateway sends the game's newest state
    /// right after it. Come first, it waits for that state (the connection not a member yet).
    @Test func aCreatesWelcomeBeforeItsFirstStateWaitsForIt() {
        var h = Harness()
        h.open(1)
        h.send(1, #"{"type":"create","name":"Ann","id":7}"#)
        h.on(.subscribed(Harness.game("GAME1")))
        #expect(h.reply(.welcome, "gw-1", to: 1, game: "GAME1", seq: 1, player: "p1") == ["count acknowledgementHeld", "hold welcome gw-1"])
        #expect(h.core.game(of: 1) == nil)
        #expect(h.core.repliesWaitingForState == 1)
        #expect(h.state("GAME1", seq: 1) == [
            "cancel hold of welcome gw-1", "cancel gw-1", "send 1 welcome GAME1 p1 token t1 re 7", "send 1 state s1",
        ])
        #expect(h.core.game(of: 1) == Harness.game("GAME1"))
        #expect(h.core.repliesWaitingForState == 0)
    }

    /// A join's welcome before the state that seats the player: the joiner gets the welcome, then
    /// that state (not the one before, without it), then the states after.
    @Test func aJoinsWelcomeBeforeItsStateIsFollowedByThatState() {
        var h = Harness()
        let game = Self.rolled(&h)
        h.open(2)
        #expect(h.send(2, #"{"type":"join","game":"\#(game)","name":"Bob","id":1}"#) == ["schedule gw-3", "publish gw-3 join \(game) seat h2"])
        #expect(h.reply(.welcome, "gw-3", to: 2, game: game, seq: 2, player: "p2") == ["count acknowledgementHeld", "hold welcome gw-3"])
        // A state before it goes to the members only.
        #expect(h.state(game, seq: 2) == [
            "broadcast \(game) s2 to [1]", "cancel hold of welcome gw-3", "cancel gw-3",
            "send 2 welcome \(game) p2 token t2 re 1", "send 2 state s2",
        ])
        #expect(h.state(game, seq: 3) == ["broadcast \(game) s3 to [1, 2]"])
    }

    @Test func aWelcomeAfterItsStateIsHandledAtOnce() {
        var h = Harness()
        h.open(1)
        h.send(1, #"{"type":"create","name":"Ann","id":7}"#)
        h.on(.subscribed(Harness.game("GAME1")))
        h.state("GAME1", seq: 1)
        #expect(h.reply(.welcome, "gw-1", to: 1, game: "GAME1", seq: 1, player: "p1")
                == ["cancel gw-1", "send 1 welcome GAME1 p1 token t1 re 7", "send 1 state s1"])
    }

    /// The state never came (lost): after the timeout the welcome is handled with the newest
    /// state there is; a hang-up meanwhile reports the seat disconnected, as a late welcome does.
    @Test func aWelcomeWhoseStateNeverComesIsHandledAfterTheTimeoutAndAfterAHangUpReported() {
        var h = Harness()
        let game = Self.rolled(&h)
        h.open(2)
        h.send(2, #"{"type":"join","game":"\#(game)","name":"Bob","id":1}"#)
        h.reply(.welcome, "gw-3", to: 2, game: game, seq: 2, player: "p2")
        #expect(h.on(.timerFired(.welcomeWait(command: "gw-3"))) == [
            "count acknowledgementReleasedByTimeout", "cancel gw-3", "send 2 welcome \(game) p2 token t2 re 1", "send 2 state s1",
        ])
        #expect(h.on(.timerFired(.welcomeWait(command: "gw-3"))) == [])
        h.open(3)
        h.send(3, #"{"type":"join","game":"\#(game)","name":"Cy","id":1}"#)
        h.reply(.welcome, "gw-4", to: 3, game: game, seq: 2, player: "p3")
        #expect(h.on(.closed(h.peer(3))) == [])
        #expect(h.state(game, seq: 2) == [
            "broadcast \(game) s2 to [1, 2]", "cancel hold of welcome gw-4", "cancel gw-4", "report disconnect \(game) conn 3 as p3",
        ])
        #expect(h.core.interest(in: Harness.game(game)) == 2)
    }

    /// The seat was taken over again (a rejoin elsewhere) while the welcome that seated this
    /// connection waited for its state: the revoke comes after that welcome on the reply channel,
    /// so it is handled after it (welcome, state, then `seat_taken`, and the connection not a
    /// member). Before, the revoke found no seat yet and was dropped, and the welcome released
    /// later seated the connection in a seat the authority had given to another: its client
    /// never heard `seat_taken`, and every command it sent was refused `not_seated`.
    @Test func aRevokeWhileTheWelcomeWaitsIsHandledAfterTheWelcome() {
        var h = Harness()
        let game = Self.rolled(&h)
        h.open(2)
        let token = "0123456789abcdef0123456789abcdef"
        #expect(h.send(2, #"{"type":"rejoin","game":"\#(game)","token":"\#(token)","id":4}"#)
                == ["schedule gw-3", "publish gw-3 rejoin \(game) seat hash-of-\(token)"])
        h.on(.published(command: "gw-3", receivers: 1, now: h.now))
        #expect(h.reply(.welcome, "gw-3", to: 2, game: game, seq: 2, player: "p1") == ["count acknowledgementHeld", "hold welcome gw-3"])
        #expect(h.reply(.revoke, nil, to: 2, game: game, player: "p1") == [
            "cancel hold of welcome gw-3", "cancel gw-3", "send 2 welcome \(game) p1 token \(token) re 4", "send 2 state s1",
            "send 2 error seat_taken re null",
        ])
        #expect(h.core.game(of: 2) == nil)
        #expect(h.core.repliesWaitingForState == 0)
        // Its state, come at last, goes to the members only; the timer finds nothing.
        #expect(h.state(game, seq: 2) == ["broadcast \(game) s2 to [1]"])
        #expect(h.on(.timerFired(.welcomeWait(command: "gw-3"))) == [])
    }
}
