import Monopoly
import RelayProtocol

/// A command a seated player's client sent and the authority applied, kept in the seat's record
/// (`GameRecord.Seat.recent`, the last `limit`): the same request again (its client's `id` as
/// `key`, and the same message) is a retry, answered with the same `seq` and not applied again.
public struct RecentCommand: Codable, Sendable, Equatable {
    public var key: String
    /// FNV-1a of the message's wire JSON: a client that reuses an id for another command is not
    /// answered with the old one's acknowledgement.
    public var message: String
    public var seq: Int

    /// The gateway sends a command again only if fewer of its connection's followed it (`PendingCommand.remembered`).
    public static let limit = CommandEnvelope.rememberedPerSeat

    static func fingerprint(_ message: EnvelopeMessage) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in WireJSON.encode(message).utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        return String(hash, radix: 16)
    }
}

extension RecentCommand: JSONWritable {
    public func writeJSON(to out: inout JSONOutput) {
        out.object { o in
            o.field("key", key)
            o.field("message", message)
            o.field("seq", seq)
        }
    }
}

extension CommandProcessor {
    /// The acknowledgement already given to this request, if the player's seat remembers it.
    func repeated(_ envelope: CommandEnvelope, seat: GameRecord.Seat) -> Outcome? {
        guard let key = envelope.key, let recent = seat.recent else { return nil }
        let message = RecentCommand.fingerprint(envelope.message)
        guard let earlier = recent.last(where: { $0.key == key && $0.message == message }) else { return nil }
        var outcome = Outcome()
        outcome.replies = [.init(gateway: envelope.gateway, reply: AuthorityReply(
            kind: .ack, command: envelope.id, connection: envelope.connection, game: envelope.game, seq: earlier.seq))]
        return outcome
    }

    /// Remembers an applied request in its player's seat (the record the outcome commits).
    func remember(_ envelope: CommandEnvelope, player: PlayerID, in outcome: inout Outcome) {
        guard let key = envelope.key, var record = outcome.record, record.seats[player] != nil else { return }
        var recent = record.seats[player]?.recent ?? []
        recent.append(RecentCommand(key: key, message: RecentCommand.fingerprint(envelope.message), seq: record.seq))
        record.seats[player]?.recent = Array(recent.suffix(RecentCommand.limit))
        outcome.record = record
    }
}
