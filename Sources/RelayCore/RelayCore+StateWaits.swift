import RelayProtocol

/// Replies to a connection's client, held behind an acknowledgement that names a state the
/// connection was not sent yet (`ReplyHolds`): one connection's replies go out in order, and an
/// `ack` after the state it names.
extension RelayCore {
    typealias Awaited = ReplyHolds<Frame>.Awaited

    /// A reply for `peer`'s client: sent now, or held. `naming`: the state an `ack` names (held
    /// while its connection, a member of the game, was not sent it); `thenLeave`: an acknowledged
    /// `leave`, whose connection leaves the game once the reply is out. Behind a held reply any
    /// reply waits, so that none overtakes it.
    mutating func say(_ peer: Peer, _ message: ClientMessage<Frame>, naming: Awaited? = nil, thenLeave game: GameID? = nil,
                      _ out: inout [Action]) {
        let connection = peer.number
        if !stateWaits.isEmpty, stateWaits.count(of: connection) >= configuration.stateWait.perConnection {
            releaseAll(connection, counting: .acknowledgementReleasedByCap, &out)
        }
        let awaits = naming.flatMap { isSent($0, to: connection) ? nil : $0 }
        guard awaits != nil || (!stateWaits.isEmpty && stateWaits.isHolding(connection)) else {
            out.append(.send(peer, message))
            if let game { leave(game, connection, &out) }
            return
        }
        if awaits != nil { out.append(.count(.acknowledgementHeld)) }
        if !stateWaits.isHolding(connection) {
            out.append(.schedule(.stateWait(connection: connection), after: configuration.stateWait.timeout))
        }
        stateWaits.append(ReplyHolds.Entry(message: message, awaits: awaits, leaves: game), of: connection)
    }

    /// Whether the connection was sent the state `awaited` (the game's members were sent it or a
    /// later one; a state replaced by a newer one still queued for a slow reader counts, the
    /// newer goes out), or never will be: it is not a member of the game (left, revoked, or not
    /// following it: a player's reply about another game than the one it gets states of).
    func isSent(_ awaited: Awaited, to connection: UInt64) -> Bool {
        guard let room = rooms[awaited.game], room.members[connection] != nil else { return true }
        return awaited.isMet(by: room.last?.version)
    }

    /// The connection's held replies whose state went out, in order, up to the first still waiting.
    mutating func releaseSent(_ connection: UInt64, _ out: inout [Action]) {
        while let first = stateWaits.first(of: connection), first.awaits.map({ isSent($0, to: connection) }) ?? true {
            releaseFirst(connection, &out)
        }
    }

    /// The whole line, in order: its time is up (the state was lost, e.g. around a subscriber
    /// reconnect), or it is full. Each ack out without its state is counted.
    mutating func releaseAll(_ connection: UInt64, counting metric: RelayMetric, timerFired: Bool = false, _ out: inout [Action]) {
        while let first = stateWaits.first(of: connection) {
            if let awaits = first.awaits, !isSent(awaits, to: connection) { out.append(.count(metric)) }
            releaseFirst(connection, cancelTimer: !timerFired, &out)
        }
    }

    private mutating func releaseFirst(_ connection: UInt64, cancelTimer: Bool = true, _ out: inout [Action]) {
        guard let (entry, emptied) = stateWaits.removeFirst(of: connection) else { return }
        if emptied && cancelTimer { out.append(.cancel(.stateWait(connection: connection))) }
        if let peer = sessions[connection]?.peer { out.append(.send(peer, entry.message)) }
        if let game = entry.leaves { leave(game, connection, &out) }
    }
}

/// A welcome names the state that seated its player (`seq`, from authorities since 2026-12-07):
/// the gateway sends the game's newest state right after it, so on a Redis Cluster, where the
/// welcome can come before that state, the newest state here would be one without the player. The
/// welcome waits (its seat request still pending, the connection not a member yet) until that
/// state arrived, at most `StateWaitLimits.timeout`; then it is handled as it would have been.
extension RelayCore {
    /// Whether the welcome waits for its state (then a timer is scheduled).
    mutating func holdsWelcome(_ reply: AuthorityReply, _ command: String, _ connection: UInt64, _ out: inout [Action]) -> Bool {
        guard let seq = reply.seq, pending[command] != nil, welcomesWaiting[command] == nil, sessions[connection] != nil,
              let room = rooms[reply.game] else { return false }
        let awaits = Awaited(game: reply.game, seq: seq, epoch: reply.epoch ?? room.last?.version.epoch)
        guard !awaits.isMet(by: room.last?.version) else { return false }
        welcomesWaiting[command] = (reply, awaits)
        out.append(.count(.acknowledgementHeld))
        out.append(.schedule(.welcomeWait(command: command), after: configuration.stateWait.timeout))
        return true
    }

    /// The welcomes whose state this game's newest is, handled now (in command order).
    mutating func releaseWelcomes(of game: GameID, _ out: inout [Action]) {
        let last = rooms[game]?.last?.version
        let ready = welcomesWaiting.filter { $0.value.awaits.game == game && $0.value.awaits.isMet(by: last) }
        for command in ready.keys.sorted() {
            guard let waiting = welcomesWaiting.removeValue(forKey: command) else { continue }
            out.append(.cancel(.welcomeWait(command: command)))
            handle(waiting.reply, holding: false, &out)
        }
    }
}
