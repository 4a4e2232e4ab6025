/// A game's command log as one JSON document: what `GET /games/GAME/log.json` serves and
/// `monopoly replay --file` reads (`monopoly replay GAME` reads the same from Redis).
///
///     {"type":"monopoly_log","version":1,"game":"K7QZ2M","last":{...state message...},"entries":[
///     {"seq":1,...},
///     {"seq":2,...}
///     ]}
///
/// `entries`: the lines of `monopoly:{GAME}:log` as stored, one per line; `last`: the game's last
/// published state message (`monopoly:{GAME}:last`), null when it is gone.
public struct GameLogFile: Sendable {
    public var game: GameID
    public var entries: [JSONValue]
    public var last: JSONValue?

    public static let type = "monopoly_log"
    public static let version = 1

    /// The most entries a game's log holds (`MAX_LOG_ENTRIES` is at most this; the truncation mark
    /// comes on top): about 20 MB at 200 bytes an entry, what one download may cost a gateway.
    public static let maximumEntries = 100_000

    /// What a log document may hold, checked in one pass before anything is built: the entries of
    /// the bound and its truncation mark, at most 256 values each on average (an entry holds about
    /// 20; a `trade_propose` with every property, 70). Without it a 512 MiB file of `0,0,0...`
    /// built 268 million values (a debug build held 1.7 GB for 100 MB of it).
    public static let limits = JSONLimits(maxDepth: 32, maxEntries: maximumEntries + 1, maxValues: (maximumEntries + 1) * 256,
                                          maxStringBytes: JSONLimits.message.maxStringBytes, maxNumberLength: 64)

    /// How many lines of the log to read with the last state `last`: one per state from seq 1 to
    /// the last's (lines appended after it was read are left, so the two agree without a script
    /// or a transaction, which a gateway may not run), at least one and at most the bound and its
    /// truncation mark: a `last` with seq 0 (which no authority publishes) made a caller's
    /// `LRANGE 0 -1` read the whole list, whatever Redis held.
    public static func linesToRead(last: String, game: GameID) -> Int {
        let seq = StateSequence(game: game.rawValue).find(in: last) ?? maximumEntries + 1
        return min(max(seq, 1), maximumEntries + 1)
    }

    public init(game: GameID, entries: [JSONValue], last: JSONValue?) {
        self.game = game
        self.entries = entries
        self.last = last
    }

    /// The document, from the stored lines as they are (each already one line of JSON).
    public static func render(game: GameID, lines: [String], last: String?) -> String {
        var text = #"{"type":"\#(type)","version":\#(version),"game":"\#(game.rawValue)","last":"# + (last ?? "null") + #","entries":["# + "\n"
        text.reserveCapacity(text.utf8.count + lines.reduce(0) { $0 + $1.utf8.count + 2 } + 4)
        for (index, line) in lines.enumerated() {
            text += line
            text += index == lines.count - 1 ? "\n" : ",\n"
        }
        text += "]}\n"
        return text
    }

    /// Why a document is not a log file.
    public struct Unreadable: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// Reads a document `render` wrote (or one like it): anyone may have edited it, so each part is
    /// checked; the entries are read one by one later (`GameLogEntry(json:)`).
    public init(parsing bytes: some Collection<UInt8>) throws(Unreadable) {
        let document: JSONValue
        do {
            document = try JSONValue(parsing: bytes, limits: Self.limits)
        } catch {
            throw Unreadable(description: "not JSON: \(error)")
        }
        guard document["type"] == .string(Self.type) else { throw Unreadable(description: #"not a command log ("type" is not "monopoly_log")"#) }
        guard document["version"] == .number(Double(Self.version)) else { throw Unreadable(description: "a log of another version (this reads version \(Self.version))") }
        guard case .string(let name)? = document["game"], let game = GameID(rawValue: name) else { throw Unreadable(description: #""game" is not a game id"#) }
        guard case .array(let entries)? = document["entries"] else { throw Unreadable(description: #""entries" must be an array"#) }
        let last: JSONValue?
        switch document["last"] {
        case nil, .null?: last = nil
        case .object(let object)?: last = .object(object)
        default: throw Unreadable(description: #""last" must be a state message or null"#)
        }
        self.init(game: game, entries: entries, last: last)
    }
}
