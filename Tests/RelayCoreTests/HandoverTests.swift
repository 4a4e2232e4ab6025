import RelayCore
import RelayProtocol
import Testing

/// Commands published while their game's shard is between authorities (PUBLISH counted no
/// receiver) are held and published again, same id, until someone hears them or the handover
/// bound passes (`HandoverHolds`). Times come in the events: no clock, no sleep.
@Suite struct HandoverTests {
    static func limits(timeout: Duration = .seconds(4), perConnection: Int = 16, perAddress: Int = 64, total: Int = 4096) -> RelayCoreConfiguration {
        RelayCoreConfiguration(gatewayID: "gw", handover: HandoverHolds.Limits(timeout: timeout, perConnection: perConnection,
                                                                               perAddress: perAddress, total: total))
    }

    @Test func aCommandNobodyHeardIsPublishedAgainWithTheSameIdUntilHeardThenAwaitsItsAcknowledgement() {
        var h = Harness()
        let (game, _) = h.seat(1)
        #expect(h.send(1, #"{"type":"roll","id":8}"#) == ["schedule gw-2", "publish gw-2 roll \(game) as p1"])
        // Nobody listens: held, its acknowledgement timer stopped, a retry scheduled.
        #expect(h.on(.published(command: "gw-2", receivers: 0, now: h.now)) == ["cancel gw-2", "retry 1 in 25 ms"])
        #expect(h.core.heldCount == 1)
        #expect(h.on(.timerFired(.handover(connection: 1))) == ["count republished", "publish gw-2 roll \(game) as p1"])
        // A second firing while that publish is in flight publishes nothing (never two at once).
        #expect(h.on(.timerFired(.handover(connection: 1))) == [])
        #expect(h.on(.published(command: "gw-2", receivers: 0, now: h.now + .milliseconds(40))) == ["retry 1 in 50 ms"])
        #expect(h.on(.timerFired(.handover(connection: 1))) == ["count republished", "publish gw-2 roll \(game) as p1"])
        // The new holder listens: the acknowledgement is awaited from now.
        #expect(h.on(.published(command: "gw-2", receivers: 1, now: h.now + .milliseconds(100))) == ["schedule gw-2"])
        #expect(h.core.heldCount == 0)
        h.state(game, seq: 2)
        #expect(h.reply(.ack, "gw-2", to: 1, game: game, seq: 2) == ["cancel gw-2", "send 1 ack \(game) 2 re 8"])
        // A later firing of the (ended) hold's timer does nothing.
        #expect(h.on(.timerFired(.handover(connection: 1))) == [])
    }

    /// HANDOVER_TIMEOUT's default follows the authorities' LEASE_MS: a dead holder's lease lapses
    /// within LEASE_MS, the others poll at most LEASE_MS/3 apart, and taking the shard (fencing its
    /// games, subscribing) takes a second at most.
    @Test(arguments: [(3000, 4000), (300, 1300), (1500, 2500), (6000, 8000), (30000, 40000), (600_000, 800_000), (-1, 1000), (Int.max, 4_800_000)])
    func theHoldingBoundFollowsTheLease(lease: Int, bound: Int) {
        #expect(HandoverHolds.Limits.timeout(leaseMilliseconds: lease) == .milliseconds(bound))
    }

    @Test func theDefaultBoundIsTheDefaultLeasesOne() {
        #expect(HandoverHolds.Limits().timeout == .seconds(4))
    }

    @Test func theBackoffDoublesFrom25MillisecondsTo250() {
        var h = Harness()
        let (game, _) = h.seat(1)
        h.send(1, #"{"type":"roll","id":8}"#)
        var delays: [String] = []
        for attempt in 0..<7 {
            let actions = h.on(.published(command: "gw-2", receivers: 0, now: h.now + .milliseconds(attempt * 100)))
            delays.append(actions.last ?? "")
            #expect(h.on(.timerFired(.handover(connection: 1))) == ["count republished", "publish gw-2 roll \(game) as p1"])
        }
        #expect(delays == ["retry 1 in 25 ms", "retry 1 in 50 ms", "retry 1 in 100 ms", "retry 1 in 200 ms",
                           "retry 1 in 250 ms", "retry 1 in 250 ms", "retry 1 in 250 ms"])
    }

    /// Past the bound nobody took the shard: `authority_unavailable`. The last retry is due at the
    /// bound, not a backoff past it.
    @Test func nobodyHearingItWithinTheBoundAnswersAuthorityUnavailable() {
        var h = Harness(configuration: Self.limits(timeout: .seconds(1)))
        let (game, _) = h.seat(1)
        h.send(1, #"{"type":"roll","id":8}"#)
        #expect(h.on(.published(command: "gw-2", receivers: 0, now: h.now)) == ["cancel gw-2", "retry 1 in 25 ms"])
        h.on(.timerFired(.handover(connection: 1)))
        #expect(h.on(.published(command: "gw-2", receivers: 0, now: h.now + .milliseconds(990))) == ["retry 1 in 10 ms"])
        #expect(h.on(.timerFired(.handover(connection: 1))) == ["count republished", "publish gw-2 roll \(game) as p1"])
        #expect(h.on(.published(command: "gw-2", receivers: 0, now: h.now + .seconds(1)))
                == ["cancel gw-2", "count authorityUnavailable", "send 1 error authority_unavailable re 8"])
        #expect(h.core.heldCount == 0 && h.core.pendingCount == 0)
        // The connection's next command is published at once again.
        #expect(h.send(1, #"{"type":"roll","id":9}"#) == ["schedule gw-3", "publish gw-3 roll \(game) as p1"])
    }

    /// A command that joined the hold while the retry was in flight goes out as soon as that
    /// retry is heard: no retry timer is left to publish it.
    @Test func aCommandThatJoinedDuringTheRetryIsPublishedOnceTheRetryIsHeard() {
        var h = Harness()
        let (game, _) = h.seat(1)
        h.send(1, #"{"type":"roll","id":8}"#)
        h.on(.published(command: "gw-2", receivers: 0, now: h.now))
        h.on(.timerFired(.handover(connection: 1)))
        #expect(h.send(1, #"{"type":"buy","id":9}"#) == [])
        #expect(h.on(.published(command: "gw-2", receivers: 1, now: h.now))
                == ["schedule gw-2", "schedule gw-3", "publish gw-3 buy \(game) as p1"])
        #expect(h.on(.published(command: "gw-3", receivers: 1, now: h.now)) == [])
        #expect(h.core.heldCount == 0)
    }

    /// Memory is bounded: past the commands one connection may have held, or all may, a command
    /// nobody heard is answered at once.
    @Test func pastThePerConnectionOrTotalBoundTheCommandIsAnsweredAtOnce() {
        var h = Harness(configuration: Self.limits(perConnection: 2, total: 3))
        let (game, _) = h.seat(1)
        h.send(1, #"{"type":"roll","id":1}"#)
        h.on(.published(command: "gw-2", receivers: 0, now: h.now))
        #expect(h.send(1, #"{"type":"buy","id":2}"#) == [])
        #expect(h.send(1, #"{"type":"end_turn","id":3}"#)
                == ["cancel gw-4", "count authorityUnavailable", "send 1 error authority_unavailable re 3"])
        #expect(h.core.heldCount == 2)
        let other = h.seat(2)
        #expect(h.send(2, #"{"type":"roll","id":4}"#) == ["schedule gw-6", "publish gw-6 roll \(other.game) as p1"])
        #expect(h.on(.published(command: "gw-6", receivers: 0, now: h.now)) == ["cancel gw-6", "retry 2 in 25 ms"])
        let third = h.seat(3)
        h.send(3, #"{"type":"roll","id":5}"#)
        #expect(h.on(.published(command: "gw-8", receivers: 0, now: h.now))
                == ["cancel gw-8", "count authorityUnavailable", "send 3 error authority_unavailable re 5"])
        #expect(h.core.heldCount == 3)
        _ = (game, third)
    }

    /// One client's many connections cannot fill the total and so refuse everybody else's
    /// commands during a handover: past what one address may have held, its commands are answered
    /// at once, another address's are still held; what it held, once heard, frees its share.
    @Test func pastThePerAddressBoundOnlyThatAddressesCommandsAreAnsweredAtOnce() {
        var h = Harness(configuration: Self.limits(perConnection: 2, perAddress: 3, total: 100))
        let (attacker, other) = ("198.51.100.7", "203.0.113.9")
        let first = h.seat(1, address: attacker), second = h.seat(2, address: attacker)
        // The first connection holds 2, the second 1: the address's 3.
        h.send(1, #"{"type":"roll","id":1}"#, address: attacker)
        #expect(h.on(.published(command: "gw-3", receivers: 0, now: h.now)) == ["cancel gw-3", "retry 1 in 25 ms"])
        #expect(h.send(1, #"{"type":"buy","id":2}"#, address: attacker) == [])
        h.send(2, #"{"type":"roll","id":3}"#, address: attacker)
        #expect(h.on(.published(command: "gw-5", receivers: 0, now: h.now)) == ["cancel gw-5", "retry 2 in 25 ms"])
        #expect(h.core.heldCount == 3)
        // The second connection is within its own bound of 2, but the address is full.
        #expect(h.send(2, #"{"type":"buy","id":4}"#, address: attacker)
                == ["cancel gw-6", "count authorityUnavailable", "send 2 error authority_unavailable re 4"])
        // A third connection of the address is not held at all.
        let third = h.seat(3, address: attacker)
        h.send(3, #"{"type":"roll","id":5}"#, address: attacker)
        #expect(h.on(.published(command: "gw-8", receivers: 0, now: h.now))
                == ["cancel gw-8", "count authorityUnavailable", "send 3 error authority_unavailable re 5"])
        // Another client's command is held as usual.
        let victim = h.seat(4, address: other)
        h.send(4, #"{"type":"roll","id":6}"#, address: other)
        #expect(h.on(.published(command: "gw-10", receivers: 0, now: h.now)) == ["cancel gw-10", "retry 4 in 25 ms"])
        #expect(h.core.heldCount == 4)
        // The second connection's command is heard: the address may hold one more.
        h.on(.timerFired(.handover(connection: 2)))
        h.on(.published(command: "gw-5", receivers: 1, now: h.now))
        #expect(h.core.heldCount == 3)
        h.send(3, #"{"type":"roll","id":7}"#, address: attacker)
        #expect(h.on(.published(command: "gw-11", receivers: 0, now: h.now)) == ["cancel gw-11", "retry 3 in 25 ms"])
        #expect(h.core.heldCount == 4)
        _ = (first, second, third, victim)
    }

    /// A connection that closes drops what it held (nobody ever received it); a held seat request
    /// gives back its interest in the game.
    @Test func aClosedConnectionDropsItsHeldCommandsAndItsSeatRequestsInterest() {
        var h = Harness()
        h.open(1)
        h.send(1, #"{"type":"create","name":"Ann","id":1}"#)
        h.on(.subscribed(Harness.game("GAME1")))
        #expect(h.on(.published(command: "gw-1", receivers: 0, now: h.now)) == ["cancel gw-1", "retry 1 in 25 ms"])
        #expect(h.on(.closed(h.peer(1))) == ["unsubscribe GAME1"])
        #expect(h.core.heldCount == 0 && h.core.pendingCount == 0)
        #expect(h.on(.timerFired(.handover(connection: 1))) == [])
    }

    /// A seat request held through the handover is welcomed as usual once heard.
    @Test func aHeldSeatRequestIsWelcomedOnceHeard() {
        var h = Harness()
        h.open(1)
        h.send(1, #"{"type":"create","name":"Ann","id":1}"#)
        h.on(.subscribed(Harness.game("GAME1")))
        h.on(.published(command: "gw-1", receivers: 0, now: h.now))
        #expect(h.on(.timerFired(.handover(connection: 1))) == ["count republished", "publish gw-1 create GAME1 seat h1 from 192.0.2.1"])
        #expect(h.on(.published(command: "gw-1", receivers: 1, now: h.now)) == ["schedule gw-1"])
        h.state("GAME1", seq: 1)
        #expect(h.reply(.welcome, "gw-1", to: 1, game: "GAME1", player: "p1")
                == ["cancel gw-1", "send 1 welcome GAME1 p1 token t1 re 1", "send 1 state s1"])
    }

    /// Redis failing a retry answers at once (as a first publish that fails does).
    @Test func aRetryRedisFailsIsAnsweredAtOnce() {
        var h = Harness()
        let (game, _) = h.seat(1)
        h.send(1, #"{"type":"roll","id":8}"#)
        h.on(.published(command: "gw-2", receivers: 0, now: h.now))
        #expect(h.on(.timerFired(.handover(connection: 1))) == ["count republished", "publish gw-2 roll \(game) as p1"])
        #expect(h.on(.publishFailed(command: "gw-2")) == ["cancel gw-2", "count authorityUnavailable", "send 1 error authority_unavailable re 8"])
        #expect(h.core.heldCount == 0)
    }
}

/// After the acknowledgement timeout, a command the stored state does not show applied (received
/// by an authority killed before it committed) is published once more, same id and key, when the
/// authority deduplicates it; then, as before, `authority_unavailable`.
@Suite struct ResendTests {
    static let movedOn = #"{"type":"state","seq":1,"cmd":{"id":"gw-1","player":"p1"}}"#

    @Test func aRulesCommandLostByADeadAuthorityIsSentOnceMoreThenGivenUp() {
        var h = Harness()
        let (game, _) = h.seat(1)
        h.send(1, #"{"type":"roll","id":8}"#)
        h.on(.published(command: "gw-2", receivers: 1, now: h.now))
        #expect(h.on(.timerFired(.acknowledgement(command: "gw-2"))) == ["read last \(game) to recover gw-2"])
        let stored = StoredState.state(Harness.arrival(game, seq: 1, payload: Self.movedOn))
        #expect(h.on(.storedState(Harness.game(game), stored, for: .recovery(command: "gw-2")))
                == ["count republished", "schedule gw-2", "publish gw-2 roll \(game) as p1"])
        // Nobody listens now (the dead authority's shard between holders): held like any other.
        #expect(h.on(.published(command: "gw-2", receivers: 0, now: h.now)) == ["cancel gw-2", "retry 1 in 25 ms"])
        h.on(.timerFired(.handover(connection: 1)))
        #expect(h.on(.published(command: "gw-2", receivers: 1, now: h.now)) == ["schedule gw-2"])
        h.state(game, seq: 2)
        #expect(h.reply(.ack, "gw-2", to: 1, game: game, seq: 2) == ["cancel gw-2", "send 1 ack \(game) 2 re 8"])
        // Sent again once only: a second timeout answers authority_unavailable.
        h.send(1, #"{"type":"roll","id":9}"#)
        h.on(.timerFired(.acknowledgement(command: "gw-3")))
        h.on(.storedState(Harness.game(game), stored, for: .recovery(command: "gw-3")))
        h.on(.timerFired(.acknowledgement(command: "gw-3")))
        #expect(h.on(.storedState(Harness.game(game), stored, for: .recovery(command: "gw-3")))
                == ["count authorityUnavailable", "send 1 error authority_unavailable re 9"])
    }

    /// The authority remembers a seat's last 8 requests: a copy sent again behind 8 more of its
    /// connection's commands (a slow authority applies it late, or its reply and theirs were lost)
    /// would no longer be recognised and be applied twice. It is answered instead.
    @Test func aCommandFollowedByEightMoreIsNotSentAgain() {
        var h = Harness()
        let (game, _) = h.seat(1)
        h.send(1, #"{"type":"roll","id":8}"#)
        h.on(.published(command: "gw-2", receivers: 1, now: h.now))
        for id in 9...16 {
            h.send(1, #"{"type":"buy","id":\#(id)}"#)
            h.on(.published(command: "gw-\(id - 6)", receivers: 1, now: h.now))
        }
        let stored = StoredState.state(Harness.arrival(game, seq: 9, payload: #"{"type":"state","seq":9,"cmd":{"id":"gw-10","player":"p1"}}"#))
        h.on(.timerFired(.acknowledgement(command: "gw-2")))
        #expect(h.on(.storedState(Harness.game(game), stored, for: .recovery(command: "gw-2")))
                == ["count authorityUnavailable", "send 1 error authority_unavailable re 8"])
        // Seven behind it: the seat still remembers it, so it is sent again.
        h.on(.timerFired(.acknowledgement(command: "gw-3")))
        #expect(h.on(.storedState(Harness.game(game), stored, for: .recovery(command: "gw-3")))
                == ["count republished", "schedule gw-3", "publish gw-3 buy \(game) as p1"])
    }

    /// Chat (not deduplicated) and a command without an id (no dedupe key) are never sent twice.
    @Test func chatAndCommandsWithoutAnIdAreNotSentAgain() {
        var h = Harness()
        let (game, _) = h.seat(1)
        h.send(1, #"{"type":"chat","text":"hi","id":8}"#)
        h.on(.published(command: "gw-2", receivers: 1, now: h.now))
        h.send(1, #"{"type":"roll"}"#)
        h.on(.published(command: "gw-3", receivers: 1, now: h.now))
        let stored = StoredState.state(Harness.arrival(game, seq: 1, payload: Self.movedOn))
        for (command, re) in [("gw-2", "8"), ("gw-3", "null")] {
            h.on(.timerFired(.acknowledgement(command: command)))
            #expect(h.on(.storedState(Harness.game(game), stored, for: .recovery(command: command)))
                    == ["count authorityUnavailable", "send 1 error authority_unavailable re \(re)"])
        }
    }

    /// No authority left at all (the lease poll found none): held commands are answered at their
    /// next retry, not held to the bound.
    @Test func heldCommandsAreAnsweredWhenNoAuthorityIsLeft() {
        var h = Harness()
        _ = h.seat(1)
        h.send(1, #"{"type":"roll","id":8}"#)
        h.on(.published(command: "gw-2", receivers: 0, now: h.now))
        h.on(.authorityChecked(alive: false))
        #expect(h.on(.timerFired(.handover(connection: 1)))
                == ["cancel gw-2", "count authorityUnavailable", "send 1 error authority_unavailable re 8"])
        #expect(h.core.heldCount == 0 && h.core.pendingCount == 0)
    }
}

/// A player's commands apply in the order sent: one connection has one publish in flight at a
/// time, so a command never reaches a holder that subscribed after an earlier one went unheard.
@Suite struct HandoverOrderTests {
    /// The new holder subscribed between two publishes: the first reached nobody, the second would
    /// have been applied before it. The second waits for the first to be heard.
    @Test func aCommandWaitsForTheEarlierOnesPublishToBeHeard() {
        var h = Harness()
        let (game, _) = h.seat(1)
        #expect(h.send(1, #"{"type":"roll","id":8}"#) == ["schedule gw-2", "publish gw-2 roll \(game) as p1"])
        #expect(h.send(1, #"{"type":"buy","id":9}"#) == [])
        #expect(h.on(.published(command: "gw-2", receivers: 0, now: h.now)) == ["cancel gw-2", "retry 1 in 25 ms"])
        #expect(h.core.heldCount == 2)
        #expect(h.on(.timerFired(.handover(connection: 1))) == ["count republished", "publish gw-2 roll \(game) as p1"])
        #expect(h.on(.published(command: "gw-2", receivers: 1, now: h.now))
                == ["schedule gw-2", "schedule gw-3", "publish gw-3 buy \(game) as p1"])
        #expect(h.core.heldCount == 0)
        #expect(h.on(.published(command: "gw-3", receivers: 1, now: h.now)) == [])
        // Nothing waits now: the next command goes out at once.
        #expect(h.send(1, #"{"type":"end_turn","id":10}"#) == ["schedule gw-4", "publish gw-4 end_turn \(game) as p1"])
    }

    /// A retry publishes the first held command only: the holder may subscribe between two
    /// publishes of one retry as well.
    @Test func aRetryPublishesTheFirstHeldCommandOnly() {
        var h = Harness()
        let (game, _) = h.seat(1)
        h.send(1, #"{"type":"roll","id":8}"#)
        h.on(.published(command: "gw-2", receivers: 0, now: h.now))
        h.send(1, #"{"type":"buy","id":9}"#)
        h.send(1, #"{"type":"end_turn","id":10}"#)
        #expect(h.on(.timerFired(.handover(connection: 1))) == ["count republished", "publish gw-2 roll \(game) as p1"])
        #expect(h.on(.published(command: "gw-2", receivers: 0, now: h.now)) == ["retry 1 in 50 ms"])
        #expect(h.on(.timerFired(.handover(connection: 1))) == ["count republished", "publish gw-2 roll \(game) as p1"])
        #expect(h.on(.published(command: "gw-2", receivers: 1, now: h.now)) == ["schedule gw-2", "schedule gw-3", "publish gw-3 buy \(game) as p1"])
        #expect(h.on(.published(command: "gw-3", receivers: 1, now: h.now)) == ["schedule gw-4", "publish gw-4 end_turn \(game) as p1"])
        #expect(h.on(.published(command: "gw-4", receivers: 1, now: h.now)) == [])
        #expect(h.core.heldCount == 0)
    }

    /// Past the bound, the held command and every one behind it are answered, in order: those
    /// behind it waited for it, the shard still has no holder, and applying them without it would
    /// not be what the player sent. The connection's next command goes out at once.
    @Test func pastTheBoundTheHeldCommandAndThoseBehindItAreAnsweredInOrder() {
        var h = Harness(configuration: HandoverTests.limits(timeout: .seconds(1)))
        let (game, _) = h.seat(1)
        h.send(1, #"{"type":"roll","id":8}"#)
        h.on(.published(command: "gw-2", receivers: 0, now: h.now))
        h.send(1, #"{"type":"buy","id":9}"#)
        h.on(.timerFired(.handover(connection: 1)))
        h.send(1, #"{"type":"end_turn","id":10}"#)
        #expect(h.on(.published(command: "gw-2", receivers: 0, now: h.now + .seconds(1))) == [
            "cancel gw-2", "count authorityUnavailable", "send 1 error authority_unavailable re 8",
            "cancel gw-3", "count authorityUnavailable", "send 1 error authority_unavailable re 9",
            "cancel gw-4", "count authorityUnavailable", "send 1 error authority_unavailable re 10",
        ])
        #expect(h.core.heldCount == 0 && h.core.pendingCount == 0)
        #expect(h.send(1, #"{"type":"roll","id":11}"#) == ["schedule gw-5", "publish gw-5 roll \(game) as p1"])
    }

    /// Commands queued behind a publish in flight are not held yet: when it goes unheard they
    /// are, and count against the bounds then (the newest beyond them are answered at once).
    @Test func commandsQueuedBehindAPublishInFlightCountAgainstTheBoundsOnceItIsUnheard() {
        var h = Harness(configuration: HandoverTests.limits(perConnection: 2))
        _ = h.seat(1)
        h.send(1, #"{"type":"roll","id":1}"#)
        h.send(1, #"{"type":"buy","id":2}"#)
        h.send(1, #"{"type":"end_turn","id":3}"#)
        #expect(h.core.heldCount == 0)
        #expect(h.on(.published(command: "gw-2", receivers: 0, now: h.now))
                == ["cancel gw-2", "cancel gw-4", "count authorityUnavailable", "send 1 error authority_unavailable re 3", "retry 1 in 25 ms"])
        #expect(h.core.heldCount == 2)
    }

    /// An acknowledgement timer that fires while the command's publish never came back (Redis
    /// lost the answer) does not leave the connection's later commands waiting for ever.
    @Test func aPublishWhoseAnswerNeverCameDoesNotBlockTheConnection() {
        var h = Harness()
        let (game, _) = h.seat(1)
        h.send(1, #"{"type":"chat","text":"hi","id":8}"#)
        #expect(h.send(1, #"{"type":"roll","id":9}"#) == [])
        h.on(.timerFired(.acknowledgement(command: "gw-2")))
        #expect(h.on(.storedState(Harness.game(game), .unreadable, for: .recovery(command: "gw-2")))
                == ["count authorityUnavailable", "send 1 error authority_unavailable re 8", "schedule gw-3", "publish gw-3 roll \(game) as p1"])
    }
}

/// The acknowledgement-timeout resend of a deduplicated command keeps the order of (1): it goes
/// in the connection's line at its place (never ahead of a publish in flight), and counts against
/// the bounds.
@Suite struct ResendOrderTests {
    static let movedOn = #"{"type":"state","seq":1,"cmd":{"id":"gw-1","player":"p1"}}"#

    /// The shard changed holders: the old one took `roll` and died before committing it, `buy` went
    /// unheard. The resent `roll` is published before `buy`, not beside it.
    @Test func aResendGoesAheadOfYoungerHeldCommandsNotBesideThem() {
        var h = Harness()
        let (game, _) = h.seat(1)
        h.send(1, #"{"type":"roll","id":8}"#)
        h.on(.published(command: "gw-2", receivers: 1, now: h.now))
        h.send(1, #"{"type":"buy","id":9}"#)
        h.on(.published(command: "gw-3", receivers: 0, now: h.now))
        h.on(.timerFired(.acknowledgement(command: "gw-2")))
        let stored = StoredState.state(Harness.arrival(game, seq: 1, payload: Self.movedOn))
        #expect(h.on(.storedState(Harness.game(game), stored, for: .recovery(command: "gw-2"))) == ["count republished"])
        #expect(h.core.heldCount == 2)
        #expect(h.on(.timerFired(.handover(connection: 1))) == ["schedule gw-2", "publish gw-2 roll \(game) as p1"])
        #expect(h.on(.published(command: "gw-2", receivers: 1, now: h.now)) == ["count republished", "publish gw-3 buy \(game) as p1"])
        #expect(h.on(.published(command: "gw-3", receivers: 1, now: h.now)) == ["schedule gw-3"])
    }

    /// With the connection's bound held, the resend is not published beside them: it is answered.
    @Test func aResendPastTheBoundIsAnsweredNotPublished() {
        var h = Harness(configuration: HandoverTests.limits(perConnection: 2))
        let (game, _) = h.seat(1)
        h.send(1, #"{"type":"roll","id":8}"#)
        h.on(.published(command: "gw-2", receivers: 1, now: h.now))
        h.send(1, #"{"type":"buy","id":9}"#)
        h.on(.published(command: "gw-3", receivers: 0, now: h.now))
        h.send(1, #"{"type":"end_turn","id":10}"#)
        #expect(h.core.heldCount == 2)
        h.on(.timerFired(.acknowledgement(command: "gw-2")))
        let stored = StoredState.state(Harness.arrival(game, seq: 1, payload: Self.movedOn))
        #expect(h.on(.storedState(Harness.game(game), stored, for: .recovery(command: "gw-2")))
                == ["count authorityUnavailable", "send 1 error authority_unavailable re 8"])
        #expect(h.core.heldCount == 2 && h.core.pendingCount == 2)
    }
}

/// The gateway's `disconnect` report (a connection left) is held like a command: a lost one
/// leaves the seat "connected" in the authority's record, so the bot never stands in for it and
/// a lobby never gives the seat up.
@Suite struct HeldDisconnectTests {
    @Test func aDisconnectReportNobodyHeardIsPublishedAgainUntilHeard() {
        var h = Harness()
        let (game, _) = h.seat(1)
        #expect(h.on(.closed(h.peer(1))) == ["unsubscribe \(game)", "report disconnect \(game) conn 1 as p1"])
        #expect(h.on(.published(command: "gw-2", receivers: 0, now: h.now)) == ["retry 1 in 25 ms"])
        #expect(h.core.heldCount == 1)
        #expect(h.on(.timerFired(.handover(connection: 1))) == ["count republished", "report disconnect \(game) conn 1 as p1"])
        #expect(h.on(.published(command: "gw-2", receivers: 1, now: h.now)) == [])
        #expect(h.core.heldCount == 0)
        #expect(h.on(.timerFired(.handover(connection: 1))) == [])
    }

    /// The report waits for the connection's publish in flight (a leave: the authority applies it
    /// first); nobody hearing it within the bound is counted.
    @Test func aDisconnectReportWaitsForThePublishInFlightAndIsCountedWhenLost() {
        var h = Harness(configuration: HandoverTests.limits(timeout: .seconds(1)))
        let (game, _) = h.seat(1)
        h.send(1, #"{"type":"roll","id":8}"#)
        #expect(h.on(.closed(h.peer(1))) == ["unsubscribe \(game)"])
        #expect(h.on(.published(command: "gw-2", receivers: 1, now: h.now)) == ["report disconnect \(game) conn 1 as p1"])
        #expect(h.on(.published(command: "gw-3", receivers: 0, now: h.now)) == ["retry 1 in 25 ms"])
        h.on(.timerFired(.handover(connection: 1)))
        #expect(h.on(.published(command: "gw-3", receivers: 0, now: h.now + .seconds(1))) == ["count disconnectReportLost"])
        #expect(h.core.heldCount == 0)
    }

    /// Redis refusing the report is counted too (the shell logs it).
    @Test func aDisconnectReportRedisRefusedIsCounted() {
        var h = Harness()
        let (game, _) = h.seat(1)
        h.on(.closed(h.peer(1)))
        #expect(h.on(.publishFailed(command: "gw-2")) == ["count disconnectReportLost"])
        _ = game
    }
}
