import Foundation
import RelayProtocol
import Testing
@testable import RelayCore

/// The lobby list a gateway serves: its order, its bound, its encoding.
@Suite struct GatewayLobbyListTests {
    func entry(_ game: String, _ phase: String) -> [UInt8] {
        Array(WireJSON.encode(JSONValue.object(["game": .string(game), "phase": .string(phase), "players": .number(1)])).utf8)
    }

    @Test func lobbiesComeFirstThenRunningGamesEachByCodeAndUnreadableEntriesAreLeftOut() {
        let list = LobbyList(entries: [entry("ZZZ222", "lobby"), entry("AAA222", "playing"), Array("{nope".utf8),
                                       entry("MMM222", "lobby"), entry("BBB222", "playing")])
        #expect(list.games.map { $0["game"]?.stringValue } == ["MMM222", "ZZZ222", "AAA222", "BBB222"])
    }

    @Test func atMost200GamesAreListedLobbiesKept() {
        let running = (0..<150).map { entry(String(format: "R%05d", $0), "playing") }
        let lobbies = (0..<100).map { entry(String(format: "L%05d", $0), "lobby") }
        let list = LobbyList(entries: running + lobbies)
        #expect(list.games.count == LobbyList.maximumGames)
        #expect(list.games.prefix(100).allSatisfy { $0["phase"] == .string("lobby") })
        #expect(list.games.last?["game"] == .string("R00099"))
    }

    @Test(arguments: [JSONValue.null, .string("a\"b"), .number(7), .object(["k": .array([.bool(true)])])])
    func theSplicedMessageIsTheEncodedMessage(_ re: JSONValue) {
        let list = LobbyList(entries: [entry("ABC234", "lobby"), entry("XYZ234", "playing")])
        #expect(list.message(re: re, serverTime: 1_764_100_000.125)
                == ServerMessage.lobby(games: list.games, re: re, serverTime: 1_764_100_000.125))
        #expect(LobbyList(entries: []).message(re: re, serverTime: 1) == ServerMessage.lobby(games: [], re: re, serverTime: 1))
    }
}
