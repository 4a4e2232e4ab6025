import RelayProtocol

/// The shell's handle on one client connection, as the core sees it: a number and an address.
/// The core keeps handles only to name them in its actions; it never calls them.
public protocol RelayPeer: Sendable {
    /// Process-unique: names the connection in envelopes (`conn`) and in the authority's replies.
    var number: UInt64 { get }
    /// What per-address limits count for this client (an IPv4 address, an IPv6 /64).
    var limitKey: String { get }
}

/// What the core needs of the relay's configuration (the shell's own parts, Redis and timers'
/// clocks, stay with the shell).
public struct RelayCoreConfiguration: Sendable {
    /// This gateway's id: prefixes its command ids, names it in envelopes.
    public var gatewayID: String
    /// How long a command waits for its acknowledgement before recovery (then `authority_unavailable`).
    public var acknowledgementTimeout: Duration
    /// Per-connection rate limit (token bucket) and the refused messages in a row that close it.
    public var messagesPerSecond: Double
    public var messageBurst: Double
    public var rateLimitStrikes: Int
    /// Games one client address may create per minute through this gateway.
    public var createsPerMinute: Double
    /// How long, and how many, commands are held while their shard has no holder (`HandoverHolds`).
    public var handover: HandoverHolds.Limits
    /// How long, and how many, replies wait for the state their acknowledgement names (`ReplyHolds`).
    public var stateWait: StateWaitLimits

    public init(gatewayID: String, acknowledgementTimeout: Duration = .seconds(2), messagesPerSecond: Double = 20,
                messageBurst: Double = 40, rateLimitStrikes: Int = 50, createsPerMinute: Double = 10,
                handover: HandoverHolds.Limits = HandoverHolds.Limits(), stateWait: StateWaitLimits? = nil) {
        self.handover = handover
        self.stateWait = stateWait ?? .forAcknowledgementTimeout(acknowledgementTimeout)
        self.gatewayID = gatewayID
        self.acknowledgementTimeout = acknowledgementTimeout
        self.messagesPerSecond = messagesPerSecond
        self.messageBurst = messageBurst
        self.rateLimitStrikes = rateLimitStrikes
        self.createsPerMinute = createsPerMinute
    }
}

/// The randomness and hashing a seat request needs, done by the shell so the core stays
/// deterministic: the token handed to the client with its welcome, its hash (what crosses Redis),
/// and the code of a game a `create` opens.
public struct SeatCredentials: Sendable, Equatable {
    public var token: String
    public var tokenHash: String
    /// Used by `create` only.
    public var newGame: GameID

    public init(token: String, tokenHash: String, newGame: GameID) {
        self.token = token
        self.tokenHash = tokenHash
        self.newGame = newGame
    }
}
