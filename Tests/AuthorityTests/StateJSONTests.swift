import Foundation
import Testing
@testable import Authority
@testable import Monopoly
import RelayProtocol

/// The hand-written JSON of the state, the published state message and the stored record must be
/// byte for byte what `JSONEncoder` makes of their `Encodable` conformances (gateways, browsers,
/// operators and a restarted authority read it): checked after every command of bot games that go
/// through auctions, trades, debts, jail, building shortages and bankruptcies.
@Suite struct StateJSONTests {
    static let optionSets: [GameOptions] = {
        var jackpot = GameOptions()
        jackpot.freeParkingJackpot = true
        jackpot.doubleSalaryOnGo = true
        jackpot.turnLimit = 60
        jackpot.turnSeconds = 30
        var noAuctions = GameOptions()
        noAuctions.auctions = false
        noAuctions.evenBuild = false
        noAuctions.noRentInJail = true
        noAuctions.auctionSeconds = nil
        noAuctions.startingCash = 800
        return [GameOptions(), jackpot, noAuctions]
    }()

    /// Names that need escaping, and some that do not.
    static let names = ["Ada", "Bob \"the\" Builder", "Zoë \\ 東京 😀", "tab\there\nnewline\u{1}\u{1f}", "a/b</script>"]

    @Test func handWrittenJSONMatchesJSONEncoderThroughWholeGames() throws {
        var seen: Set<String> = []
        for seed in 0..<8 { try playAndCompare(seed: seed, seen: &seen) }
        // The games went through the state's optional parts, not only the common ones.
        for part in ["auction", "trade", "debt", "jail card", "mortgaged", "houses", "hotel", "jackpot", "winner"] {
            #expect(seen.contains(part), "no game reached: \(part)")
        }
    }

    private func playAndCompare(seed: Int, seen: inout Set<String>) throws {
        var g = GameState(options: Self.optionSets[seed % Self.optionSets.count], seed: UInt64(seed) &* 7919 &+ 11)
        for k in 0..<(2 + seed % 3) {
            _ = try g.join(name: "Bot \(k)", bot: true)
            // Set directly: `join` refuses control characters now, but a record stored before may hold them.
            g.players[k].name = Self.names[(k + seed) % Self.names.count]
        }
        var record = GameRecord(game: GameID(rawValue: "ABC234")!, state: g)
        try expectSameJSON(record: record, events: [], cause: .init(id: nil, type: "create", player: nil))
        _ = try g.apply(.start, by: g.host!)
        var commands = 0
        var rng = SplitMix64(seed: UInt64(seed))
        while g.phase == .playing, commands < 3_000 {
            guard let (actor, command) = g.respondents.lazy.compactMap({ p in Bot.nextCommand(for: p, in: g).map { (p, $0) } }).first else { break }
            let events = try g.apply(command, by: actor)
            commands += 1
            // Values only the authority sets: clocks (fractional wall-clock seconds) and seats.
            if var auction = g.auction, auction.deadline == nil { auction.deadline = 1_764_100_000.25 + Double(commands); g.auction = auction }
            g.turnDeadline = commands % 3 == 0 ? nil : 1_764_100_000 + Double(commands) / 8
            record.state = g
            if g.auction != nil { seen.insert("auction") }
            if !g.trades.isEmpty { seen.insert("trade") }
            if !g.debts.isEmpty { seen.insert("debt") }
            if g.players.contains(where: { !$0.jailCards.isEmpty }) { seen.insert("jail card") }
            if g.squares.contains(where: \.mortgaged) { seen.insert("mortgaged") }
            if g.squares.contains(where: { (1...4).contains($0.houses) }) { seen.insert("houses") }
            if g.squares.contains(where: { $0.houses == 5 }) { seen.insert("hotel") }
            if g.jackpot > 0 { seen.insert("jackpot") }
            if g.winner != nil { seen.insert("winner") }
            if g.placement != nil { seen.insert("placement") }
            if !g.mortgageChoices.isEmpty { seen.insert("mortgage choice") }
            record.seq = commands
            record.expiredTurn = commands % 4 == 0 ? g.turnNumber : nil
            record.seats = Dictionary(uniqueKeysWithValues: g.players.enumerated().map { index, player in
                (player.id, GameRecord.Seat(tokenHash: index == 0 ? nil : String(repeating: "ab", count: 32),
                                            gateway: index % 2 == 0 ? "gw-1" : nil, connection: index % 2 == 0 ? "\(index)" : nil,
                                            timeouts: index, disconnectedAt: index == 1 ? 1_764_100_000.5 : nil))
            })
            // A record an authority writes always loads again (its values in the engine's bounds).
            #expect(record.storedValueViolations().isEmpty, "seed \(seed), command \(commands)")
            // Every few commands, sample the record (the state alone is checked inside).
            if commands % 5 == 0 || !events.isEmpty && rng.next() % 3 == 0 {
                try expectSameJSON(record: record, events: events,
                                   cause: .init(id: commands % 2 == 0 ? "gw-1-\(commands)" : nil, type: command.type, player: actor))
            }
        }
        try expectSameJSON(record: record, events: [], cause: .init(id: nil, type: "end", player: nil))
        #expect(commands > 50)
    }

    @Test func recordSeatsAreSortedByteWise() throws {
        var record = GameRecord(game: GameID(rawValue: "ABC234")!, state: GameState(seed: 1))
        record.seats = Dictionary(uniqueKeysWithValues: (1...12).map { ("p\($0)", GameRecord.Seat()) })
        // p1, p10, p2, ...: JSONEncoder sorts keys by bytes, not numerically.
        #expect(JSONOutput.encode(record) == WireJSON.encodeWithFoundation(record))
        #expect(WireJSON.encode(record).contains(#""seats":{"p1":"#))
    }

    private func expectSameJSON(record: GameRecord, events: [Event], cause: StateMessage.Cause) throws {
        #expect(JSONOutput.encode(record.state) == WireJSON.encodeWithFoundation(record.state))
        #expect(JSONOutput.encode(record) == WireJSON.encodeWithFoundation(record))
        let message = StateMessage(game: record.game, seq: record.seq, state: record.state, events: events, cause: cause)
        let fast = WireJSON.encode(message)
        #expect(fast == WireJSON.encodeWithFoundation(message))
        // And it still reads back as the same record (what a restarted authority does).
        #expect(try WireJSON.decode(GameRecord.self, from: WireJSON.encode(record)) == record)
        // With an epoch (README, "Epochs"): in the message and the record, the same both ways.
        var inEpoch = record
        inEpoch.epoch = StateEpoch(rawValue: 1_765_000_000_250)
        let epochMessage = StateMessage(game: record.game, seq: record.seq, epoch: inEpoch.epoch!, state: record.state, events: events, cause: cause)
        #expect(WireJSON.encode(epochMessage) == WireJSON.encodeWithFoundation(epochMessage))
        #expect(WireJSON.encode(epochMessage).contains(#"},"epoch":1765000000250,"events":"#))
        #expect(JSONOutput.encode(inEpoch) == WireJSON.encodeWithFoundation(inEpoch))
        #expect(try WireJSON.decode(GameRecord.self, from: WireJSON.encode(inEpoch)) == inEpoch)
    }
}
