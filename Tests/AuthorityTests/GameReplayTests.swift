import Foundation
import Monopoly
import RelayProtocol
import Testing
@testable import Authority

/// `monopoly replay`'s pure core: a log written the way the runner writes it replays to the same
/// states, and every way a log can be wrong is reported at the right seq (not trapped on: a log
/// is a file or a Redis key anyone with access may have edited).
@Suite struct GameReplayTests {
    let game = GameID(rawValue: "REPLAY")!

    /// A short game played the way `GameRunner` plays it: real gateways, connections and seat
    /// tokens (which the replay never sees), scripted dice, a bot's move, the lobby grace, then
    /// closed. Returns the log's lines and the last published state message.
    func playedGame() throws -> (lines: [String], last: String) {
        let dice = SharedDiceScript([1, 2, 3, 3, 2, 5, 6, 4, 1, 3, 2, 2, 5, 6])
        var processor = CommandProcessor(dice: dice, seed: 2024)
        processor.lobbyGrace = 20
        var record: GameRecord?
        var lines: [String] = []
        var last = ""
        var clock = 1_765_000_000.0

        func logged(_ outcome: Outcome, _ input: GameLogEntry.Input, sourceLocation: SourceLocation = #_sourceLocation) throws {
            let next = try #require(outcome.record, "no state: \(outcome.replies.map(\.reply))", sourceLocation: sourceLocation)
            let message = try #require(outcome.stateMessage, sourceLocation: sourceLocation)
            var input = input
            if case .envelope(let id, .create(let name, _)) = input { input = .envelope(id: id, message: .create(name: name, options: next.state.options)) }
            let entry = GameLogEntry(seq: next.seq, at: clock, player: outcome.cause?.player, input: input, seed: outcome.seed,
                                     grace: GameLogEntry.usesGrace(input) ? processor.lobbyGrace : nil, dice: outcome.scriptedDice,
                                     digest: GameLogEntry.digest(of: message))
            lines.append(entry.line)
            record = next
            last = message
            clock += 1.25
        }
        func client(_ type: String, player: PlayerID?, connection: String, seat: String? = nil, fields: [String: JSONValue] = [:], id: String) throws {
            var object = fields
            object["type"] = .string(type)
            let message = EnvelopeMessage.wire(object)
            let envelope = CommandEnvelope(id: id, gateway: "gateway-7f3a", connection: connection, game: game,
                                           player: player, seat: seat, message: message)
            try logged(processor.handle(envelope, record: record, now: clock), .envelope(id: id, message: message))
        }

        try client("create", player: nil, connection: "c40", seat: String(repeating: "a", count: 64), fields: ["name": .string("Alice")], id: "gw-1")
        try client("join", player: nil, connection: "c41", seat: String(repeating: "b", count: 64), fields: ["name": .string("Bob")], id: "gw-2")
        try client("start", player: "p1", connection: "c40", id: "gw-3")
        try client("roll", player: "p1", connection: "c40", id: "gw-4")
        let current = try #require(record)
        // The authority plays a move for whoever play waits on, as it does for a bot or a clock.
        // Dice 1 and 2 land Alice on Baltic Avenue: the authority declines it for her, as for an away player.
        #expect(current.state.pendingBuy == 3)
        try logged(processor.apply(.decline, by: "p1", to: current, cause: nil, now: clock), .move(.decline))
        try logged(processor.close(try #require(record), reason: "abandoned", now: clock), .close(reason: "abandoned"))
        return (lines, last)
    }

    func file(_ lines: [String], last: String?) throws -> GameLogFile {
        let text = GameLogFile.render(game: game, lines: lines, last: last)
        return try GameLogFile(parsing: Array(text.utf8))
    }

    func json(_ line: String) throws -> JSONValue {
        try JSONValue(parsing: Array(line.utf8))
    }

    @Test func aLogWrittenAsTheRunnerWritesItReplaysToEveryPublishedState() throws {
        let (lines, last) = try playedGame()
        let report = GameReplay.run(try file(lines, last: last))
        #expect(report.divergence == nil, "\(report.summary)")
        #expect(report.incomplete == nil)
        #expect(report.commands == lines.count)
        #expect(report.matched == lines.count)
        #expect(report.firstSeq == 1 && report.lastSeq == lines.count)
        #expect(report.lastStateMatched)
        #expect(report.exitCode == 0)
    }

    @Test func everyEntryReadsBackAsItWasWritten() throws {
        let (lines, _) = try playedGame()
        for line in lines {
            let entry = try GameLogEntry(json: try json(line))
            #expect(entry.line == line)
        }
    }

    /// `line` is written into one buffer; field by field, joined, was the reference: the same bytes
    /// for a played game's entries and for every optional field and input kind, escapes included.
    @Test func aLineIsWhatItsFieldsJoinedWere() throws {
        let (lines, _) = try playedGame()
        for line in lines {
            let entry = try GameLogEntry(json: try json(line))
            #expect(entry.line == entry.lineByFields)
        }
        let digest = String(repeating: "0f", count: 32)
        let entries = [
            GameLogEntry(seq: 1, at: 1_765_000_000.125, player: "p1", input: .envelope(id: "gw-\"1\\", message: .wire(["type": .string("create"), "name": .string("Zoë \"Z\"")])),
                         seed: UInt64.max, grace: 15, dice: [6, 6, 1], resumedAt: 1_765_000_000, expiredAt: 0.5, epoch: StateEpoch(json: .number(1_765_000_000_123)), digest: digest),
            GameLogEntry(seq: 2, at: 0, player: nil, input: .release, grace: 0.25, digest: digest),
            GameLogEntry(seq: 3, at: 1e10, player: nil, input: .close(reason: "lobby_\"idle\\\n"), digest: digest),
            GameLogEntry(seq: 4, at: 12.5, player: "p2", input: .move(.tradeReject(trade: "t\"7")), seed: 0, dice: [2], digest: digest),
            GameLogEntry(seq: 5, at: 1_765_000_001.75, player: "p2", input: .move(.roll), expiredAt: 1_765_000_001.5, digest: digest),
        ]
        for entry in entries {
            #expect(entry.line == entry.lineByFields)
            #expect(try GameLogEntry(json: try json(entry.line)).line == entry.line)
        }
    }

    /// One change to an honest log, and what the replay must say about it.
    struct Tampering: CustomTestStringConvertible, Sendable {
        var name: String
        var change: @Sendable (inout [String], inout String?) -> Void
        var divergesAt: Int?
        var reason: String
        var exitCode: Int32
        var testDescription: String { name }
    }

    static let tamperings: [Tampering] = [
        Tampering(name: "a die changed", change: { lines, _ in
            lines[3] = lines[3].replacingOccurrences(of: #""dice":[1,2]"#, with: #""dice":[2,1]"#)
        }, divergesAt: 4, reason: "SHA-256", exitCode: 1),
        Tampering(name: "an entry dropped", change: { lines, _ in lines.remove(at: 2) },
                  divergesAt: 3, reason: "the log goes from seq 2 to 4", exitCode: 1),
        Tampering(name: "the creation missing", change: { lines, _ in lines.removeFirst() },
                  divergesAt: nil, reason: "not with the game's creation", exitCode: 2),
        Tampering(name: "cut at its bound", change: { lines, last in
            lines = Array(lines.prefix(3)) + [#"{"truncated":true}"#]
            last = nil
        }, divergesAt: nil, reason: "states from seq 4 on are not logged", exitCode: 2),
        Tampering(name: "entries after the truncation mark", change: { lines, _ in lines.insert(#"{"truncated":true}"#, at: 2) },
                  divergesAt: nil, reason: "entries follow the truncation mark", exitCode: 2),
        Tampering(name: "an unreadable entry", change: { lines, _ in lines[1] = #"{"seq":2,"at":1,"digest":"zz"}"# },
                  divergesAt: 2, reason: "unreadable: \"digest\"", exitCode: 1),
        Tampering(name: "a command the rules refuse", change: { lines, _ in
            lines[2] = lines[2].replacingOccurrences(of: #""by":"p1""#, with: #""by":"p2""#)
        }, divergesAt: 3, reason: "the rules engine made no state of it (not_host", exitCode: 1),
        Tampering(name: "the last state edited", change: { _, last in
            last = last?.replacingOccurrences(of: #""name":"Bob""#, with: #""name":"Bobby""#)
        }, divergesAt: 6, reason: "the stored last state differs", exitCode: 1),
        Tampering(name: "a last state newer than the log", change: { lines, _ in lines.removeLast() },
                  divergesAt: 6, reason: "the log ends at seq 5, the last published state is seq 6", exitCode: 1),
        Tampering(name: "an empty log", change: { lines, last in lines = []; last = nil },
                  divergesAt: nil, reason: "the log has no entries", exitCode: 2),
    ]

    @Test(arguments: tamperings) func aTamperedLogIsReportedWhereItGoesWrong(_ tampering: Tampering) throws {
        var (lines, lastMessage) = try playedGame()
        var last: String? = lastMessage
        tampering.change(&lines, &last)
        let report = GameReplay.run(try file(lines, last: last))
        #expect(report.exitCode == tampering.exitCode, "\(report.summary)")
        #expect(report.divergence?.seq == tampering.divergesAt, "\(report.summary)")
        #expect(report.summary.contains(tampering.reason), "\(report.summary)")
        if tampering.name == "the last state edited" {
            #expect(report.divergence?.diff.contains { $0 == #"replace /state/players/1/name: "Bobby" -> "Bob""# } == true, "\(report.divergence?.diff ?? [])")
        }
    }

    /// Hostile lines: each is refused with the field it got wrong, never trapped on.
    @Test(arguments: [
        (#"[1]"#, "not a JSON object"),
        (#"{"seq":0,"at":1,"digest":"D","msg":{"type":"roll"}}"#, "\"seq\""),
        (#"{"seq":1.5,"at":1,"digest":"D","msg":{"type":"roll"}}"#, "\"seq\""),
        (#"{"seq":1e300,"at":1,"digest":"D","msg":{"type":"roll"}}"#, "\"seq\""),
        (#"{"seq":1,"at":-1,"digest":"D","msg":{"type":"roll"}}"#, "\"at\""),
        (#"{"seq":1,"at":1e12,"digest":"D","msg":{"type":"roll"}}"#, "\"at\""),
        (#"{"seq":1,"at":1,"digest":"ABC","msg":{"type":"roll"}}"#, "\"digest\""),
        (#"{"seq":1,"at":1,"digest":"D","by":7,"msg":{"type":"roll"}}"#, "\"by\""),
        (#"{"seq":1,"at":1,"digest":"D","by":"p1","id":"LONG","msg":{"type":"roll"}}"#, "\"id\""),
        (#"{"seq":1,"at":1,"digest":"D","by":"p1"}"#, "\"msg\" is missing"),
        (#"{"seq":1,"at":1,"digest":"D","by":"p1","msg":{"type":"fly"}}"#, "\"msg\" is not a command"),
        (#"{"seq":1,"at":1,"digest":"D","msg":{"type":"close","reason":"LONG"}}"#, "\"msg.reason\""),
        (#"{"seq":1,"at":1,"digest":"D","by":"p1","msg":{"type":"roll"},"seed":7}"#, "\"seed\""),
        (#"{"seq":1,"at":1,"digest":"D","by":"p1","msg":{"type":"roll"},"seed":"-1"}"#, "\"seed\""),
        (#"{"seq":1,"at":1,"digest":"D","by":"p1","msg":{"type":"roll"},"grace":-1}"#, "\"grace\""),
        (#"{"seq":1,"at":1,"digest":"D","by":"p1","msg":{"type":"roll"},"dice":[7]}"#, "\"dice\""),
        (#"{"seq":1,"at":1,"digest":"D","by":"p1","msg":{"type":"roll"},"dice":[1.5]}"#, "\"dice\""),
        (#"{"seq":1,"at":1,"digest":"D","by":"p1","msg":{"type":"roll"},"dice":DICE}"#, "\"dice\""),
        (#"{"seq":1,"at":1,"digest":"D","by":"p1","msg":{"type":"roll"},"resumed_at":"now"}"#, "\"resumed_at\""),
    ])
    func aHostileEntryIsRefusedNamingItsField(_ template: String, _ field: String) throws {
        let line = template
            .replacingOccurrences(of: "\"D\"", with: "\"" + String(repeating: "0", count: 64) + "\"")
            .replacingOccurrences(of: "LONG", with: String(repeating: "x", count: CommandEnvelope.maximumFieldBytes + 1))
            .replacingOccurrences(of: "DICE", with: "[" + Array(repeating: "1", count: GameLogEntry.maximumDice + 1).joined(separator: ",") + "]")
        #expect {
            _ = try GameLogEntry(json: try json(line))
        } throws: { error in
            (error as? GameLogEntry.Unreadable)?.description.contains(field) == true
        }
    }

    /// A crafted file as large as `monopoly replay --file` reads (512 MiB) was built whole before
    /// anything looked at it: 100 MB of `0,0,0...` held 1.7 GB. The document is refused at its
    /// entry bound instead, having built nothing.
    @Test func aFileWithMoreEntriesThanALogHoldsIsRefusedBeforeItIsBuilt() throws {
        let entries = Array(repeating: "0", count: GameLogFile.maximumEntries + 2).joined(separator: ",")
        let text = #"{"type":"monopoly_log","version":1,"game":"REPLAY","last":null,"entries":["# + entries + "]}"
        #expect {
            _ = try GameLogFile(parsing: Array(text.utf8))
        } throws: { error in
            (error as? GameLogFile.Unreadable)?.description.contains("more than \(GameLogFile.maximumEntries + 1)") == true
        }
        // The bound itself, and a real log, still read.
        let atBound = Array(repeating: "0", count: GameLogFile.maximumEntries + 1).joined(separator: ",")
        let file = try GameLogFile(parsing: Array((#"{"type":"monopoly_log","version":1,"game":"REPLAY","last":null,"entries":["# + atBound + "]}").utf8))
        #expect(file.entries.count == GameLogFile.maximumEntries + 1)
    }
}

extension GameLogEntry {
    /// The line field by field, joined: what `line` must write, byte for byte (the old `line`, kept
    /// here as the reference).
    var lineByFields: String {
        var fields = ["\"seq\":\(seq)", "\"at\":" + Self.number(at), "\"by\":" + Self.quoted(player)]
        switch input {
        case .envelope(let id, let message):
            fields.append("\"id\":" + Self.quoted(id))
            fields.append("\"msg\":" + WireJSON.encode(message))
        case .move(let command):
            fields.append("\"id\":null")
            fields.append("\"msg\":" + WireJSON.encode(command))
        case .release:
            fields.append(#""id":null,"msg":{"type":"release"}"#)
        case .close(let reason):
            fields.append(#""id":null,"msg":{"reason":"# + Self.quoted(reason) + #","type":"close"}"#)
        }
        if let seed { fields.append("\"seed\":\"\(seed)\"") }
        if let grace { fields.append("\"grace\":" + Self.number(grace)) }
        if !dice.isEmpty { fields.append("\"dice\":[" + dice.map(String.init).joined(separator: ",") + "]") }
        if let resumedAt { fields.append("\"resumed_at\":" + Self.number(resumedAt)) }
        if let expiredAt { fields.append("\"expired_at\":" + Self.number(expiredAt)) }
        if let epoch { fields.append("\"epoch\":\(epoch.rawValue)") }
        fields.append("\"digest\":\"\(digest)\"")
        return "{" + fields.joined(separator: ",") + "}"
    }

    static func quoted(_ text: String?) -> String {
        guard let text else { return "null" }
        var out = JSONOutput(capacity: text.utf8.count + 2)
        out.string(text)
        return out.text
    }

    /// Swift's shortest description: reads back as the same Double, so deadlines replay exactly.
    static func number(_ value: Double) -> String {
        var out = JSONOutput(capacity: 24)
        out.double(value)
        return out.text
    }
}
