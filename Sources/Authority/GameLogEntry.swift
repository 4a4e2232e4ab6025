import Crypto
import Monopoly
import RelayProtocol

/// One line of a game's command log (`monopoly:{GAME}:log`): everything the authority fed the pure
/// `CommandProcessor` to make the state `seq`, and that state's SHA-256. Re-running the entries in
/// order (`GameReplay`) must give back every published state, byte for byte.
///
/// On the wire, one line of JSON:
/// `{"seq":12,"at":1765090000.25,"by":"p2","id":"gw1-42","msg":{"type":"roll"},"digest":"3fa9…"}`.
/// `id` null: the authority's own move (a bot, the turn or auction clock), or `release`/`close`.
/// Connections, gateways, seat tokens and client addresses are never logged: the replay gives each
/// seat a connection of its own, and the published state does not show them.
public struct GameLogEntry: Sendable, Equatable {
    public enum Input: Sendable, Equatable {
        /// A gateway's envelope (`CommandProcessor.handle`): its id and message.
        case envelope(id: String, message: EnvelopeMessage)
        /// The authority's own command for `player` (a bot's move, the auction clock).
        case move(Command)
        /// Lobby seats whose connection was gone past the grace were given up.
        case release
        /// The game was closed unattended (`lobby_idle`, `abandoned`).
        case close(reason: String)
    }

    public var seq: Int
    /// The `now` the processor was given (seconds since 1970): deadlines in the state derive from it.
    public var at: Double
    /// The seat acted for (for `create` and `join`, the one it got); nil for `release` and `close`.
    public var player: PlayerID?
    public var input: Input
    /// `create`: the seed of the game's generator.
    public var seed: UInt64?
    /// `join`, `release`: the lobby grace (seconds) seats were given up after.
    public var grace: Double?
    /// Die values the command took from the authority's dice script (`--dice-script`, tests only).
    public var dice: [Int] = []
    /// The record was loaded from Redis (a restart, a takeover) at this time before the command:
    /// the load's own adjustments (`CommandProcessor.resumed`) are part of this state.
    public var resumedAt: Double?
    /// The turn clock ran out at this time before the command (`CommandProcessor.expireTurnClock`).
    public var expiredAt: Double?
    /// The epoch the state starts (`StateEpoch`): on `create` and on the first entry after a load;
    /// nil in logs from before epochs and while the epoch stays.
    public var epoch: StateEpoch?
    /// SHA-256 (hex) of the state message published with this seq.
    public var digest: String

    public init(seq: Int, at: Double, player: PlayerID?, input: Input, seed: UInt64? = nil, grace: Double? = nil, dice: [Int] = [],
                resumedAt: Double? = nil, expiredAt: Double? = nil, epoch: StateEpoch? = nil, digest: String) {
        self.seq = seq
        self.at = at
        self.player = player
        self.input = input
        self.seed = seed
        self.grace = grace
        self.dice = dice
        self.resumedAt = resumedAt
        self.expiredAt = expiredAt
        self.epoch = epoch
        self.digest = digest
    }

    /// SHA-256 of a published state message, as lowercase hex (`sha256sum` of `GET monopoly:{G}:last`).
    public static func digest(of message: String) -> String {
        var message = message
        let hash = message.withUTF8 { SHA256.hash(data: UnsafeRawBufferPointer($0)) }
        // Written digit by digit: a String per byte, joined, was a quarter of the digest's cost.
        var hex: [UInt8] = []
        hex.reserveCapacity(2 * SHA256.byteCount)
        for byte in hash {
            hex.append(hexDigits[Int(byte >> 4)])
            hex.append(hexDigits[Int(byte & 0xF)])
        }
        return String(decoding: hex, as: UTF8.self)
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// The most die values one command takes (a roll takes two; three doubles make six).
    static let maximumDice = 64

    /// Whether the processor gives up lobby seats for this input (with its `lobbyGrace`).
    static func usesGrace(_ input: Input) -> Bool {
        switch input {
        case .envelope(_, .join), .release: true
        default: false
        }
    }

    /// What the entry's input was, for people: `roll`, `join`, `release`, `close`.
    public var type: String {
        switch input {
        case .envelope(_, let message): message.type
        case .move(let command): command.type
        case .release: "release"
        case .close: "close"
        }
    }
}

// MARK: - JSON

extension GameLogEntry {
    /// The entry as one line of JSON (keys in a fixed order, `seq` first, for people reading it).
    /// Written into one buffer (it was a String per field, joined: a few dozen allocations for
    /// every command); `lineByFields` in GameReplayTests is the reference it is tested against.
    public var line: String {
        var out = JSONOutput(capacity: 256)
        out.raw(#"{"seq":"#)
        out.int(seq)
        out.raw(#","at":"#)
        out.double(at)
        out.raw(#","by":"#)
        if let player { out.string(player) } else { out.null() }
        switch input {
        case .envelope(let id, let message):
            out.raw(#","id":"#)
            out.string(id)
            out.raw(#","msg":"#)
            out.value(message)
        case .move(let command):
            out.raw(#","id":null,"msg":"#)
            out.value(command)
        case .release:
            out.raw(#","id":null,"msg":{"type":"release"}"#)
        case .close(let reason):
            out.raw(#","id":null,"msg":{"reason":"#)
            out.string(reason)
            out.raw(#","type":"close"}"#)
        }
        if let seed {
            out.raw(#","seed":""#)
            out.raw(String(seed))
            out.raw(#"""#)
        }
        if let grace {
            out.raw(#","grace":"#)
            out.double(grace)
        }
        if !dice.isEmpty {
            out.raw(#","dice":"#)
            out.array(dice) { $0.int($1) }
        }
        if let resumedAt {
            out.raw(#","resumed_at":"#)
            out.double(resumedAt)
        }
        if let expiredAt {
            out.raw(#","expired_at":"#)
            out.double(expiredAt)
        }
        if let epoch {
            out.raw(#","epoch":"#)
            out.int(epoch.rawValue)
        }
        out.raw(#","digest":""#)
        out.raw(digest)
        out.raw(#""}"#)
        return out.text
    }

    /// Why a log line was not read: it names the field.
    public struct Unreadable: Error, Sendable, CustomStringConvertible, Equatable {
        public var description: String
    }

    /// Reads one entry. A log is hostile input (a file anyone may edit, a Redis key anyone with
    /// access may write): every field is checked before the replay feeds it to the engine.
    public init(json value: JSONValue) throws(Unreadable) {
        guard case .object(let fields) = value else { throw Unreadable(description: "an entry is not a JSON object") }
        func fail(_ field: String, _ what: String) -> Unreadable { Unreadable(description: "\"\(field)\" \(what)") }
        func string(_ field: String, optional: Bool = false) throws(Unreadable) -> String? {
            switch fields[field] {
            case .string(let text)?:
                guard text.utf8.count <= CommandEnvelope.maximumFieldBytes else { throw fail(field, "is longer than \(CommandEnvelope.maximumFieldBytes) bytes") }
                return text
            case .null?, nil:
                guard optional else { throw fail(field, "must be a string") }
                return nil
            default: throw fail(field, optional ? "must be a string or null" : "must be a string")
            }
        }
        func time(_ field: String) throws(Unreadable) -> Double? {
            switch fields[field] {
            case nil, .null?: return nil
            case .number(let number)? where number.isFinite && number >= 0 && number < 1e11: return number
            default: throw fail(field, "must be a time in seconds since 1970")
            }
        }
        guard case .number(let seqNumber)? = fields["seq"], let seq = Int(exactly: seqNumber),
              (1...GameState.maximumStoredMagnitude).contains(seq) else { throw fail("seq", "must be an integer from 1") }
        guard let at = try time("at") else { throw fail("at", "must be a time in seconds since 1970") }
        guard case .string(let digest)? = fields["digest"], CommandEnvelope.isSeatHash(digest) else {
            throw fail("digest", "must be 64 lowercase hex digits")
        }
        let player = try string("by", optional: true)
        let id = try string("id", optional: true)
        guard let message = fields["msg"] else { throw fail("msg", "is missing") }
        let input: Input
        do {
            if let id {
                input = .envelope(id: id, message: try message.decode(EnvelopeMessage.self))
            } else if message["type"] == .string("release") {
                input = .release
            } else if message["type"] == .string("close") {
                guard case .string(let reason)? = message["reason"], reason.utf8.count <= 64 else { throw fail("msg.reason", "must be a short string") }
                input = .close(reason: reason)
            } else {
                input = .move(try message.decode(Command.self))
            }
        } catch let error as Unreadable {
            throw error
        } catch {
            throw fail("msg", "is not a command: \(error)")
        }
        self.init(seq: seq, at: at, player: player, input: input, digest: digest)
        switch fields["seed"] {
        case nil, .null?: break
        case .string(let text)?:
            guard let seed = UInt64(text) else { throw fail("seed", "must be a decimal 64-bit integer as a string") }
            self.seed = seed
        default: throw fail("seed", "must be a decimal 64-bit integer as a string")
        }
        switch fields["grace"] {
        case nil, .null?: break
        case .number(let grace)? where grace.isFinite && grace >= 0 && grace <= 86_400: self.grace = grace
        default: throw fail("grace", "must be a number of seconds, 0 to 86400")
        }
        switch fields["dice"] {
        case nil, .null?: break
        case .array(let values)? where values.count <= Self.maximumDice:
            for value in values {
                guard case .number(let number) = value, let die = Int(exactly: number), (1...6).contains(die) else {
                    throw fail("dice", "must hold die values 1 to 6")
                }
                dice.append(die)
            }
        default: throw fail("dice", "must be an array of at most \(Self.maximumDice) die values")
        }
        resumedAt = try time("resumed_at")
        expiredAt = try time("expired_at")
        if fields["epoch"] != nil && fields["epoch"] != .null {
            guard let epoch = StateEpoch(json: fields["epoch"]) else { throw fail("epoch", "must be an integer from 0 to \(StateEpoch.maximum)") }
            self.epoch = epoch
        }
    }
}
