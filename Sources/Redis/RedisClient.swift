import Crypto
import Logging
import NIOCore

/// A pipelined, reconnecting command connection.
///
/// Many commands may be in flight at once from any task; replies are matched in order. Writes are
/// buffered and flushed once per event-loop tick (or when 64 KiB accumulate), so concurrent
/// publishers are batched into few syscalls. When the connection is lost, in-flight commands fail
/// with ``RedisError/connectionClosed(reason:)``, new ones fail fast with
/// ``RedisError/notConnected(_:)`` and the client reconnects in the background with capped
/// exponential backoff and jitter.
public final class RedisClient: Sendable {
    let connection: RedisConnection

    /// The event loop that owns the socket; futures returned by the `...Future` methods complete on it.
    public var eventLoop: EventLoop { connection.eventLoop }
    public var configuration: RedisConfiguration { connection.configuration }

    init(connection: RedisConnection) { self.connection = connection }

    /// Dropping the last reference closes the connection (prefer an explicit `close()`).
    deinit { connection.closeSoon() }

    /// Connects (TCP, AUTH, SELECT) and returns a ready client, or throws
    /// ``RedisError/connectionRefused(host:port:)``, ``RedisError/authenticationFailed(_:)`` ...
    public static func connect(configuration: RedisConfiguration, eventLoopGroup: EventLoopGroup,
                               logger: Logger = Logger(label: "redis")) async throws -> RedisClient {
        let connection = RedisConnection(configuration: configuration, eventLoop: eventLoopGroup.next(),
                                         logger: logger, subscriberMode: false)
        try await connection.start().get()
        return RedisClient(connection: connection)
    }

    /// `try await RedisClient.connect(url: "redis://:secret@127.0.0.1:6379/2", eventLoopGroup: group)`
    public static func connect(url: String, eventLoopGroup: EventLoopGroup,
                               logger: Logger = Logger(label: "redis")) async throws -> RedisClient {
        try await connect(configuration: RedisConfiguration(url: url), eventLoopGroup: eventLoopGroup, logger: logger)
    }

    // MARK: State

    /// Current state (any thread). `.ready` is the only state in which commands are sent.
    public var state: RedisConnectionState { connection.state }
    /// A fresh stream of state changes, starting with the current state; finishes on `close()`.
    public var stateChanges: AsyncStream<RedisConnectionState> { connection.stateChanges() }
    public var statistics: RedisConnectionStatistics { connection.statistics }

    /// Closes the connection and stops reconnecting. In-flight commands fail with `.clientClosed`.
    public func close() async {
        try? await connection.close().get()
    }

    // MARK: Generic commands

    /// Sends any command. Error replies are thrown as ``RedisError/server(_:)``.
    @discardableResult
    public func send(_ arguments: [RedisArgument]) async throws -> RESPValue {
        let reply = try await connection.send(arguments).get()
        if case .error(let message) = reply { throw RedisError.server(message) }
        return reply
    }

    /// Sends any command without a hop through async: the future completes on ``eventLoop`` with the
    /// raw reply (error replies as `.error`, not thrown).
    public func sendFuture(_ arguments: [RedisArgument]) -> EventLoopFuture<RESPValue> {
        connection.send(arguments)
    }

    /// Pipelines `commands` back to back and returns every reply in order. Error replies are
    /// returned in place (`.error`), so one failing command doesn't hide the others' results.
    public func pipeline(_ commands: [[RedisArgument]]) async throws -> [RESPValue] {
        try await connection.sendBatch(commands).get()
    }

    public func pipelineFuture(_ commands: [[RedisArgument]]) -> EventLoopFuture<[RESPValue]> {
        connection.sendBatch(commands)
    }

    // MARK: Typed helpers

    /// PING; returns "PONG" (or the echoed message).
    @discardableResult
    public func ping(_ message: String? = nil) async throws -> String {
        var args: [RedisArgument] = ["PING"]
        if let message { args.append(RedisArgument(message)) }
        return try await send(args).string ?? ""
    }

    /// AUTH on this connection; on success the credentials are also used by future reconnects.
    public func auth(username: String? = nil, password: String) async throws {
        var args: [RedisArgument] = ["AUTH"]
        if let username { args.append(RedisArgument(username)) }
        args.append(RedisArgument(password))
        do { try await send(args) } catch RedisError.server(let message) {
            throw RedisError.authenticationFailed(message)
        }
        connection.updateConfiguration { $0.username = username; $0.password = password }
    }

    /// SELECT; on success future reconnects select the same database.
    public func select(_ database: Int) async throws {
        do { try await send(["SELECT", RedisArgument(database)]) } catch RedisError.server(let message) {
            throw RedisError.selectFailed(database: database, message: message)
        }
        connection.updateConfiguration { $0.database = database }
    }

    /// GET: the value's bytes, nil if the key doesn't exist.
    public func get(_ key: String) async throws -> [UInt8]? {
        switch try await send(["GET", RedisArgument(key)]) {
        case .bulkString(let bytes): return bytes
        case .null: return nil
        case let other: throw RedisError.unexpectedReply("GET returned \(other)")
        }
    }

    /// GET decoded as UTF-8.
    public func getString(_ key: String) async throws -> String? {
        try await get(key).map { String(decoding: $0, as: UTF8.self) }
    }

    /// SET key value [NX] [PX ms]. Returns false when NX prevented the write.
    @discardableResult
    public func set(_ key: String, _ value: RedisArgument, onlyIfNotExists: Bool = false,
                    expiryMilliseconds: Int? = nil) async throws -> Bool {
        var args: [RedisArgument] = ["SET", RedisArgument(key), value]
        if onlyIfNotExists { args.append("NX") }
        if let expiryMilliseconds { args.append("PX"); args.append(RedisArgument(expiryMilliseconds)) }
        switch try await send(args) {
        case .simpleString: return true
        case .null: return false
        case let other: throw RedisError.unexpectedReply("SET returned \(other)")
        }
    }

    @discardableResult
    public func set(_ key: String, _ value: String, onlyIfNotExists: Bool = false,
                    expiryMilliseconds: Int? = nil) async throws -> Bool {
        try await set(key, RedisArgument(value), onlyIfNotExists: onlyIfNotExists, expiryMilliseconds: expiryMilliseconds)
    }

    @discardableResult
    public func set(_ key: String, _ value: [UInt8], onlyIfNotExists: Bool = false,
                    expiryMilliseconds: Int? = nil) async throws -> Bool {
        try await set(key, RedisArgument(value), onlyIfNotExists: onlyIfNotExists, expiryMilliseconds: expiryMilliseconds)
    }

    /// DEL; returns how many keys existed.
    @discardableResult
    public func del(_ keys: [String]) async throws -> Int {
        try await integer(send([RedisArgument("DEL")] + keys.map { RedisArgument($0) }), "DEL")
    }

    @discardableResult
    public func del(_ key: String) async throws -> Int { try await del([key]) }

    /// EXPIRE key seconds; false if the key doesn't exist.
    @discardableResult
    public func expire(_ key: String, seconds: Int) async throws -> Bool {
        try await integer(send(["EXPIRE", RedisArgument(key), RedisArgument(seconds)]), "EXPIRE") == 1
    }

    /// PEXPIRE key milliseconds; false if the key doesn't exist.
    @discardableResult
    public func pexpire(_ key: String, milliseconds: Int) async throws -> Bool {
        try await integer(send(["PEXPIRE", RedisArgument(key), RedisArgument(milliseconds)]), "PEXPIRE") == 1
    }

    /// PUBLISH; returns the number of subscribers that received the message (on this server).
    /// Failures are counted in ``RedisConnectionStatistics/publishErrors``.
    @discardableResult
    public func publish(_ channel: String, _ payload: RedisArgument) async throws -> Int {
        do {
            return try await integer(send(["PUBLISH", RedisArgument(channel), payload]), "PUBLISH")
        } catch {
            connection.publishErrors.wrappingIncrement(ordering: .relaxed)
            throw error
        }
    }

    @discardableResult
    public func publish(_ channel: String, _ payload: [UInt8]) async throws -> Int {
        try await publish(channel, RedisArgument(payload))
    }

    @discardableResult
    public func publish(_ channel: String, _ message: String) async throws -> Int {
        try await publish(channel, RedisArgument(message))
    }

    /// PUBLISH as a future (no async hop; for event-loop code). Errors are counted too.
    public func publishFuture(_ channel: String, _ payload: RedisArgument) -> EventLoopFuture<Int> {
        connection.send(["PUBLISH", RedisArgument(channel), payload]).flatMapThrowing { reply in
            guard case .integer(let n) = reply else {
                if case .error(let message) = reply { throw RedisError.server(message) }
                throw RedisError.unexpectedReply("PUBLISH returned \(reply)")
            }
            return n
        }.flatMapErrorThrowing { error in
            self.connection.publishErrors.wrappingIncrement(ordering: .relaxed)
            throw error
        }
    }

    /// EVAL script numkeys keys... args...
    @discardableResult
    public func eval(_ script: String, keys: [String] = [], arguments: [RedisArgument] = []) async throws -> RESPValue {
        try await send(["EVAL", RedisArgument(script), RedisArgument(keys.count)] + keys.map { RedisArgument($0) } + arguments)
    }

    /// EVALSHA sha1 numkeys keys... args... (throws `.server("NOSCRIPT ...")` if not cached).
    @discardableResult
    public func evalSHA(_ sha1: String, keys: [String] = [], arguments: [RedisArgument] = []) async throws -> RESPValue {
        try await send(["EVALSHA", RedisArgument(sha1), RedisArgument(keys.count)] + keys.map { RedisArgument($0) } + arguments)
    }

    /// EVALSHA first; on NOSCRIPT (new server, restart, SCRIPT FLUSH) falls back to EVAL, which
    /// also caches the script for next time.
    @discardableResult
    public func eval(_ script: RedisScript, keys: [String] = [], arguments: [RedisArgument] = []) async throws -> RESPValue {
        do {
            return try await evalSHA(script.sha1, keys: keys, arguments: arguments)
        } catch let error as RedisError where error.isServerError("NOSCRIPT") {
            return try await eval(script.source, keys: keys, arguments: arguments)
        }
    }

    /// MULTI, the commands, EXEC, pipelined back to back. Returns EXEC's replies (per-command
    /// runtime errors as `.error` values). Throws `.server("EXECABORT ...")` if a command was
    /// rejected while queuing and ``RedisError/transactionAborted`` if a WATCHed key changed.
    public func transaction(_ commands: [[RedisArgument]]) async throws -> [RESPValue] {
        try await Self.transactionResults(connection.sendBatch([["MULTI"]] + commands + [["EXEC"]]).get())
    }

    /// EXEC's results from the replies to MULTI, the queued commands and EXEC (shared with the cluster client).
    static func transactionResults(_ replies: [RESPValue]) throws -> [RESPValue] {
        if case .error(let message) = replies.first { throw RedisError.server(message) }
        switch replies.last {
        case .array(let results)?: return results
        case .null?: throw RedisError.transactionAborted
        case .error(let message)?:
            let queued = replies.dropFirst().dropLast().compactMap(\.errorMessage)
            throw RedisError.server(queued.isEmpty ? message : "\(message) (\(queued.joined(separator: "; ")))")
        case let other: throw RedisError.unexpectedReply("EXEC returned \(String(describing: other))")
        }
    }

    private func integer(_ reply: RESPValue, _ command: String) throws -> Int {
        guard case .integer(let n) = reply else { throw RedisError.unexpectedReply("\(command) returned \(reply)") }
        return n
    }
}

/// A Lua script with its SHA-1, for ``RedisClient/eval(_:keys:arguments:)-(RedisScript,_,_)``.
public struct RedisScript: Sendable, Hashable {
    public let source: String
    public let sha1: String

    public init(_ source: String) {
        self.source = source
        self.sha1 = Insecure.SHA1.hash(data: Array(source.utf8)).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}
