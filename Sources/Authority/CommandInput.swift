import RelayProtocol

/// What the authority makes of one payload from a command channel. The channel names the game it
/// is for: an envelope naming another game (published on `monopoly:{HOSTIL}:cmd`, it would create
/// or move game `OTHER2`) is dropped, not dispatched on the game it names.
enum CommandInput: Equatable {
    case envelope(CommandEnvelope)
    /// Unreadable, and it named its sender: that gateway gets the error.
    case refused(EnvelopeError)
    /// Nothing to answer (unreadable without a sender, or on another game's channel): logged only.
    case dropped(String)

    init(payload: [UInt8], channel: String) {
        switch CommandEnvelope.decode(payload) {
        case .success(let envelope):
            self = channel == RedisChannels.commands(envelope.game)
                ? .envelope(envelope) : .dropped("an envelope for game \(envelope.game) on \(Self.shown(channel))")
        case .failure(let error):
            if let header = error.replyTo, channel == RedisChannels.commands(header.game) {
                self = .refused(error)
            } else {
                self = .dropped("an unreadable envelope on \(Self.shown(channel)): \(error)")
            }
        }
    }

    /// A channel name for the log: any name the pattern matches arrives here, of any length.
    private static func shown(_ channel: String) -> String {
        channel.utf8.count <= 64 ? channel : String(decoding: channel.utf8.prefix(64), as: UTF8.self) + "…"
    }
}
