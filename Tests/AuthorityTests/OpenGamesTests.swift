import RelayProtocol
import Testing
@testable import Authority

/// The count of open games per creator's address (`MAX_GAMES_PER_CLIENT`).
@Suite struct OpenGamesTests {
    let a = GameID(rawValue: "AAAAAA")!, b = GameID(rawValue: "BBBBBB")!, c = GameID(rawValue: "CCCCCC")!, d = GameID(rawValue: "DDDDDD")!

    @Test func anAddressHoldsAtMostTheLimitAndAClosedGameFreesItsSlot() {
        var games = OpenGames(limit: 2)
        let first = [games.reserve(a, for: "192.0.2.1"), games.reserve(b, for: "192.0.2.1"), games.reserve(c, for: "192.0.2.1")]
        #expect(first == [true, true, false])
        // Another address has its own slots; reserving a game already counted is no second slot.
        let others = [games.reserve(c, for: "192.0.2.2"), games.reserve(a, for: "192.0.2.1")]
        #expect(others == [true, true])
        #expect(games.count(for: "192.0.2.1") == 2)
        // A game that finished (or a create that failed) is set to no creator: its slot is free.
        games.set(a, creator: nil)
        #expect(games.count(for: "192.0.2.1") == 1)
        let again = games.reserve(d, for: "192.0.2.1")
        #expect(again)
        // Setting twice counts once; forgetting what is not counted changes nothing.
        games.set(d, creator: "192.0.2.1")
        games.set(a, creator: nil)
        #expect(games.count(for: "192.0.2.1") == 2)
    }

    @Test func addressesLeaveTheTableAtZero() {
        var games = OpenGames(limit: 3)
        games.set(a, creator: "192.0.2.1")
        games.set(b, creator: "192.0.2.2")
        games.set(a, creator: nil)
        games.set(b, creator: nil)
        #expect(games == OpenGames(limit: 3))
    }

    @Test func aGameRecountedUnderAnotherCreatorMovesItsSlot() {
        // A create for a game that exists (refused) reserved the slot for its sender; the runner
        // then reports the record's own creator.
        var games = OpenGames(limit: 1)
        let reserved = games.reserve(a, for: "192.0.2.9")
        #expect(reserved)
        games.set(a, creator: "192.0.2.1")
        #expect(games.count(for: "192.0.2.9") == 0 && games.count(for: "192.0.2.1") == 1)
    }

    /// The authority sees every create, whatever gateway it came through: the rate is counted
    /// there over all of them (each gateway counts only its own, so three gateways let an address
    /// create three times the rate). A create refused for its open games takes nothing from it.
    @Test func theCreateRateIsCountedOverEveryGatewayAndARefusedCreateTakesNothing() {
        let start = ContinuousClock.now
        let ledger = OpenGamesLedger(limit: 2, createsPerMinute: 2)
        #expect(ledger.reserve(a, for: "192.0.2.1", now: start) == nil)
        #expect(ledger.reserve(b, for: "192.0.2.1", now: start) == nil)
        // Its open games are full: refused as such, no token taken.
        #expect(ledger.reserve(c, for: "192.0.2.1", now: start) == .tooManyGames)
        ledger.set(a, creator: nil)
        ledger.set(b, creator: nil)
        // Both slots free, but two creates this minute already.
        #expect(ledger.reserve(c, for: "192.0.2.1", now: start) == .tooFast)
        #expect(ledger.reserve(c, for: "192.0.2.2", now: start) == nil)
        #expect(ledger.reserve(d, for: "192.0.2.1", now: start + .seconds(31)) == nil)
        #expect(ledger.count(for: "192.0.2.1") == 1)
    }

    /// `MAX_GAMES_PER_AUTHORITY`: the open games this authority holds, from any address, bound
    /// its creates; a game no longer open frees room, and a game it takes over (`set` after its
    /// load) is counted without being refused.
    @Test func createsFromManyAddressesStopAtTheAuthoritysCapacity() {
        let ledger = OpenGamesLedger(limit: 1, capacity: 2)
        #expect(ledger.reserve(a, for: "192.0.2.1") == nil)
        #expect(ledger.reserveRoom(b, for: "192.0.2.2"))  // the path with ClientQuota
        #expect(ledger.reserve(c, for: "192.0.2.3") == .full)
        #expect(!ledger.reserveRoom(c, for: "192.0.2.3"))
        #expect(ledger.reserveRoom(b, for: "192.0.2.2"))  // already counted: no second room
        ledger.set(a, creator: nil)
        #expect(ledger.reserve(c, for: "192.0.2.3") == nil)
        ledger.set(d, creator: "192.0.2.4")  // taken over: loaded past the capacity
        #expect(ledger.gamesByCreator().values.joined().count == 3)
        ledger.set(b, creator: nil)
        #expect(ledger.reserve(a, for: "192.0.2.1") == .full)
        ledger.set(c, creator: nil)
        #expect(ledger.reserve(a, for: "192.0.2.1") == nil)
    }
}
