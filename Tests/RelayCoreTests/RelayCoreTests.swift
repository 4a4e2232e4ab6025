import RelayCore
import RelayProtocol
import Testing

/// The relay's core, one event at a time, with every action it returns. Each race the relay had
/// (see `git log -- Sources/Gateway/Relay`) is a table here; RelayHubTests play the same ones
/// against a real Redis.
@Suite struct RelayCoreTests {
    @Test func aSeatRequestSubscribesFirstThenPublishesAndTheWelcomeBringsTheNewestState() {
        var h = Harness()
        h.open(1)
        #expect(h.send(1, #"{"type":"create","name":"Ann","id":7}"#) == ["subscribe GAME1"])
        #expect(h.on(.subscribed(Harness.game("GAME1"))) == ["schedule gw-1", "publish gw-1 create GAME1 seat h1 from 192.0.2.1"])
        // The state is published before the welcome: kept for the newcomer, sent to nobody yet.
        #expect(h.state("GAME1", seq: 1) == [])
        #expect(h.reply(.welcome, "gw-1", to: 1, game: "GAME1", player: "p1")
                == ["cancel gw-1", "send 1 welcome GAME1 p1 token t1 re 7", "send 1 state s1"])
        #expect(h.send(1, #"{"type":"roll","id":8}"#) == ["schedule gw-2", "publish gw-2 roll GAME1 as p1"])
        #expect(h.state("GAME1", seq: 2) == ["broadcast GAME1 s2 to [1]"])
        #expect(h.reply(.ack, "gw-2", to: 1, game: "GAME1", seq: 2) == ["cancel gw-2", "send 1 ack GAME1 2 re 8"])
    }

    /// 60ca16e: one seat request at a time per connection.
    @Test func aSecondSeatRequestWhileTheFirstAwaitsItsWelcomeIsRefused() {
        var h = Harness()
        h.open(1)
        #expect(h.send(1, #"{"type":"create","name":"Ann","id":1}"#) == ["subscribe GAME1"])
        // Queued behind the first while its game's channel is being subscribed ...
        #expect(h.send(1, #"{"type":"create","name":"Ann","id":2}"#) == [])
        #expect(h.send(1, #"{"type":"spectate","game":"ABC234","id":3}"#) == [])
        // ... and refused once the first is published.
        #expect(h.on(.subscribed(Harness.game("GAME1"))) == [
            "schedule gw-1", "publish gw-1 create GAME1 seat h1 from 192.0.2.1",
            "send 1 error already_seated re 2", "send 1 error already_seated re 3",
        ])
        h.reply(.welcome, "gw-1", to: 1, game: "GAME1", player: "p1")
        #expect(h.send(1, #"{"type":"join","game":"ABC234","name":"Ann","id":4}"#) == ["send 1 error already_seated re 4"])
        #expect(h.core.gamesWithMembers == 1)
    }

    /// 60ca16e: a seat welcomed after its connection closed is reported disconnected, and the
    /// seat request's interest is given back.
    @Test func aWelcomeArrivingAfterTheHangUpReportsTheSeatDisconnected() {
        var h = Harness()
        h.open(1)
        h.send(1, #"{"type":"create","name":"Ann"}"#)
        h.on(.subscribed(Harness.game("GAME1")))
        #expect(h.on(.closed(h.peer(1))) == [])
        #expect(h.reply(.welcome, "gw-1", to: 1, game: "GAME1", player: "p1")
                == ["cancel gw-1", "unsubscribe GAME1", "report disconnect GAME1 conn 1 as p1"])
        #expect(h.core.interest(in: Harness.game("GAME1")) == 0)
    }

    /// 94998f9: a leave acknowledged after the hang-up releases the game once in total, so a
    /// spectator of it stays subscribed.
    @Test func aLeaveAcknowledgedAfterTheHangUpReleasesOnce() {
        var h = Harness()
        let (game, _) = h.seat(1)
        h.open(2)
        #expect(h.send(2, #"{"type":"spectate","game":"\#(game)"}"#) == ["read last \(game) for spectator 2"])
        #expect(h.on(.storedState(Harness.game(game), .state(Harness.arrival(game, seq: 1)), for: .spectator(connection: 2, re: .null)))
                == ["send 2 welcome \(game) - token - re null", "send 2 state s1"])
        #expect(h.core.interest(in: Harness.game(game)) == 2)
        #expect(h.send(1, #"{"type":"leave"}"#) == ["schedule gw-2", "publish gw-2 leave \(game) as p1"])
        h.on(.published(command: "gw-2", receivers: 1, now: h.now))
        #expect(h.on(.closed(h.peer(1))) == ["report disconnect \(game) conn 1 as p1"])
        #expect(h.reply(.ack, "gw-2", to: 1, game: game, seq: 2) == ["cancel gw-2"])
        #expect(h.core.interest(in: Harness.game(game)) == 1)
        #expect(h.state(game, seq: 2) == ["broadcast \(game) s2 to [2]"])
    }

    /// A revoke gives back the seat's interest once; the hang-up after it gives back nothing.
    @Test func aRevokedSeatReleasesOnceAndTheHangUpAfterItNothing() {
        var h = Harness()
        let (game, _) = h.seat(1)
        #expect(h.reply(.revoke, nil, to: 1, game: game, player: "p1") == ["unsubscribe \(game)", "send 1 error seat_taken re null"])
        #expect(h.on(.closed(h.peer(1))) == [])
        // A revoke for a seat the connection no longer holds changes nothing.
        h.open(2)
        #expect(h.reply(.revoke, nil, to: 2, game: game, player: "p1") == [])
    }

    /// 4b67aa4, e2d8021: a reply lost around a Redis reconnect is recovered from the game's stored
    /// last state when it names the command: the state, then the reply it implies.
    @Test func aLostWelcomeAndALostAcknowledgementAreRecoveredFromTheStoredState() {
        var h = Harness()
        h.open(1)
        h.send(1, #"{"type":"create","name":"Ann","id":7}"#)
        h.on(.subscribed(Harness.game("GAME1")))
        #expect(h.on(.timerFired(.acknowledgement(command: "gw-1"))) == ["read last GAME1 to recover gw-1"])
        let stored = #"{"type":"state","seq":1,"cmd":{"id":"gw-1","player":"p1"}}"#
        #expect(h.on(.storedState(Harness.game("GAME1"), .state(Harness.arrival("GAME1", seq: 1, payload: stored)), for: .recovery(command: "gw-1")))
                == ["cancel gw-1", "send 1 welcome GAME1 p1 token t1 re 7", "send 1 state s1"])
        h.send(1, #"{"type":"leave","id":9}"#)
        h.on(.timerFired(.acknowledgement(command: "gw-2")))
        let left = #"{"type":"state","seq":2,"cmd":{"id":"gw-2","player":"p1"}}"#
        // A recovered leave frees the connection.
        #expect(h.on(.storedState(Harness.game("GAME1"), .state(Harness.arrival("GAME1", seq: 2, payload: left)), for: .recovery(command: "gw-2")))
                == ["broadcast GAME1 s2 to [1]", "cancel gw-2", "send 1 ack GAME1 2 re 9", "unsubscribe GAME1"])
        #expect(h.core.game(of: 1) == nil)
    }

    /// 7428f6b: a seat request given up after the timeout (the stored state moved on) is answered
    /// authority_unavailable, reported disconnected and gives back its interest; the connection
    /// may ask again.
    @Test func aSeatRequestGivenUpAfterTheTimeoutIsReportedDisconnected() {
        var h = Harness()
        h.open(1)
        h.send(1, #"{"type":"join","game":"ABC234","name":"Bob","id":5}"#)
        h.on(.subscribed(Harness.game("ABC234")))
        h.on(.timerFired(.acknowledgement(command: "gw-1")))
        let movedOn = #"{"type":"state","seq":3,"cmd":{"id":"gw2-1","player":"p3"}}"#
        #expect(h.on(.storedState(Harness.game("ABC234"), .state(Harness.arrival("ABC234", seq: 3, payload: movedOn)), for: .recovery(command: "gw-1")))
                == ["count authorityUnavailable", "send 1 error authority_unavailable re 5",
                    "report disconnect ABC234 conn 1", "unsubscribe ABC234"])
        // A late welcome after that changes nothing; a new join is forwarded.
        #expect(h.reply(.welcome, "gw-1", to: 1, game: "ABC234", player: "p2") == [])
        #expect(h.send(1, #"{"type":"join","game":"ABC234","name":"Bob","id":6}"#) == [])
        #expect(h.on(.unsubscribed(Harness.game("ABC234"))) == ["subscribe ABC234"])
    }

    /// A reply arriving while the stored state is read wins; the recovery then does nothing.
    @Test func aLateReplyDuringRecoveryIsTheOnlyAnswer() {
        var h = Harness()
        let (game, _) = h.seat(1)
        h.send(1, #"{"type":"roll","id":2}"#)
        h.on(.timerFired(.acknowledgement(command: "gw-2")))
        h.state(game, seq: 2)
        #expect(h.reply(.ack, "gw-2", to: 1, game: game, seq: 2) == ["cancel gw-2", "send 1 ack \(game) 2 re 2"])
        #expect(h.on(.storedState(Harness.game(game), .unreadable, for: .recovery(command: "gw-2"))) == [])
    }

    /// Duplicates (a resync racing the live feed) and stale states are never sent; chat always is.
    @Test func staleAndDuplicateStatesAreDroppedChatIsNot() {
        var h = Harness()
        let (game, _) = h.seat(1)
        #expect(h.state(game, seq: 3) == ["broadcast \(game) s3 to [1]"])
        #expect(h.state(game, seq: 3) == [])
        #expect(h.state(game, seq: 2) == [])
        #expect(h.state(game, seq: nil) == ["broadcast \(game) chat to [1] unconflated"])
        #expect(h.on(.subscriberReconnected) == ["read last \(game) to resynchronize"])
        #expect(h.on(.storedState(Harness.game(game), .state(Harness.arrival(game, seq: 3)), for: .resynchronization)) == [])
        #expect(h.on(.storedState(Harness.game(game), .state(Harness.arrival(game, seq: 4)), for: .resynchronization))
                == ["broadcast \(game) s4 to [1]"])
        // A game nobody here follows is not fanned out.
        #expect(h.state("ZZZ234", seq: 9) == [])
    }

    /// A gateway whose heartbeat lapsed (SIGSTOPped past GATEWAY_TIMEOUT) closes its seated
    /// clients with 1012: the authority may have disconnected their seats. Spectators hold none.
    @Test func aLapsedHeartbeatRestartsTheSeatedClientsOnly() {
        var h = Harness()
        let (game, _) = h.seat(1)
        h.open(2)
        h.send(2, #"{"type":"spectate","game":"\#(game)"}"#)
        h.on(.storedState(Harness.game(game), .state(Harness.arrival(game, seq: 1)), for: .spectator(connection: 2, re: .null)))
        h.open(3)
        #expect(h.on(.heartbeatLapsed) == ["count heartbeatLapse", "restart 1"])
    }

    /// After a Redis rollback the authority publishes seq numbers again in a new epoch: a newer
    /// epoch is taken whatever its seq and replaces the newest state (what a member entering gets),
    /// an older one is dropped, and within an epoch the seq rules stay.
    @Test func aNewerEpochIsTakenWhateverItsSeqAnOlderOneIsDropped() {
        var h = Harness()
        let (game, _) = h.seat(1)
        #expect(h.state(game, seq: 5, epoch: 100) == ["broadcast \(game) s5@100 to [1]"])  // epoch 100 is newer than none
        #expect(h.state(game, seq: 7, epoch: 100) == ["broadcast \(game) s7@100 to [1]"])
        // Redis went back to seq 5; the reloaded game's next state is 6, in epoch 200.
        #expect(h.state(game, seq: 6, epoch: 200) == ["broadcast \(game) s6@200 to [1]"])
        #expect(h.state(game, seq: 6, epoch: 200) == [])  // a duplicate within the epoch
        #expect(h.state(game, seq: 9, epoch: 100) == [])  // a stale authority's, or a delayed one
        #expect(h.on(.storedState(Harness.game(game), .state(Harness.arrival(game, seq: 7, epoch: 100)), for: .resynchronization)) == [])
        #expect(h.state(game, seq: 7, epoch: 200) == ["broadcast \(game) s7@200 to [1]"])
        // A spectator entering now gets the new epoch's state, not the higher seq of the old one.
        h.open(2)
        h.send(2, #"{"type":"spectate","game":"\#(game)","id":3}"#)
        #expect(h.on(.storedState(Harness.game(game), .state(Harness.arrival(game, seq: 8, epoch: 100)), for: .spectator(connection: 2, re: .number(3))))
                == ["send 2 welcome \(game) - token - re 3", "send 2 state s7@200"])
    }

    /// A connection's requests are handled in order: a chat behind a join that waits for its
    /// subscription is handled after the join was published (and refused: not seated yet).
    @Test func oneConnectionsRequestsRunInOrder() {
        var h = Harness()
        h.open(1)
        h.send(1, #"{"type":"join","game":"ABC234","name":"Bob","id":1}"#)
        #expect(h.send(1, #"{"type":"chat","text":"hi","id":2}"#) == [])
        #expect(h.on(.subscribed(Harness.game("ABC234")))
                == ["schedule gw-1", "publish gw-1 join ABC234 seat h1", "send 1 error not_seated re 2"])
    }

    /// With no authority seen, the lease is read once for all the commands waiting on it.
    @Test func commandsWaitForOneLeaseReadWhenNoAuthorityWasSeen() {
        var h = Harness(authorityAlive: false)
        h.open(1)
        h.open(2)
        h.send(1, #"{"type":"create","name":"Ann"}"#)
        #expect(h.on(.subscribed(Harness.game("GAME1"))) == ["check authority"])
        #expect(h.send(2, #"{"type":"join","game":"GAME1","name":"Bob"}"#) == [])
        #expect(h.core.pendingCount == 0)
        #expect(h.on(.authorityChecked(alive: true)) == [
            "schedule gw-1", "publish gw-1 create GAME1 seat h1 from 192.0.2.1", "schedule gw-2", "publish gw-2 join GAME1 seat h2",
        ])
        h.reply(.welcome, "gw-1", to: 1, game: "GAME1", player: "p1")
        // The authority is gone: each command waits for a read of the lease, then hears so.
        #expect(h.on(.authorityChecked(alive: false)) == [])
        #expect(h.send(1, #"{"type":"roll","id":3}"#) == ["check authority"])
        #expect(h.send(1, #"{"type":"roll","id":4}"#) == [])
        #expect(h.on(.authorityChecked(alive: false))
                == ["count authorityUnavailable", "send 1 error authority_unavailable re 3", "check authority"])
        #expect(h.on(.authorityChecked(alive: false)) == ["count authorityUnavailable", "send 1 error authority_unavailable re 4"])
    }

    @Test func aSeatRequestOfAConnectionThatClosedWhileTheLeaseWasReadIsDropped() {
        var h = Harness(authorityAlive: false)
        h.open(1)
        h.send(1, #"{"type":"create","name":"Ann"}"#)
        #expect(h.on(.subscribed(Harness.game("GAME1"))) == ["check authority"])
        h.on(.closed(h.peer(1)))
        #expect(h.on(.authorityChecked(alive: true)) == ["unsubscribe GAME1"])
    }

    /// With holding off (`--handover-timeout 0`; `HandoverTests` for the hold).
    @Test func nobodyListeningOrRedisFailingAnswersAuthorityUnavailableAndReleasesTheSeatRequest() {
        var h = Harness(configuration: RelayCoreConfiguration(gatewayID: "gw", handover: HandoverHolds.Limits(timeout: .zero)))
        h.open(1)
        h.send(1, #"{"type":"create","name":"Ann","id":1}"#)
        h.on(.subscribed(Harness.game("GAME1")))
        #expect(h.on(.published(command: "gw-1", receivers: 0, now: h.now))
                == ["cancel gw-1", "count authorityUnavailable", "send 1 error authority_unavailable re 1", "unsubscribe GAME1"])
        h.on(.unsubscribed(Harness.game("GAME1")))
        h.send(1, #"{"type":"create","name":"Ann","id":2}"#)
        h.on(.subscribed(Harness.game("GAME2")))
        #expect(h.on(.publishFailed(command: "gw-2"))
                == ["cancel gw-2", "count authorityUnavailable", "send 1 error authority_unavailable re 2", "unsubscribe GAME2"])
    }

    @Test func aSubscribeThatFailsAnswersRedisUnavailable() {
        var h = Harness()
        h.open(1)
        h.send(1, #"{"type":"spectate","game":"ABC234","id":1}"#)
        #expect(h.on(.subscribeFailed(Harness.game("ABC234"))) == ["send 1 error redis_unavailable re 1"])
        #expect(h.core.followedGames == 0)
    }

    @Test func spectatingAGameWithNoStateIsUnknownGame() {
        var h = Harness()
        h.open(1)
        h.send(1, #"{"type":"spectate","game":"ABC234","id":1}"#)
        h.on(.subscribed(Harness.game("ABC234")))
        #expect(h.on(.storedState(Harness.game("ABC234"), .none, for: .spectator(connection: 1, re: .number(1))))
                == ["unsubscribe ABC234", "send 1 error unknown_game re 1"])
    }

    @Test func theRateLimitRefusesThenCloses() {
        var h = Harness(configuration: RelayCoreConfiguration(gatewayID: "gw", messagesPerSecond: 1, messageBurst: 1, rateLimitStrikes: 2))
        h.open(1)
        #expect(h.send(1, #"{"type":"lobby"}"#) == ["read lobby"])
        #expect(h.send(1, #"{"type":"lobby"}"#) == ["count rateLimited", "send 1 error rate_limited re null"])
        #expect(h.send(1, #"{"type":"lobby"}"#) == ["close 1 rate limit"])
        // A refill forgives the strikes.
        #expect(h.send(1, "nope", at: h.now + .seconds(5)) == ["send 1 error invalid_json re null"])
    }

    @Test func createsAreLimitedPerAddress() {
        var h = Harness(configuration: RelayCoreConfiguration(gatewayID: "gw", createsPerMinute: 1))
        h.open(1, address: "192.0.2.1")
        h.open(2, address: "192.0.2.2")
        #expect(h.send(1, #"{"type":"create","name":"Ann","id":1}"#) == ["subscribe GAME1"])
        h.open(3, address: "192.0.2.1")
        #expect(h.send(3, #"{"type":"create","name":"Ann","id":2}"#, address: "192.0.2.1") == ["send 3 error rate_limited re 2"])
        #expect(h.send(2, #"{"type":"create","name":"Bob","id":3}"#, address: "192.0.2.2") == ["subscribe GAME3"])
    }

    @Test func theLobbyIsReadOnceForItsWatchersAndPushedOnChanges() {
        var h = Harness()
        h.open(1)
        h.open(2)
        #expect(h.send(1, #"{"type":"lobby","id":"a"}"#) == ["read lobby"])
        #expect(h.send(2, #"{"type":"lobby","id":"b"}"#) == [])
        let list = LobbyList(games: [.object(["game": .string("ABC234")])])
        #expect(h.on(.lobbyRead(list)) == [#"send 1 lobby of 1 re "a""#, #"send 2 lobby of 1 re "b""#])
        #expect(h.send(1, #"{"type":"lobby","id":"c"}"#) == [#"send 1 lobby of 1 re "c""#])
        #expect(h.on(.lobbyChanged) == ["read lobby"])
        #expect(h.on(.lobbyChanged) == [])
        #expect(h.on(.lobbyRead(list)) == ["push lobby of 1 to [1, 2]", "read lobby"])
        h.on(.closed(h.peer(2)))
        #expect(h.on(.lobbyRead(list)) == ["push lobby of 1 to [1]"])
    }

    @Test func aHangUpLeavesTheGameAndReportsTheSeat() {
        var h = Harness()
        let (game, _) = h.seat(1)
        #expect(h.on(.closed(h.peer(1))) == ["unsubscribe \(game)", "report disconnect \(game) conn 1 as p1"])
        #expect(h.core.sessionCount == 0 && h.core.followedGames == 0)
        // Events for the closed connection change nothing.
        #expect(h.send(1, #"{"type":"roll"}"#) == ["close 1 rate limit"])
    }
}
