import RelayProtocol

/// What the authority makes of one payload from a shard's command channel. The channel names the
/// shard it is for: an envelope naming a game of another shard (published on the channel of
/// HOSTIL's shard, it would create or move game `OTHER2` on an authority that does not hold it) is
/// dropped, not dispatched.
enum CommandInput: Equatable {
    case envelope(CommandEnvelope)
    /// Unreadable, and it named its sender: that gateway gets the error.
    case refused(EnvelopeError)
    /// Nothing to answer (unreadable without a sender, or on another shard's channel): logged only.
    case dropped(String)

    init(payload: [UInt8], channel: String) {
        switch CommandEnvelope.decode(payload) {
        case .success(let envelope):
            self = Self.carries(envelope.game, channel)
                ? .envelope(envelope) : .dropped("an envelope for game \(envelope.game) on \(Self.shown(channel))")
        case .failure(let error):
            if let header = error.replyTo, Self.carries(header.game, channel) {
                self = .refused(error)
            } else {
                self = .dropped("an unreadable envelope on \(Self.shown(channel)): \(error)")
            }
        }
    }

    /// Whether `channel` is the command channel of `game`'s shard.
    private static func carries(_ game: GameID, _ channel: String) -> Bool {
        channel == RedisChannels.shardCommands(GameShard(of: game))
    }

    /// A channel name for the log: any name the pattern matches arrives here, of any length.
    private static func shown(_ channel: String) -> String {
        channel.utf8.count <= 64 ? channel : String(decoding: channel.utf8.prefix(64), as: UTF8.self) + "…"
    }
}
