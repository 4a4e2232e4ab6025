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
}
