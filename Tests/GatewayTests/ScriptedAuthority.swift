import Foundation
import Monopoly
import NIOConcurrencyHelpers
import NIOPosix
import Redis
import RelayProtocol

/// An authority the test drives one command at a time, speaking the Redis channels itself with
/// RelayProtocol's types (no Authority target: the gateway's tests stand on the wire contract
/// alone). It keeps what the relay depends on: each game's seq and seats (token hash, gateway,
/// connection), welcomes for seat requests, acks with the new seq, a revoke when a seat's token
/// comes back through another connection, and commits like the authority's (the last state
/// stored, the state published, then the replies, in one transaction).
final class ScriptedAuthority: @unchecked Sendable {
    struct Seat: Equatable {
        var tokenHash: String?
        var gateway: String?
        var connection: String?
        /// When the seat's connection was reported gone (nil while connected, and for bots).
        var disconnectedAt: Double?
    }

    /// A reply and the gateway whose reply channel it goes to.
    struct Reply {
        var gateway: String
        var reply: AuthorityReply
    }

    struct Unexpected: Error, CustomStringConvertible {
        var description: String
    }

    private struct Game {
        var seq = 0
        /// Seats in the order they were taken (the state lists its players in that order).
        var players: [PlayerID] = []
        var seats: [PlayerID: Seat] = [:]
        var joined = 0

        func player(at gateway: String, _ connection: String) -> PlayerID? {
            players.first { seats[$0]?.gateway == gateway && seats[$0]?.connection == connection }
        }

        mutating func seat(_ seat: Seat) -> PlayerID {
            joined += 1
            let player = "p\(joined)"
            players.append(player)
            seats[player] = seat
            return player
        }
    }

    let redis: RedisClient
    private let feed: RedisSubscriber
    private let received: NIOLockedValueBox<[CommandEnvelope]>
    private let games = NIOLockedValueBox<[GameID: Game]>([:])

    init(url: String) async throws {
        let received = NIOLockedValueBox<[CommandEnvelope]>([])
        self.received = received
        redis = try await RedisClient.connect(url: url, eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
        feed = try await RedisSubscriber.connect(url: url, eventLoopGroup: MultiThreadedEventLoopGroup.singleton) { message in
            guard case .success(let envelope) = CommandEnvelope.decode(message.payload) else { return }
            received.withLockedValue { $0.append(envelope) }
        }
        try await feed.psubscribe(RedisChannels.allShardCommandsPattern)
        _ = try await redis.set(RedisChannels.authorityLeaseKey, "scripted")
    }

    /// Envelopes received and not yet taken with `next`.
    var waiting: Int { received.withLockedValue { $0.count } }

    /// The game's seats as this authority keeps them (empty for a game it does not know).
    func seats(in game: GameID) -> [PlayerID: Seat] {
        games.withLockedValue { $0[game]?.seats ?? [:] }
    }

    /// The next envelope a gateway published, which must be of `type`.
    func next(_ type: String) async throws -> CommandEnvelope {
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(10)
        var lastLook = false
        while !lastLook {
            lastLook = clock.now >= deadline  // one look after the deadline too: this task may be starved past it
            if let envelope = received.withLockedValue({ $0.isEmpty ? nil : $0.removeFirst() }) {
                guard envelope.type == type else { throw Unexpected(description: "expected \(type), got \(envelope.type)") }
                return envelope
            }
            if !lastLook { try await Task.sleep(for: .milliseconds(10)) }
        }
        throw Unexpected(description: "no \(type) command within 10 s")
    }

    /// Applies a command and commits it (last state stored and published, then the replies),
    /// except that `deliver: false` holds the replies back: they are returned, and lost unless the
    /// test publishes them with `send`. `repliesFirst`: the replies are published before the state,
    /// as a Redis Cluster may deliver them (two connections); `publishState: false`: the state is
    /// stored but its publish lost.
    @discardableResult
    func apply(_ envelope: CommandEnvelope, deliver: Bool = true, repliesFirst: Bool = false,
               publishState: Bool = true) async throws -> [Reply] {
        let (state, replies) = try games.withLockedValue { games in
            var game = games[envelope.game] ?? Game()
            let effect = try Self.handle(envelope, in: &game)
            guard effect.changed else { return (nil as String?, effect.replies) }
            game.seq += 1
            games[envelope.game] = game
            return (Self.stateMessage(envelope, for: effect.player, game: game), effect.replies)
        }
        var commands: [[RedisArgument]] = []
        var published: [[RedisArgument]] = []
        if let state {
            commands.append(["SET", RedisArgument(RedisChannels.lastStateKey(envelope.game)), RedisArgument(state)])
            if publishState { published.append(["PUBLISH", RedisArgument(RedisChannels.state(envelope.game)), RedisArgument(state)]) }
        }
        let answers: [[RedisArgument]] = deliver
            ? replies.map { ["PUBLISH", RedisArgument(RedisChannels.replies(gateway: $0.gateway)), RedisArgument(WireJSON.encode($0.reply))] }
            : []
        commands += repliesFirst ? answers + published : published + answers
        if !commands.isEmpty { _ = try await redis.transaction(commands) }
        return replies
    }

    func send(_ reply: Reply) async throws {
        _ = try await redis.publish(RedisChannels.replies(gateway: reply.gateway), WireJSON.encode(reply.reply))
    }

    func close() async {
        await feed.close()
        await redis.close()
    }

    /// What one command did: whether it made a new state, the player it was applied for (a seat
    /// request's: the seat it got), and the replies.
    private struct Effect {
        var changed: Bool
        var player: PlayerID?
        var replies: [Reply]

        static func refused(_ reply: Reply) -> Effect { Effect(changed: false, replies: [reply]) }
    }

    /// The authority's seat rules, as far as the relay sees them.
    private static func handle(_ envelope: CommandEnvelope, in game: inout Game) throws -> Effect {
        let here = (gateway: envelope.gateway, connection: envelope.connection)
        func reply(_ kind: AuthorityReply.Kind, seq: Int? = nil, player: PlayerID? = nil, code: ErrorCode? = nil) -> Reply {
            Reply(gateway: here.gateway, reply: AuthorityReply(kind: kind, command: envelope.id, connection: here.connection,
                                                               game: envelope.game, seq: seq, player: player, code: code,
                                                               message: code.map { "scripted \($0.rawValue)" }))
        }
        let seatedHere = Seat(tokenHash: envelope.seat, gateway: here.gateway, connection: here.connection)
        switch envelope.message {
        case .create, .join:
            guard game.player(at: here.gateway, here.connection) == nil else { return .refused(reply(.error, code: .alreadySeated)) }
            let player = game.seat(seatedHere)
            return Effect(changed: true, player: player, replies: [reply(.welcome, seq: game.seq + 1, player: player)])
        case .rejoin:
            guard let tokenHash = envelope.seat, let player = game.players.first(where: { game.seats[$0]?.tokenHash == tokenHash }),
                  let previous = game.seats[player] else { return .refused(reply(.error, code: .invalidToken)) }
            game.seats[player] = seatedHere
            var replies = [reply(.welcome, seq: game.seq + 1, player: player)]
            if let gateway = previous.gateway, let connection = previous.connection,
               gateway != here.gateway || connection != here.connection {
                replies.append(Reply(gateway: gateway, reply: AuthorityReply(kind: .revoke, command: nil, connection: connection,
                                                                             game: envelope.game, player: player, code: .seatTaken,
                                                                             message: "your seat was taken over by another connection")))
            }
            return Effect(changed: true, player: player, replies: replies)
        case .disconnect:
            guard let player = game.player(at: here.gateway, here.connection) else { return Effect(changed: false, replies: []) }
            game.seats[player] = Seat(tokenHash: game.seats[player]?.tokenHash, disconnectedAt: Date().timeIntervalSince1970)
            return Effect(changed: true, player: player, replies: [])
        case .leave, .addBot:
            guard let player = envelope.player, game.player(at: here.gateway, here.connection) == player else {
                return .refused(reply(.error, code: .notSeated))
            }
            if case .leave = envelope.message {
                game.players.removeAll { $0 == player }
                game.seats[player] = nil
            } else {
                _ = game.seat(Seat())
            }
            return Effect(changed: true, player: player, replies: [reply(.ack, seq: game.seq + 1)])
        case .chat, .command:
            throw Unexpected(description: "the scripted authority does not apply \(envelope.type)")
        }
    }

    /// A state message in the authority's form (sorted keys, `"game":"G","seq":N` side by side),
    /// naming the command that made it: what the gateway forwards, and recovers a lost reply from.
    private static func stateMessage(_ envelope: CommandEnvelope, for player: PlayerID?, game: Game) -> String {
        return WireJSON.encode(JSONValue.object([
            "type": .string("state"), "game": .string(envelope.game.rawValue), "seq": .number(Double(game.seq)),
            "cmd": .object(["id": .string(envelope.id), "type": .string(envelope.type), "player": player.map(JSONValue.string) ?? .null]),
            "events": .array([]), "state": .object(["players": .array(game.players.map(JSONValue.string))]),
        ]))
    }
}
