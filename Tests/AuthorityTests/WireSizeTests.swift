import Foundation
import Testing
@testable import Authority
import Monopoly
import RelayProtocol

/// What a state costs on the wire in a 4-player game (issue #16): the bytes of every state message
/// of seeded bot games, printed, and bounded so that the static board never creeps back in.
@Suite struct WireSizeTests {
    /// The state messages of one seeded 4-player game, as the authority publishes them.
    static func stateMessages(seed: UInt64) throws -> [String] {
        var g = GameState(seed: seed)
        _ = try g.join(name: "Human")
        for k in 1...3 { _ = try g.join(name: "Bot \(k)", bot: true) }
        _ = try g.apply(.start, by: g.host!)
        let game = GameID(rawValue: "ABC234")!
        var messages: [String] = []
        while g.phase == .playing, messages.count < 2_000 {
            guard let (actor, command) = g.respondents.lazy.compactMap({ p in Bot.nextCommand(for: p, in: g).map { (p, $0) } }).first else { break }
            let events = try g.apply(command, by: actor)
            messages.append(WireJSON.encode(StateMessage(game: game, seq: messages.count + 1, state: g, events: events,
                                                         cause: .init(id: "gw-1-\(messages.count)", type: command.type, player: actor))))
        }
        return messages
    }

    static func median(_ values: [Int]) -> Int { values.sorted()[values.count / 2] }

    @Test func aStateOfAFourPlayerGameIsSmall() throws {
        var sizes: [Int] = []
        for seed in 1...4 as ClosedRange<UInt64> { sizes += try Self.stateMessages(seed: seed).map(\.utf8.count) }
        let median = Self.median(sizes)
        print("state message bytes over \(sizes.count) states of 4 games: median \(median), min \(sizes.min()!), max \(sizes.max()!)")
        #expect(sizes.count > 200)
        // 6,949 bytes while every state carried the static board (names, kinds, groups, prices).
        #expect(median < 4_600)
    }
}

/// The authority's patches over whole games: each one applied to the state before it gives the
/// state after it, value for value, and they are small.
@Suite struct StatePatchChainTests {
    @Test func everyPatchOfWholeGamesMakesTheNextState() throws {
        let game = GameID(rawValue: "ABC234")!
        var sizes: [Int] = []
        for seed in 1...4 as ClosedRange<UInt64> {
            let messages = try WireSizeTests.stateMessages(seed: seed)
            var chain = PatchChain()
            var previous: JSONValue?
            let epoch = StateEpoch(rawValue: 1_765_000_000_000 + Int(seed))!
            for (index, message) in messages.enumerated() {
                let seq = index + 1
                let patch = chain.patch(to: message, version: StateVersion(epoch: epoch, seq: seq), game: game)
                let parsed = try WireJSON.decode(JSONValue.self, from: message)
                if let previous {
                    let text = try #require(patch, "no patch for seq \(seq)")
                    let read = try StatePatch(json: try WireJSON.decode(JSONValue.self, from: text))
                    #expect(read.seq == seq && read.base == seq - 1 && read.game == game && read.epoch == epoch)
                    #expect(StatePatch.header(in: Array(text.utf8), game: game) == StatePatch.Header(seq: seq, base: seq - 1, epoch: epoch))
                    #expect(try JSONPatch.apply(read.ops, to: previous) == parsed)
                    sizes.append(text.utf8.count)
                } else {
                    #expect(patch == nil)  // nothing to patch from: the first state goes whole
                }
                chain.published(StateVersion(epoch: epoch, seq: seq), message: message)
                previous = parsed
            }
            // A gap (a failed commit, a reload) means no patch: that state goes whole.
            chain.reset()
            #expect(chain.patch(to: messages[1], version: StateVersion(epoch: epoch, seq: 2), game: game) == nil)
            chain.published(StateVersion(epoch: epoch, seq: 1), message: messages[0])
            #expect(chain.patch(to: messages[2], version: StateVersion(epoch: epoch, seq: 3), game: game) == nil)
            // Nor across epochs: seq 2 of the next epoch is not made from seq 1 of this one.
            #expect(chain.patch(to: messages[1], version: StateVersion(epoch: epoch, seq: 2), game: game) != nil)
            let next = StateEpoch.next(after: epoch, now: 0)
            #expect(chain.patch(to: messages[1], version: StateVersion(epoch: next, seq: 2), game: game) == nil)
        }
        let median = WireSizeTests.median(sizes)
        print("patch message bytes over \(sizes.count) states of 4 games: median \(median), min \(sizes.min()!), max \(sizes.max()!)")
        #expect(median < 1_000)
    }
}
