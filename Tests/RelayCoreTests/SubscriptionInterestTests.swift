import RelayCore
import RelayProtocol
import Testing

/// The counted interest in a game's state channel and the one change in flight per game.
@Suite struct SubscriptionInterestTests {
    let game = GameID(rawValue: "ABC234")!

    /// What one step says, as text: the change, then the waiters resumed and failed.
    func line(_ step: SubscriptionInterest<String>.Step) -> String {
        var parts: [String] = []
        switch step.change {
        case .subscribe: parts.append("subscribe")
        case .unsubscribe: parts.append("unsubscribe")
        case nil: break
        }
        if !step.ready.isEmpty { parts.append("ready \(step.ready.joined(separator: ","))") }
        if !step.failed.isEmpty { parts.append("failed \(step.failed.joined(separator: ","))") }
        return parts.joined(separator: "; ")
    }

    enum Event { case retain(String), release, subscribed, subscribeFailed, unsubscribed }

    func run(_ events: [Event]) -> (lines: [String], machine: SubscriptionInterest<String>) {
        var machine = SubscriptionInterest<String>()
        let lines = events.map { event -> String in
            switch event {
            case .retain(let waiter): line(machine.retain(game, waiter))
            case .release: line(machine.release(game))
            case .subscribed: line(machine.subscribed(game))
            case .subscribeFailed: line(machine.subscribeFailed(game))
            case .unsubscribed: line(machine.unsubscribed(game))
            }
        }
        return (lines, machine)
    }

    /// The race fixed in 1e95f72: the last member leaves while another enters. The newcomer waits
    /// for the UNSUBSCRIBE in flight, then a SUBSCRIBE follows: it never ends unsubscribed.
    @Test func aMemberEnteringWhileTheLastLeavesEndsSubscribed() {
        let (lines, machine) = run([.retain("A"), .subscribed, .release, .retain("B"), .unsubscribed, .subscribed])
        #expect(lines == ["subscribe", "ready A", "unsubscribe", "", "subscribe", "ready B"])
        #expect(machine.channel(of: game) == .subscribed)
        #expect(machine.interest(in: game) == 1)
    }

    @Test func interestWhileSubscribedIsReadyAtOnceAndOnlyTheLastReleaseUnsubscribes() {
        let (lines, machine) = run([.retain("A"), .subscribed, .retain("B"), .release, .release, .unsubscribed])
        #expect(lines == ["subscribe", "ready A", "ready B", "", "unsubscribe", ""])
        #expect(machine.channel(of: game) == .unsubscribed)
        #expect(machine.followedGames.isEmpty)
    }

    @Test func everyoneLeavingWhileTheSubscribeIsInFlightUnsubscribesWhenItIsConfirmed() {
        let (lines, machine) = run([.retain("A"), .release, .subscribed, .unsubscribed])
        #expect(lines == ["subscribe", "", "unsubscribe; ready A", ""])
        #expect(machine.channel(of: game) == .unsubscribed)
    }

    @Test func aFailedSubscribeFailsItsWaitersAndTheNextInterestTriesAgain() {
        let (lines, machine) = run([.retain("A"), .retain("B"), .subscribeFailed, .release, .release, .retain("C")])
        #expect(lines == ["subscribe", "", "failed A,B", "", "", "subscribe"])
        #expect(machine.interest(in: game) == 1)
    }

    @Test func moreReleasesThanRetainsNeverGoBelowZero() {
        let (lines, machine) = run([.release, .retain("A"), .subscribed, .release, .release, .unsubscribed, .release])
        #expect(lines == ["", "subscribe", "ready A", "unsubscribe", "", "", ""])
        #expect(machine.interest(in: game) == 0)
    }
}

/// The lobby list cache and its one read at a time.
@Suite struct LobbyRefreshTests {
    let list = LobbyList(games: [])

    /// The burst fixed in 5d6a881: 50 changes while a watcher waits are two reads, not fifty.
    @Test func aBurstOfChangesDuringARead() {
        var lobby = LobbyRefresh<Int>()
        let starts = (0..<50).map { _ in lobby.changed(anyoneWatching: true) }
        #expect(starts.filter { $0 }.count == 1)
        let first = lobby.read(list)
        #expect(first.push && first.readAgain)
        let second = lobby.read(list)
        #expect(second.push && !second.readAgain)
        #expect(lobby.reading == .idle && lobby.list != nil)
    }

    @Test func requestsShareOneReadThenTheCache() {
        var lobby = LobbyRefresh<Int>()
        guard case .wait(startRead: true) = lobby.request(1), case .wait(startRead: false) = lobby.request(2) else {
            Issue.record("the first request reads, the second waits for it")
            return
        }
        let read = lobby.read(list)
        #expect(read.answered == [1, 2] && !read.push && !read.readAgain)
        guard case .list = lobby.request(3) else {
            Issue.record("answered from the cache")
            return
        }
    }

    /// A list read while a change came in may predate it: served to those waiting, never cached.
    @Test func aListReadDuringAChangeIsServedButNotCached() {
        var lobby = LobbyRefresh<Int>()
        _ = lobby.request(1)
        let started = lobby.changed(anyoneWatching: false)
        #expect(!started)
        let read = lobby.read(list)
        #expect(read.answered == [1] && !read.readAgain)
        #expect(lobby.list == nil)
    }

    @Test func aSubscriberAwayDropsTheCacheAndTheReadInFlight() {
        var lobby = LobbyRefresh<Int>()
        let started = lobby.changed(anyoneWatching: true)
        #expect(started)
        lobby.forget()
        let read = lobby.read(list)
        #expect(read.push && read.readAgain && lobby.list == nil)
    }

    @Test func aFailedReadIsNotRetriedInALoop() {
        var lobby = LobbyRefresh<Int>()
        _ = lobby.request(1)
        _ = lobby.changed(anyoneWatching: true)
        let read = lobby.read(nil)
        #expect(read.answered == [1] && !read.push && !read.readAgain)
        #expect(lobby.reading == .idle && lobby.pushDue)
    }
}
