import Monopoly
import RelayProtocol

/// Client requests: the rate limit, one connection's requests in order, seats (one seat request
/// at a time), and the commands forwarded to the authority with the wait for their acknowledgement.
extension RelayCore {
    mutating func received(_ peer: Peer, _ parsed: Result<ClientRequest, RequestError>, _ credentials: SeatCredentials?,
                           _ now: ContinuousClock.Instant, _ out: inout [Action]) {
        let connection = peer.number
        guard var session = sessions[connection] else { return out.append(.close(peer, reason: "rate limit")) }
        guard session.bucket.take(now: now) else {
            session.strikes += 1
            sessions[connection] = session
            if session.strikes >= configuration.rateLimitStrikes { return out.append(.close(peer, reason: "rate limit")) }
            out.append(.count(.rateLimited))
            let message = "slow down: at most \(Int(configuration.messagesPerSecond)) messages per second"
            return say(peer, .error(code: ErrorCode.rateLimited, message: message, re: .null), &out)
        }
        session.strikes = 0
        sessions[connection] = session
        switch parsed {
        case .failure(let error):
            say(peer, .error(code: error.code, message: error.message, re: error.re), &out)
        case .success(let request):
            sessions[connection]?.queue.append(Queued(request: request, credentials: credentials, now: now))
            drain(connection, &out)
        }
    }

    /// Handles the connection's queued requests until one has to wait (for Redis or the authority).
    mutating func drain(_ connection: UInt64, _ out: inout [Action]) {
        while sessions[connection].map({ !$0.busy && !$0.queue.isEmpty }) == true {
            guard let next = sessions[connection]?.queue.removeFirst() else { return }
            handle(next, from: connection, &out)
        }
    }

    /// `patches` on any request takes effect at once: a member of a game changes sides in its
    /// patch routes (turned on, its chain starts at the next state, sent whole). Before, the choice
    /// was only read when the connection entered a game, so `false` on `lobby` left a member on patches.
    mutating func choosePatches(_ patches: Bool, _ connection: UInt64) {
        guard let session = sessions[connection], session.patches != patches else { return }
        sessions[connection]?.patches = patches
        if let game = session.game, rooms[game]?.members[connection] != nil {
            rooms[game]?.patches.admit(connection, session.peer, at: nil, takesPatches: patches)
        }
    }

    mutating func handle(_ queued: Queued, from connection: UInt64, _ out: inout [Action]) {
        if let patches = queued.request.patches { choosePatches(patches, connection) }
        guard let session = sessions[connection] else { return }
        let peer = session.peer
        let re = queued.request.id
        func fail(_ code: ErrorCode, _ message: String) {
            say(peer, .error(code: code, message: message, re: re), &out)
        }
        // A seat request (create, join, rejoin) holds the connection's one seat until its answer:
        // a second one (or a spectate) meanwhile would seat or seed the connection in two games, of
        // which it would only ever leave (and report disconnected from) the last.
        switch queued.request.kind {
        case .create, .join, .rejoin, .spectate:
            if pending.hasSeatRequest(of: connection) {
                return fail(ErrorCode.alreadySeated, "wait for the answer to your previous seat request")
            }
        default:
            break
        }
        let seated = session.game.map { "leave game \($0) first" }
        switch queued.request.kind {
        case .lobby:
            lobbyWatchers.insert(connection)
            switch lobby.request(LobbyRequester(connection: connection, re: re)) {
            case .list(let list): say(peer, .lobby(list, re: re), &out)
            case .wait(let startRead): if startRead { out.append(.readLobby) }
            }

        case .create(let name, let options):
            if let seated { return fail(ErrorCode.alreadySeated, seated) }
            guard createRate.allow(peer.limitKey, now: queued.now) else {
                return fail(ErrorCode.rateLimited, "at most \(Int(configuration.createsPerMinute)) new games per minute from one address")
            }
            guard let credentials = queued.credentials else { return fail(ErrorCode.badRequest, "no seat credentials") }
            requestSeat(Forward(game: credentials.newGame, message: .create(name: name, options: options), re: re,
                                token: credentials.token, seat: credentials.tokenHash, client: peer.limitKey), connection, &out)

        case .join(let game, let name):
            if let seated { return fail(ErrorCode.alreadySeated, seated) }
            guard let credentials = queued.credentials else { return fail(ErrorCode.badRequest, "no seat credentials") }
            requestSeat(Forward(game: game, message: .join(name: name), re: re, token: credentials.token, seat: credentials.tokenHash),
                        connection, &out)

        case .rejoin(let game, let token):
            guard session.game == nil || (session.game == game && session.player == nil) else {
                return fail(ErrorCode.alreadySeated, seated ?? "")
            }
            guard let credentials = queued.credentials else { return fail(ErrorCode.badRequest, "no seat credentials") }
            if session.spectating { leave(game, connection, &out) }
            requestSeat(Forward(game: game, message: .rejoin, re: re, token: token, seat: credentials.tokenHash), connection, &out)

        case .spectate(let game):
            if let seated { return fail(ErrorCode.alreadySeated, seated) }
            sessions[connection]?.busy = true
            retain(game, .spectate(connection: connection, re: re), &out)

        case .leave:
            guard let game = session.game else { return fail(ErrorCode.notSeated, "you are not in a game") }
            if session.player == nil {
                leave(game, connection, &out)
                say(peer, .ack(game: game, seq: nil, re: re), &out)
            } else {
                forward(Forward(game: game, player: session.player, message: .leave, re: re), connection, &out)
            }

        case .chat(let text):
            forwardSeated(.chat(text: text), session, re, &out)
        case .addBot:
            forwardSeated(.addBot, session, re, &out)
        case .command(let command):
            forwardSeated(.command(command), session, re, &out)
        }
    }

    /// A message only a seated player sends (chat, add_bot, the rules' commands), as that player.
    mutating func forwardSeated(_ message: EnvelopeMessage, _ session: Session, _ re: JSONValue, _ out: inout [Action]) {
        guard let game = session.game, let player = session.player else {
            let text = "\(message.type) needs a seat: join or rejoin a game first"
            return say(session.peer, .error(code: ErrorCode.notSeated, message: text, re: re), &out)
        }
        forward(Forward(game: game, player: player, message: message, re: re), session.peer.number, &out)
    }

    /// `create`, `join`, `rejoin`: the game's state channel is subscribed first, so the state the
    /// authority publishes before its welcome is already here when the welcome arrives.
    mutating func requestSeat(_ forward: Forward, _ connection: UInt64, _ out: inout [Action]) {
        sessions[connection]?.busy = true
        retain(forward.game, .seat(connection: connection, forward), &out)
    }

    /// Publishes the command once the authority is known to be alive (a lease read may be one
    /// poll old: a standby may have just taken it, so a missing one is read again first).
    mutating func forward(_ forward: Forward, _ connection: UInt64, _ out: inout [Action]) {
        guard authority.alive else {
            sessions[connection]?.busy = true
            authority.waiting.append((connection, forward))
            if !authority.checking {
                authority.checking = true
                out.append(.checkAuthority)
            }
            return
        }
        publish(forward, connection, &out)
    }

    mutating func authorityChecked(alive: Bool, _ out: inout [Action]) {
        authority.alive = alive
        authority.checking = false
        let waiting = authority.waiting
        authority.waiting = []
        for (connection, forward) in waiting {
            guard sessions[connection] != nil else {
                if forward.isSeatRequest { release(forward.game, &out) }
                continue
            }
            sessions[connection]?.busy = false
            if alive {
                publish(forward, connection, &out)
            } else {
                unavailable(connection, forward.re, "no game authority holds the lease right now; try again shortly", &out)
                if forward.isSeatRequest { release(forward.game, &out) }
            }
            drain(connection, &out)
        }
    }

    /// One envelope, its acknowledgement awaited until the timer fires. It goes in the
    /// connection's line (`HandoverHolds`): published now when nothing of the connection is in
    /// flight or held, else once the earlier ones were heard, so that it never overtakes them.
    mutating func publish(_ forward: Forward, _ connection: UInt64, _ out: inout [Action]) {
        let id = nextCommandID()
        let envelope = CommandEnvelope(id: id, gateway: configuration.gatewayID, connection: "\(connection)", game: forward.game,
                                       player: forward.player, seat: forward.seat, client: forward.client,
                                       key: CommandEnvelope.key(of: forward.re), message: forward.message)
        var waiting = PendingCommand(connection: connection, re: forward.re, game: forward.game,
                                     type: forward.message.type, token: forward.token, envelope: envelope, order: commandCount)
        sessions[connection]?.published += 1
        waiting.sent = sessions[connection]?.published ?? 0
        waiting.address = sessions[connection]?.peer.limitKey ?? ""
        pending.register(id, waiting)
        switch held.submit(id, order: commandCount, of: connection, from: waiting.address) {
        case .publish(let publication): send(publication, &out)
        case .queued: break
        case .refused: giveUp(id, Self.nobodyListening, &out)
        }
    }

    static var nobodyListening: String { "no game authority is listening to the game's shard; try again shortly" }

    /// Publishes a command of a line (or a disconnect report): a first publish starts its
    /// acknowledgement timer, a later one is counted as republished.
    mutating func send(_ publication: HandoverHolds.Publication?, _ out: inout [Action]) {
        guard let publication else { return }
        let command = publication.command
        if publication.again { out.append(.count(.republished)) }
        if let report = reports[command] { return out.append(.reportDisconnect(report.envelope)) }
        guard let envelope = pending[command]?.envelope else { return }
        if !publication.again { out.append(.schedule(.acknowledgement(command: command), after: configuration.acknowledgementTimeout)) }
        out.append(.publish(envelope))
    }

    /// A publish's receiver count. Nobody listening means the game's shard is between holders (or
    /// no authority is left): the connection's line is held and its first command published again
    /// until one listens or the handover bound passes (`HandoverHolds`). Heard after a retry, it
    /// awaits its acknowledgement from then on; heard, the next of the line goes out.
    mutating func published(_ command: String, receivers: Int, now: ContinuousClock.Instant, _ out: inout [Action]) {
        guard let connection = pending[command]?.connection ?? reports[command]?.connection else { return }
        // Nobody is left to answer a closed connection's command; its disconnect report is held.
        if receivers == 0, sessions[connection] == nil, reports[command] == nil { return giveUp(command, Self.nobodyListening, &out) }
        let outcome = held.published(command, receivers: receivers, of: connection, now: now)
        if receivers > 0 { reports[command] = nil }
        if pending[command] != nil {
            if outcome.startTimer { out.append(.schedule(.acknowledgement(command: command), after: configuration.acknowledgementTimeout)) }
            if outcome.stopTimer && !outcome.answer.contains(command) { out.append(.cancel(.acknowledgement(command: command))) }
        }
        let why = outcome.expired ? "no game authority took the game's shard in time; try again" : Self.nobodyListening
        for answered in outcome.answer { giveUp(answered, why, &out) }
        if let delay = outcome.retry { out.append(.schedule(.handover(connection: connection), after: delay)) }
        send(outcome.next, &out)
    }

    /// The connection's retry timer fired: its first held command goes out again, same id;
    /// unless no authority is left at all (the lease poll found none): then nobody will take the
    /// shard, and the line is answered now.
    mutating func republish(_ connection: UInt64, _ out: inout [Action]) {
        guard authority.alive || !held.isRetryDue(connection) else {
            for command in held.drop(connection) { giveUp(command, "no game authority holds the lease right now; try again shortly", &out) }
            return
        }
        send(held.due(connection), &out)
    }

    /// The command did not reach a live authority (nobody listened, or Redis failed): the client
    /// hears so, and a seat request gives back its interest in the game. A disconnect report is
    /// counted lost. The next of its line goes out.
    mutating func giveUp(_ command: String, _ why: String, _ out: inout [Action]) {
        if let report = reports.removeValue(forKey: command) {
            out.append(.count(.disconnectReportLost))
            return send(held.remove(command, of: report.connection), &out)
        }
        guard let waiting = pending.take(command) else { return }
        out.append(.cancel(.acknowledgement(command: command)))
        unavailable(waiting.connection, waiting.re, why, &out)
        if waiting.isSeatRequest { release(waiting.game, &out) }
        send(held.remove(command, of: waiting.connection), &out)
    }

    mutating func unavailable(_ connection: UInt64, _ re: JSONValue, _ why: String, _ out: inout [Action]) {
        out.append(.count(.authorityUnavailable))
        guard let session = sessions[connection] else { return }
        say(session.peer, .error(code: ErrorCode.authorityUnavailable, message: why, re: re), &out)
    }
}
