import Foundation
import Monopoly
import NIOCore
import Redis
import RelayProtocol
import WebSocket

/// What arrives from Redis: states and chat to fan out, the authority's replies, lobby changes.
extension RelayHub {
    func deliver(_ message: RedisPubSubMessage) {
        if message.channel == RedisChannels.replies(gateway: configuration.gatewayID) {
            guard let reply = try? WireJSON.decode(AuthorityReply.self, from: message.payload) else {
                logger.warning("unreadable reply on \(message.channel)")
                return
            }
            handle(reply)
        } else if message.channel == RedisChannels.lobby {
            lobbyChanged()
        } else if let game = RedisChannels.game(ofStateChannel: message.channel) {
            fanOut(message.payload, game: game)
        }
    }

    /// Encodes once, writes the same bytes to every local member. States supersede each other, so
    /// a member that reads slowly gets only the newest (conflation); chat is never conflated.
    func fanOut(_ payload: [UInt8], game: GameID) {
        let start = ContinuousClock.now
        let frame = PreEncodedFrame(encoded: ByteBuffer(bytes: WebSocketFrameEncoder.frame(opcode: .text, payload: payload)))
        let seq = Self.sequenceNumber(in: payload, game: game)
        let key = seq == nil ? nil : ConflationKey("state:\(game.rawValue)")
        withState { hub in
            guard var subscription = hub.games[game] else { return }
            if let seq {
                // Duplicates (a resync racing the live feed) and stale states are never sent.
                if let last = subscription.last, seq <= last.seq { return }
                subscription.last = (seq, frame)
                hub.games[game] = subscription
            }
            for connection in subscription.members.values {
                connection.send(frame, conflationKey: key)
            }
        }
        recordFanOut(since: start)
    }

    func handle(_ reply: AuthorityReply) {
        guard let raw = UInt64(reply.connection) else { return }
        let connectionID = ConnectionID(rawValue: raw)
        if reply.kind == .revoke {
            let connection = withState { hub -> WebSocketConnection? in
                guard let session = hub.sessions[connectionID], session.game == reply.game, session.player == reply.player else { return nil }
                leave(reply.game, connectionID, &hub)
                return session.connection
            }
            if let connection {
                connection.send(text: ServerMessage.error(code: ErrorCode.seatTaken,
                                                          message: reply.message ?? "your seat was taken over by another connection", re: .null))
            }
            return
        }
        guard let command = reply.command else { return }
        let outcome = withState { hub -> (Pending, WebSocketConnection?)? in
            guard let pending = hub.pending.removeValue(forKey: command) else { return nil }
            pending.timeout?.cancel()
            guard let session = hub.sessions[connectionID] else { return (pending, nil) }
            let connection = session.connection
            switch reply.kind {
            case .welcome:
                // Seated: from now on this connection's commands carry this player, and it gets
                // this game's states, starting with the newest (already here: it was published
                // before the welcome).
                hub.sessions[connectionID]!.game = reply.game
                hub.sessions[connectionID]!.player = reply.player
                hub.sessions[connectionID]!.spectating = false
                hub.lobbyWatchers.remove(connectionID)
                hub.games[reply.game, default: GameSubscription()].members[connectionID] = connection
                connection.send(text: ServerMessage.welcome(game: reply.game, player: reply.player, token: pending.token, re: pending.re))
                if let last = hub.games[reply.game]?.last { connection.send(last.frame) }
            case .ack:
                connection.send(text: ServerMessage.ack(game: reply.game, seq: reply.seq, re: pending.re))
                if pending.type == "leave" { leave(reply.game, connectionID, &hub) }
            case .error:
                connection.send(text: ServerMessage.error(code: reply.code ?? .authorityUnavailable, message: reply.message ?? "rejected", re: pending.re))
            case .revoke:
                break
            }
            return (pending, connection)
        }
        guard let (pending, connection) = outcome else { return }
        // A seat request that did not seat (error, or the client left meanwhile) gives back its
        // interest in the game. (An acknowledged `leave` gave back its member's interest above,
        // and only if the connection had not closed first: closed() gives it back too.)
        let seated = reply.kind == .welcome && connection != nil
        if pending.token != nil && !seated {
            Task { await self.release(pending.game) }
        }
        // Seated after its connection closed: closed() saw no seat to report, so report it now,
        // or the authority keeps the seat "connected" and nobody ever plays its turns.
        if reply.kind == .welcome, connection == nil, let player = reply.player {
            reportDisconnect(game: reply.game, player: player, connection: connectionID)
        }
    }

    /// After a Redis reconnect: every game this gateway follows gets its newest stored state if
    /// a newer one was published meanwhile, and lobby watchers get a fresh list.
    func resynchronize() async {
        let games = withState { Array($0.games.keys) }
        for game in games {
            guard let payload = try? await redis.get(RedisChannels.lastStateKey(game)),
                  let seq = Self.sequenceNumber(in: payload, game: game) else { continue }
            let known = withState { $0.games[game]?.last?.seq ?? 0 }
            if seq > known { fanOut(payload, game: game) }
        }
        lobbyChanged()
        logger.info("resynchronized \(games.count) games after a Redis reconnect")
    }
}
