import Logging
import NIOCore
import Redis
import RelayCore
import RelayProtocol
import WebSocket

/// The shell's I/O: what arrives from Redis becomes events, and the core's Redis actions are
/// performed as futures whose results come back as events.
extension RelayHub {
    /// A pub/sub message (on the subscriber's loop, which is the core's).
    func deliver(_ message: RedisPubSubMessage) {
        if message.channel == RedisChannels.replies(gateway: configuration.gatewayID) {
            guard let reply = try? WireJSON.decode(AuthorityReply.self, from: message.payload) else {
                logger.warning("unreadable reply on \(message.channel)")
                return
            }
            submit(.reply(reply))
        } else if message.channel == RedisChannels.lobby {
            submit(.lobbyChanged)
        } else if let game = RedisChannels.game(ofStateChannel: message.channel) {
            let start = ContinuousClock.now
            guard let arrival = Self.arrival(message.payload, game: game) else {
                return logger.warning("dropped a state with an unreadable epoch or patch header on \(message.channel)")
            }
            submit(.state(arrival))
            recordFanOut(since: start)
        }
    }

    /// A state payload with its seq and epoch, encoded once as the frame every member gets; nil for
    /// one that is refused (a state whose epoch, or a patch whose header, is not readable).
    static func arrival(_ payload: [UInt8], game: GameID) -> StateArrival<PreEncodedFrame>? {
        let frame = PreEncodedFrame(encoded: ByteBuffer(bytes: WebSocketFrameEncoder.frame(opcode: .text, payload: payload)))
        if let patch = StatePatch.header(in: payload, game: game) {
            return StateArrival(game: game, seq: patch.seq, epoch: patch.epoch, frame: frame, payload: payload, patch: patch)
        }
        if StatePatch.looksLikePatch(payload) { return nil }
        switch StatePayload.read(payload, game: game) {
        case .state(let version):
            return StateArrival(game: game, seq: version.seq, epoch: version.epoch, frame: frame, payload: payload)
        case .other:
            return StateArrival(game: game, seq: nil, frame: frame, payload: payload)
        case .refused:
            return nil
        }
    }

    func publish(_ envelope: CommandEnvelope, _ link: RedisLink?) {
        let command = envelope.id
        guard let client = link?.client else {
            publishErrors.increment()
            return submit(.publishFailed(command: command))
        }
        client.publishShardedFuture(RedisChannels.shardCommands(GameShard(of: envelope.game)), RedisArgument(WireJSON.encode(envelope)), on: loop)
            .whenComplete { result in
            switch result {
            case .success(let receivers):
                self.published.increment()
                self.logger.trace("command published", metadata: [
                    "game": "\(envelope.game)", "connection": "\(envelope.connection)", "command": "\(command)", "receivers": "\(receivers)",
                ])
                self.submit(.published(command: command, receivers: receivers, now: .now))
            case .failure:
                self.publishErrors.increment()
                self.submit(.publishFailed(command: command))
            }
        }
    }

    /// The authority keeps a seat for a grace period after its connection is gone; it only needs to
    /// know. No answer is awaited, but the receiver count is (nobody listening: it is held).
    func reportDisconnect(_ envelope: CommandEnvelope, _ link: RedisLink?) {
        let command = envelope.id
        let metadata: Logger.Metadata = ["game": "\(envelope.game)", "connection": "\(envelope.connection)", "player": "\(envelope.player ?? "-")"]
        guard let client = link?.client else {
            logger.warning("could not report a disconnect: not connected to Redis", metadata: metadata)
            return submit(.publishFailed(command: command))
        }
        client.publishShardedFuture(RedisChannels.shardCommands(GameShard(of: envelope.game)), RedisArgument(WireJSON.encode(envelope)), on: loop)
            .whenComplete { result in
            switch result {
            case .success(let receivers):
                self.submit(.published(command: command, receivers: receivers, now: .now))
            case .failure(let error):
                self.logger.warning("could not report a disconnect: \(error)", metadata: metadata)
                self.submit(.publishFailed(command: command))
            }
        }
    }

    func subscribe(_ game: GameID, _ link: RedisLink?) {
        guard let subscriber = link?.subscriber else { return submit(.subscribeFailed(game)) }
        subscriber.subscribeShardedFuture([RedisChannels.state(game)], on: loop).whenComplete { result in
            switch result {
            case .success: self.submit(.subscribed(game))
            case .failure: self.submit(.subscribeFailed(game))
            }
        }
    }

    func readLastState(_ game: GameID, for reader: StoredStateReader, _ link: RedisLink?) {
        guard let client = link?.client else { return submit(.storedState(game, .unreadable, for: reader)) }
        client.sendFuture(["GET", RedisArgument(RedisChannels.lastStateKey(game))], on: loop).whenComplete { result in
            let stored: StoredState<PreEncodedFrame>
            switch result {
            case .success(.bulkString(let payload)): stored = Self.arrival(payload, game: game).map { StoredState.state($0) } ?? .unreadable
            case .success(.null): stored = .none
            case .success, .failure: stored = .unreadable
            }
            self.submit(.storedState(game, stored, for: reader))
        }
    }

    /// One read of the lobby hash.
    func readLobby(_ link: RedisLink?) {
        guard let client = link?.client else { return submit(.lobbyRead(nil)) }
        client.sendFuture(["HVALS", RedisArgument(RedisChannels.lobbyKey)], on: loop).whenComplete { result in
            guard let reply = try? result.get(), reply.errorMessage == nil else { return self.submit(.lobbyRead(nil)) }
            self.submit(.lobbyRead(LobbyList(entries: (reply.array ?? []).compactMap(\.bytes))))
        }
    }
}
