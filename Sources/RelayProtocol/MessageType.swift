/// The `type` of every message a browser or gateway sends that is not a rules command (those are
/// `Command.Name`), each spelled once: the gateway's and the authority's decoders read it, the
/// envelope writes it.
public enum MessageType: String, CaseIterable, Sendable {
    case lobby, create, join, spectate, rejoin, leave, chat
    case addBot = "add_bot"
    /// The gateway's own, when it lost a connection (never a client's).
    case disconnect
}
