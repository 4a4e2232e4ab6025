import NIOConcurrencyHelpers
import RelayProtocol

/// The open games (in the lobby or running) of each creator's address: at most `limit` per address
/// (`MAX_GAMES_PER_CLIENT`), so one host cannot fill the lobby and the authority with games. The
/// authority sees every `create`, so its count is global whatever gateway a create came through.
/// Pure; `OpenGamesLedger` shares it between the game runners.
struct OpenGames: Sendable, Equatable {
    let limit: Int
    /// Game -> its creator's address, for the games counted.
    private(set) var creators: [GameID: String] = [:]
    /// Address -> how many of its games are open (no entry at zero).
    private(set) var counts: [String: Int] = [:]

    init(limit: Int) {
        self.limit = limit
    }

    /// Counts `game` for `address` if the address has room: false when it holds `limit` open games.
    mutating func reserve(_ game: GameID, for address: String) -> Bool {
        if creators[game] == address { return true }
        guard counts[address, default: 0] < limit else { return false }
        set(game, creator: address)
        return true
    }

    /// `game` is open and was created from `creator`; nil: it is not open (finished, closed, never
    /// created), which frees its creator's slot.
    mutating func set(_ game: GameID, creator: String?) {
        let previous = creators[game]
        guard previous != creator else { return }
        if let previous {
            let left = counts[previous, default: 1] - 1
            counts[previous] = left > 0 ? left : nil
        }
        creators[game] = creator
        if let creator { counts[creator, default: 0] += 1 }
    }

    func count(for address: String) -> Int { counts[address, default: 0] }
}

/// `OpenGames` behind a lock, shared by the runners: a runner reserves a slot before it applies a
/// `create` and reports its game's creator after every input. Kept in memory, not in Redis: an
/// authority that takes over counts the games it resumes as their runners load their records.
final class OpenGamesLedger: Sendable {
    private let games: NIOLockedValueBox<OpenGames>

    init(limit: Int) {
        games = NIOLockedValueBox(OpenGames(limit: limit))
    }

    var limit: Int { games.withLockedValue(\.limit) }

    func reserve(_ game: GameID, for address: String) -> Bool {
        games.withLockedValue { $0.reserve(game, for: address) }
    }

    func set(_ game: GameID, creator: String?) {
        games.withLockedValue { $0.set(game, creator: creator) }
    }

    func count(for address: String) -> Int {
        games.withLockedValue { $0.count(for: address) }
    }

    /// The lease is lost: the next holder counts for itself.
    func removeAll() {
        games.withLockedValue { $0 = OpenGames(limit: $0.limit) }
    }
}
