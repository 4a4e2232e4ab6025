import Testing
@testable import Monopoly

/// A started game with `n` players ("p1"...), printed card order, and the given options.
func newGame(_ n: Int = 2, _ options: GameOptions = GameOptions(shuffleCards: false), seed: UInt64 = 42) -> GameState {
    var g = GameState(options: options, seed: seed)
    let names = ["Alice", "Bob", "Carol", "Dave", "Erin", "Frank", "Grace", "Heidi"]
    for k in 0..<n { _ = try! g.join(name: names[k]) }
    _ = try! g.apply(.start, by: "p1")
    return g
}

extension GameState {
    /// Applies a command with scripted dice; a broken invariant fails the test (an issue is
    /// recorded where it was called) and the run goes on with the other tests.
    @discardableResult
    mutating func run(_ c: Command, _ p: PlayerID, dice: [Int] = [], sourceLocation: SourceLocation = #_sourceLocation) throws(RuleViolation) -> [Event] {
        var d = ScriptedDice(dice)
        let events = try apply(c, by: p, dice: &d)
        let broken = checkInvariants()
        if !broken.isEmpty {
            Issue.record("invariants broken after \(c): \(broken)", sourceLocation: sourceLocation)
        }
        return events
    }

    /// Sets a player's cash, keeping the money ledger balanced (the bank pays or receives the difference).
    mutating func setCash(_ p: PlayerID, _ cash: Int) {
        let i = index(of: p)!
        bank.cash -= cash - players[i].cash
        players[i].cash = cash
    }

    /// Gives squares to a player directly (test setup).
    mutating func give(_ squares: [Int], to p: PlayerID) {
        for s in squares { self.squares[s].owner = p }
    }

    /// Puts `count` buildings on a lot, taking them from the bank (test setup).
    mutating func setHouses(_ sq: Int, _ count: Int) {
        let old = squares[sq].houses
        if old == 5 { bank.hotels += 1 } else { bank.houses += old }
        if count == 5 { bank.hotels -= 1 } else { bank.houses -= count }
        squares[sq].houses = count
    }

    /// Mortgages an owned square, the owner receiving the mortgage value (test setup).
    mutating func setMortgaged(_ sq: Int) {
        squares[sq].mortgaged = true
        setCash(squares[sq].owner!, cash(squares[sq].owner!) + Board.squares[sq].mortgage)
    }

    mutating func place(_ p: PlayerID, at sq: Int) { players[index(of: p)!].position = sq }

    func cash(_ p: PlayerID) -> Int { player(p)!.cash }
}

/// The violation code thrown by `body`, or nil.
func violation<T>(_ body: () throws -> T) -> ErrorCode? {
    do {
        _ = try body()
        return nil
    } catch let e as RuleViolation {
        return e.code
    } catch {
        return nil
    }
}

extension GameState {
    /// Puts card `id` on top of its deck (test setup; deck content unchanged).
    mutating func stack(_ deck: DeckKind, _ id: Int) {
        if deck == .chance {
            chanceDeck.removeAll { $0 == id }
            chanceDeck.insert(id, at: 0)
        } else {
            communityChestDeck.removeAll { $0 == id }
            communityChestDeck.insert(id, at: 0)
        }
    }

    /// Hands a Get Out of Jail Free card from its deck to a player (test setup).
    mutating func giveJailCard(_ deck: DeckKind, to p: PlayerID) {
        if deck == .chance { chanceDeck.removeAll { $0 == Cards.jailCardID(.chance) } } else { communityChestDeck.removeAll { $0 == Cards.jailCardID(.communityChest) } }
        players[index(of: p)!].jailCards.append(deck)
    }

    mutating func jail(_ p: PlayerID, turns: Int = 0) {
        let i = index(of: p)!
        players[i].position = Board.jailIndex
        players[i].inJail = true
        players[i].jailTurns = turns
    }
}

/// Bot games (one per seed, 2 to 6 players, `turnLimit`) in which, before every bot move, the
/// commands `interject` returns are sent as well: each must be rejected without changing anything,
/// or keep every invariant (and every stored value in bounds, so the state loads again). Records an issue on the first breach; returns the commands' counts.
func botGames(seeds: ClosedRange<UInt64>, turnLimit: Int, maxSteps: Int, rng: inout SplitMix64,
              interject: (GameState, inout SplitMix64) -> [(PlayerID, Command)]) -> (accepted: Int, rejected: Int) {
    var accepted = 0, rejected = 0
    for seed in seeds {
        var g = GameState(options: GameOptions(freeParkingJackpot: seed % 2 == 0, turnLimit: turnLimit), seed: seed)
        for k in 0..<(2 + Int(seed % 5)) { _ = try! g.join(name: "P\(k)") }
        _ = try! g.apply(.start, by: "p1")
        var steps = 0
        while g.phase == .playing && steps < maxSteps {
            steps += 1
            for (who, command) in interject(g, &rng) {
                let before = g
                do {
                    _ = try g.apply(command, by: who)
                    accepted += 1
                    let broken = g.checkInvariants() + g.storedValueViolations()
                    #expect(broken.isEmpty, "seed \(seed): \(command) by \(who): \(broken)")
                    if !broken.isEmpty { return (accepted, rejected) }
                } catch {
                    rejected += 1
                    #expect(g == before, "seed \(seed): rejected \(command) changed the state")
                }
            }
            guard g.phase == .playing else { break }
            guard let actor = g.respondents.first(where: { Bot.nextCommand(for: $0, in: g) != nil }) else {
                Issue.record("seed \(seed): no bot move at \(String(describing: g.stage))")
                return (accepted, rejected)
            }
            do {
                _ = try g.apply(Bot.nextCommand(for: actor, in: g)!, by: actor)
            } catch {
                Issue.record("seed \(seed): bot move rejected: \(error)")
                return (accepted, rejected)
            }
            let broken = g.checkInvariants() + g.storedValueViolations()
            #expect(broken.isEmpty, "seed \(seed): \(broken)")
            if !broken.isEmpty { return (accepted, rejected) }
        }
        #expect(g.phase == .finished, "seed \(seed) did not finish")
    }
    return (accepted, rejected)
}
