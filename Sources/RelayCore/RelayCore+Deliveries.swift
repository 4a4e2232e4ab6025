import Monopoly
import RelayProtocol

/// What arrives from Redis: the authority's replies, states to fan out, stored states read on
/// request, and the lobby list.
extension RelayCore {
    /// `holding`: false for a welcome that waited for its state already (`holdsWelcome`).
    mutating func handle(_ reply: AuthorityReply, holding: Bool = true, _ out: inout [Action]) {
        guard let connection = UInt64(reply.connection) else { return }
        if reply.kind == .revoke {
            // A welcome of this connection that waits for its state came before the revoke on the
            // reply channel: handled first, or the revoke would find no seat and the welcome
            // would seat the connection later in a seat given to another.
            if !welcomesWaiting.isEmpty,
               let command = welcomesWaiting.first(where: { $0.value.reply.connection == reply.connection })?.key,
               let waiting = welcomesWaiting.removeValue(forKey: command) {
                out.append(.cancel(.welcomeWait(command: command)))
                handle(waiting.reply, holding: false, &out)
            }
            guard let session = sessions[connection], session.game == reply.game, session.player == reply.player else { return }
            leave(reply.game, connection, &out)
            let message = reply.message ?? "your seat was taken over by another connection"
            return say(session.peer, .error(code: ErrorCode.seatTaken, message: message, re: .null), &out)
        }
        guard let command = reply.command else { return }
        if holding, reply.kind == .welcome, holdsWelcome(reply, command, connection, &out) { return }
        guard let waiting = pending.take(command) else { return }
        out.append(.cancel(.acknowledgement(command: command)))
        // Answered before its publish's receiver count came back (another Redis connection): the
        // next of its line goes out now.
        send(held.remove(command, of: waiting.connection), &out)
        let session = sessions[connection]
        if let peer = session?.peer {
            switch reply.kind {
            case .welcome:
                // Seated: from now on this connection's commands carry this player, and it gets
                // this game's states, starting with the newest (already here: it was published
                // before the welcome).
                sessions[connection]?.game = reply.game
                sessions[connection]?.player = reply.player
                sessions[connection]?.spectating = false
                lobbyWatchers.remove(connection)
                rooms[reply.game, default: Room()].members[connection] = peer
                say(peer, .welcome(game: reply.game, player: reply.player, token: waiting.token, re: waiting.re), &out)
                let last = rooms[reply.game]?.last
                if let last { out.append(.send(peer, .state(last.frame))) }
                rooms[reply.game]?.patches.admit(connection, peer, at: last?.version, takesPatches: session?.patches ?? false)
            case .ack:
                // It names the state the command made: the member gets that state first (on a
                // cluster the two come on two connections), then the ack (`ReplyHolds`). An
                // acknowledged `leave` leaves once its ack is out, so it gets that state too.
                // In the epoch the authority names (one without: an older authority, or a repeated
                // ack) the game's epoch here.
                let epoch = reply.epoch ?? rooms[reply.game]?.last?.version.epoch
                let named = reply.seq.map { ReplyHolds<Frame>.Awaited(game: reply.game, seq: $0, epoch: epoch) }
                let leaving = waiting.type == MessageType.leave.rawValue ? reply.game : nil
                say(peer, .ack(game: reply.game, seq: reply.seq, re: waiting.re), naming: named, thenLeave: leaving, &out)
            case .error:
                say(peer, .error(code: reply.code ?? .authorityUnavailable, message: reply.message ?? "rejected", re: waiting.re), &out)
            case .revoke:
                break
            }
        }
        // A seat request that did not seat (error, or the client left meanwhile) gives back its
        // interest in the game. (An acknowledged `leave` gave back its member's interest above,
        // and only if the connection had not closed first: closing gives it back too.)
        let seated = reply.kind == .welcome && session != nil
        if waiting.isSeatRequest && !seated { release(waiting.game, &out) }
        // Seated after its connection closed: closing saw no seat to report, so report it now,
        // or the authority keeps the seat "connected" and nobody ever plays its turns.
        if reply.kind == .welcome, session == nil, let player = reply.player {
            reportDisconnect(game: reply.game, player: player, connection: connection, address: waiting.address, &out)
        }
    }

    /// The same frame to every local member. Duplicates (a resync racing the live feed) and stale
    /// states (an older epoch, or a seq not above the last in the same epoch) are never sent; a
    /// newer epoch replaces the newest state whatever its seq (`StateVersion.succession`), and goes
    /// out whole (no patch crosses epochs); chat (no seq) always is sent.
    mutating func fanOut(_ arrival: StateArrival<Frame>, _ out: inout [Action]) {
        broadcast(arrival, &out)
        // The replies held for this state (`ReplyHolds`) go right after it.
        guard arrival.seq != nil, arrival.patch == nil else { return }
        if !welcomesWaiting.isEmpty { releaseWelcomes(of: arrival.game, &out) }
        guard !stateWaits.isEmpty, let waiting = stateWaits.waiting(for: arrival.game) else { return }
        for connection in waiting.sorted() { releaseSent(connection, &out) }
    }

    mutating func broadcast(_ arrival: StateArrival<Frame>, _ out: inout [Action]) {
        let game = arrival.game
        guard rooms[game] != nil else { return }
        if let patch = arrival.patch { return rooms[game]!.patches.hold(patch, frame: arrival.frame) }
        if let version = arrival.version {
            if StateVersion.succession(of: version, after: rooms[game]?.last?.version) == .stale { return }
            rooms[game]?.last = (version, arrival.frame)
        }
        guard let members = rooms[game]?.members, !members.isEmpty else { return }
        guard let version = arrival.version, rooms[game]!.patches.count > 0 else {
            _ = arrival.version.map { rooms[game]?.patches.take(for: $0) }
            return out.append(.broadcast(members.values, arrival.frame, game: game, conflated: arrival.seq != nil))
        }
        // Members that take patches get this state's patch where their chain allows, the others it whole.
        let patch = rooms[game]!.patches.take(for: version)
        let (patched, whole) = rooms[game]!.patches.partition(members, to: version, patch: patch)
        if !whole.isEmpty { out.append(.broadcast(whole.values, arrival.frame, game: game, conflated: true)) }
        if let patch, !patched.isEmpty { out.append(.broadcastPatch(patched.values, patch: patch.frame, whole: arrival.frame, game: game)) }
    }

    mutating func read(_ stored: StoredState<Frame>, of game: GameID, for reader: StoredStateReader, _ out: inout [Action]) {
        switch reader {
        case .spectator(let connection, let re):
            spectatorRead(stored, of: game, connection, re, &out)
        case .recovery(let command):
            recover(command, from: stored, &out)
        case .resynchronization:
            if case .state(let arrival) = stored, arrival.seq != nil { fanOut(arrival, &out) }
        }
    }

    /// A spectator enters with the newest state: the stored one, or a newer one already here.
    mutating func spectatorRead(_ stored: StoredState<Frame>, of game: GameID, _ connection: UInt64, _ re: JSONValue,
                                _ out: inout [Action]) {
        guard let session = sessions[connection] else { return release(game, &out) }
        defer {
            sessions[connection]?.busy = false
            drain(connection, &out)
        }
        func fail(_ code: ErrorCode, _ message: String) {
            say(session.peer, .error(code: code, message: message, re: re), &out)
        }
        if case .unreadable = stored {
            release(game, &out)
            return fail(ErrorCode.redisUnavailable, "cannot reach Redis")
        }
        if case .state(let arrival) = stored, let version = arrival.version,
           StateVersion.succession(of: version, after: rooms[game]?.last?.version) != .stale {
            rooms[game]?.last = (version, arrival.frame)
        }
        guard let last = rooms[game]?.last else {
            release(game, &out)
            return fail(ErrorCode.unknownGame, "there is no game \(game)")
        }
        rooms[game]?.members[connection] = session.peer
        rooms[game]?.patches.admit(connection, session.peer, at: last.version, takesPatches: session.patches)
        sessions[connection]?.game = game
        sessions[connection]?.spectating = true
        lobbyWatchers.remove(connection)
        say(session.peer, .welcome(game: game, player: nil, token: nil, re: re), &out)
        out.append(.send(session.peer, .state(last.frame)))
    }

    /// The acknowledgement timer fired and the game's last state was read. If it names the
    /// command, the command was applied with its reply lost (pub/sub is at-most-once around a
    /// reconnect): its state is delivered, then the reply it implies. Otherwise the client hears
    /// `authority_unavailable`.
    mutating func recover(_ command: String, from stored: StoredState<Frame>, _ out: inout [Action]) {
        // A late reply may have been handled while Redis was asked.
        guard let waiting = pending[command] else { return }
        if case .state(let arrival) = stored,
           let reply = PendingAcknowledgements.recoveredReply(to: command, waiting, from: arrival.payload) {
            fanOut(arrival, &out)
            return handle(reply, &out)
        }
        // A publish whose receiver count never came back leaves the line, so that the line goes on.
        if let session = sessions[waiting.connection], waiting.mayBeSentAgain(published: session.published) {
            send(held.remove(command, of: waiting.connection), &out)
            // In the connection's line at its place (its order): never beside a publish in flight,
            // and past the line's bounds answered like any command.
            let submission = held.submit(command, order: waiting.order, of: waiting.connection, from: waiting.address)
            if submission != .refused {
                pending.markResent(command)
                out.append(.count(.republished))
                if case .publish(let publication) = submission { send(publication, &out) }
                return
            }
        }
        _ = pending.take(command)
        unavailable(waiting.connection, waiting.re, "the game authority did not answer in time; try again", &out)
        send(held.remove(command, of: waiting.connection), &out)
        if waiting.isSeatRequest {
            // The seat request may still be applied (late) or have been applied with its welcome
            // lost and the state moved on: the authority would then hold a seat for this
            // connection that the gateway does not know of, "connected" for ever (never played
            // for, and the connection's next join refused as already seated). It is reported
            // gone, as a hang-up would be; a no-op when no seat was taken.
            reportDisconnect(game: waiting.game, player: nil, connection: waiting.connection, address: waiting.address, &out)
            release(waiting.game, &out)
        }
    }

    // MARK: - Lobby

    mutating func lobbyChanged(_ out: inout [Action]) {
        if lobby.changed(anyoneWatching: !lobbyWatchers.isEmpty) { out.append(.readLobby) }
    }

    mutating func lobbyRead(_ list: LobbyList?, _ out: inout [Action]) {
        let completion = lobby.read(list)
        for requester in completion.answered {
            guard let peer = sessions[requester.connection]?.peer else { continue }
            if let list {
                say(peer, .lobby(list, re: requester.re), &out)
            } else {
                say(peer, .error(code: ErrorCode.redisUnavailable, message: "the lobby cannot be read right now", re: requester.re),
                    &out)
            }
        }
        if completion.push, let list {
            let watchers = lobbyWatchers.compactMap { sessions[$0]?.peer }
            if !watchers.isEmpty { out.append(.pushLobby(list, to: watchers)) }
        }
        if completion.readAgain { out.append(.readLobby) }
    }
}
