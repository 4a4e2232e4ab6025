import Foundation
import Monopoly
import RelayProtocol

/// Re-runs a game's command log (`GameLogEntry`) through the same pure `CommandProcessor` the
/// authority ran, and checks each state it makes against the digest of the state that was
/// published, and the last against the stored last state. Pure: `monopoly replay` reads the log
/// (Redis or a file) and prints the report.
public enum GameReplay {
    public struct Divergence: Sendable, Equatable {
        public var seq: Int
        /// The entry's command, for people: `roll by p2 (the authority's move)`.
        public var command: String
        public var reason: String
        /// The replayed state's events, to tell what the replay did.
        public var replayedEvents: [String]
        /// Published → replayed, one line per difference, when the published state is known
        /// (the last one); empty otherwise (only its digest is logged).
        public var diff: [String]
    }

    public struct Report: Sendable {
        public var game: GameID
        /// Entries replayed (the truncation mark not counted).
        public var commands = 0
        /// States replayed that match what was published.
        public var matched = 0
        public var firstSeq: Int?
        public var lastSeq: Int?
        /// The log was cut at its bound (`MAX_LOG_ENTRIES`): states from this seq on are not logged.
        public var truncatedAt: Int?
        /// The last published state (`monopoly:{GAME}:last`) was compared, whole, and matched.
        public var lastStateMatched = false
        public var divergence: Divergence?
        /// Why the log cannot be checked (it does not start with the game's creation, ...).
        public var incomplete: String?

        /// 0: every state matched; 1: a divergence; 2: the log could not be checked completely.
        public var exitCode: Int32 {
            if divergence != nil { return 1 }
            return incomplete != nil || truncatedAt != nil ? 2 : 0
        }

        public var summary: String {
            var lines = ["game \(game): \(commands) commands replayed, \(matched) states match"
                + (firstSeq.map { first in " (seq \(first) to \(lastSeq ?? first))" } ?? "")]
            if lastStateMatched { lines.append("the last published state (seq \(lastSeq ?? 0)) matches the replay byte for byte") }
            if let truncatedAt { lines.append("the log was truncated at its bound: states from seq \(truncatedAt) on are not logged, nor checked") }
            if let incomplete { lines.append("incomplete: \(incomplete)") }
            if let divergence {
                lines.append("DIVERGED at seq \(divergence.seq) (\(divergence.command)): \(divergence.reason)")
                if !divergence.replayedEvents.isEmpty {
                    lines.append("replayed events:")
                    lines += divergence.replayedEvents.map { "  " + $0 }
                }
                if !divergence.diff.isEmpty {
                    lines.append("diff (published -> replayed):")
                    lines += divergence.diff.prefix(40).map { "  " + $0 }
                    if divergence.diff.count > 40 { lines.append("  ... \(divergence.diff.count - 40) more") }
                }
            } else if incomplete == nil {
                lines.append(truncatedAt == nil ? "OK: every state matches what was published" : "OK as far as the log goes")
            }
            return lines.joined(separator: "\n")
        }
    }

    /// The connection the replay gives a seat: its player id (the log names no real connection).
    static let gateway = "replay"

    /// The seat hash the replay gives a player's token (any fixed value per seat would do).
    static func seatHash(_ player: PlayerID) -> String {
        GameLogEntry.digest(of: "replay seat " + player)
    }

    public static func run(_ file: GameLogFile) -> Report {
        var report = Report(game: file.game)
        var record: GameRecord?
        var lastMessage: String?
        for (index, json) in file.entries.enumerated() {
            let expected = (record?.seq ?? 0) + 1
            if json["truncated"] == .bool(true) {
                report.truncatedAt = expected
                if index != file.entries.count - 1 {
                    report.incomplete = "entries follow the truncation mark"
                }
                break
            }
            let entry: GameLogEntry
            do {
                entry = try GameLogEntry(json: json)
            } catch {
                report.divergence = Divergence(seq: expected, command: "entry \(index + 1)", reason: "unreadable: \(error)", replayedEvents: [], diff: [])
                return report
            }
            if report.firstSeq == nil, entry.seq != 1 {
                report.incomplete = "the log starts at seq \(entry.seq), not with the game's creation (a game older than its log?)"
                return report
            }
            guard entry.seq == expected else {
                report.divergence = Divergence(seq: expected, command: describe(entry),
                                               reason: "the log goes from seq \(expected - 1) to \(entry.seq)", replayedEvents: [], diff: [])
                return report
            }
            report.commands += 1
            report.firstSeq = report.firstSeq ?? entry.seq
            switch step(entry, record: record, game: file.game) {
            case .failure(let reason):
                report.divergence = Divergence(seq: entry.seq, command: describe(entry), reason: reason.description, replayedEvents: [], diff: [])
                return report
            case .success(let (next, message)):
                let digest = GameLogEntry.digest(of: message)
                guard digest == entry.digest else {
                    report.divergence = Divergence(
                        seq: entry.seq, command: describe(entry),
                        reason: "the replayed state's SHA-256 is \(digest), the published one's \(entry.digest)",
                        replayedEvents: events(of: message), diff: [])
                    return report
                }
                record = next
                lastMessage = message
                report.matched += 1
                report.lastSeq = entry.seq
            }
        }
        if report.truncatedAt == nil, let published = file.last, let lastMessage, let seq = report.lastSeq {
            compareLast(published, replayed: lastMessage, seq: seq, report: &report)
        }
        if report.commands == 0, report.divergence == nil, report.incomplete == nil {
            report.incomplete = "the log has no entries"
        }
        return report
    }

    /// The stored last state against the replay's: the same seq, the same JSON.
    private static func compareLast(_ published: JSONValue, replayed message: String, seq: Int, report: inout Report) {
        guard case .number(let number)? = published["seq"], let publishedSeq = Int(exactly: number) else {
            report.incomplete = "the stored last state has no seq"
            return
        }
        guard publishedSeq == seq else {
            report.divergence = Divergence(seq: publishedSeq, command: "the last published state",
                                           reason: "the log ends at seq \(seq), the last published state is seq \(publishedSeq)", replayedEvents: [], diff: [])
            return
        }
        guard let replayed = try? WireJSON.decode(JSONValue.self, from: message) else { return }
        if replayed == published {
            report.lastStateMatched = true
            return
        }
        let command: String
        if case .object(let cause)? = published["cmd"], case .string(let type)? = cause["type"] { command = "\(type), the last published state" } else { command = "the last published state" }
        report.matched -= 1
        report.divergence = Divergence(seq: seq, command: command, reason: "the stored last state differs from the replayed one",
                                       replayedEvents: events(of: message), diff: diff(published, replayed))
    }

    /// Applies one entry the way the runner did. Success: the record and the state message.
    static func step(_ entry: GameLogEntry, record: GameRecord?, game: GameID) -> Result<(GameRecord, String), ReplayFailure> {
        var record = record
        if let resumedAt = entry.resumedAt, let loaded = record {
            record = CommandProcessor.resumed(loaded, now: resumedAt)
        }
        // The epoch the authority started here (a load), or the new game's (`create`).
        if let epoch = entry.epoch, record != nil { record?.epoch = epoch }
        if let expiredAt = entry.expiredAt {
            guard let running = record, let expired = CommandProcessor.expireTurnClock(running, now: expiredAt) else {
                return .failure("the log says the turn clock ran out at \(expiredAt), but no turn clock could have")
            }
            record = expired
        }
        var processor = CommandProcessor(dice: SharedDiceScript(entry.dice), seed: entry.seed)
        processor.lobbyGrace = entry.grace ?? processor.lobbyGrace
        processor.newGameEpoch = entry.epoch
        let outcome: Outcome
        switch entry.input {
        case .envelope(let id, let message):
            guard let player = entry.player else { return .failure("a client's command names no player (\"by\")") }
            let seats: Bool = if case .create = message { true } else if case .join = message { true } else if case .rejoin = message { true } else { false }
            let envelope = CommandEnvelope(id: id, gateway: gateway, connection: player, game: game, player: player,
                                           seat: seats ? seatHash(player) : nil, message: message)
            outcome = processor.handle(envelope, record: record, now: entry.at)
        case .move(let command):
            guard let player = entry.player, let running = record else { return .failure("an authority's move needs a player and a game") }
            outcome = processor.apply(command, by: player, to: running, cause: nil, now: entry.at)
        case .release:
            guard let lobby = record else { return .failure("release before the game exists") }
            outcome = processor.releasingAbsentSeats(lobby, now: entry.at)
        case .close(let reason):
            guard let open = record else { return .failure("close before the game exists") }
            outcome = processor.close(open, reason: reason, now: entry.at)
        }
        guard let next = outcome.record, let message = outcome.stateMessage else {
            let refusal = outcome.replies.compactMap { reply in reply.reply.code.map { "\($0.rawValue): \(reply.reply.message ?? "")" } }.first
            return .failure(ReplayFailure("the rules engine made no state of it" + (refusal.map { " (\($0))" } ?? "")))
        }
        if let player = entry.player, let made = outcome.cause?.player, made != player {
            return .failure("the replay seated \(made) where the log says \(player)")
        }
        return .success((next, message))
    }

    struct ReplayFailure: Error, ExpressibleByStringInterpolation, CustomStringConvertible {
        var description: String
        init(stringLiteral value: String) { description = value }
        init(_ value: String) { description = value }
    }

    static func describe(_ entry: GameLogEntry) -> String {
        let by = entry.player.map { " by \($0)" } ?? ""
        switch entry.input {
        case .envelope(let id, _): return "\(entry.type)\(by), command \(id)"
        case .move: return "\(entry.type)\(by), the authority's move"
        case .release, .close: return "\(entry.type), by the authority"
        }
    }

    private static func events(of message: String) -> [String] {
        guard let value = try? WireJSON.decode(JSONValue.self, from: message), case .array(let events)? = value["events"] else { return [] }
        return events.compactMap { event in
            if case .string(let text)? = event["text"] { return text }
            return nil
        }
    }

    /// One line per difference: `replace /state/players/1/cash: 1450 -> 1500`.
    static func diff(_ published: JSONValue, _ replayed: JSONValue) -> [String] {
        JSONPatch.diff(from: published, to: replayed).map { op in
            let before = value(at: op.path, in: published).map(WireJSON.encode) ?? "(none)"
            let after = op.value.map(WireJSON.encode) ?? "(none)"
            return "\(op.kind.rawValue) \(op.path): \(before) -> \(after)"
        }
    }

    private static func value(at pointer: String, in document: JSONValue) -> JSONValue? {
        var current = document
        for token in pointer.split(separator: "/", omittingEmptySubsequences: false).dropFirst() {
            let key = token.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            switch current {
            case .object(let object): guard let next = object[key] else { return nil }; current = next
            case .array(let array): guard let index = Int(key), array.indices.contains(index) else { return nil }; current = array[index]
            default: return nil
            }
        }
        return current
    }
}
