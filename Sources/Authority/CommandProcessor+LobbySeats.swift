import Monopoly

/// Lobby seats whose connection is gone. A refresh keeps its seat (the page rejoins with its token
/// within a second or two), but past `lobbyGrace` the seat is given up as if its player had left,
/// so that connections which join and close (ghosts) cannot fill a lobby and lock its people out.
/// That happens only while someone is there (or joining): a lobby nobody is connected to keeps its
/// seats for its people to come back to, until `LOBBY_IDLE_SECONDS` closes it.
extension CommandProcessor {
    /// The people in a lobby whose connection has been gone for `lobbyGrace` at `now`, in seat order.
    func absentSeats(_ record: GameRecord, now: Double) -> [PlayerID] {
        guard record.state.phase == .lobby else { return [] }
        return record.state.players.map(\.id).filter { player in
            guard let seat = record.seats[player], !seat.isBot, seat.connection == nil else { return false }
            return releaseTime(seat).map { now >= $0 } ?? true
        }
    }

    /// When a disconnected seat may be given up; nil: at once (a record without the time, or one
    /// that is no number: a hand-written record must not keep a ghost for ever).
    private func releaseTime(_ seat: GameRecord.Seat) -> Double? {
        guard let since = seat.disconnectedAt, since.isFinite else { return nil }
        return since + lobbyGrace
    }

    /// When the runner must next give up seats (`releasingAbsentSeats`); nil: none to give up, or
    /// nobody connected to need them.
    public func nextSeatRelease(_ record: GameRecord) -> Double? {
        guard record.state.phase == .lobby, record.isAttended else { return nil }
        return record.state.players.compactMap { player -> Double? in
            guard let seat = record.seats[player.id], !seat.isBot, seat.connection == nil else { return nil }
            return releaseTime(seat) ?? -.infinity
        }.min()
    }

    /// The runner's timer: gives up the absent seats of a lobby someone is connected to.
    public func releasingAbsentSeats(_ record: GameRecord, now: Double) -> Outcome {
        guard record.isAttended else { return Outcome() }
        var record = record
        let events = releaseAbsentSeats(&record, now: now)
        guard !events.isEmpty else { return Outcome() }
        return publish(&record, events: events, cause: .init(id: nil, type: "release", player: nil), now: now)
    }

    /// Gives up the absent seats and passes the host role on if its holder was one of them.
    func releaseAbsentSeats(_ record: inout GameRecord, now: Double) -> [Event] {
        let host = record.state.host
        var events: [Event] = []
        for player in absentSeats(record, now: now) {
            let name = record.state.player(player)?.name ?? player
            guard (try? record.state.leave(player)) != nil else { continue }
            record.seats[player] = nil
            events.append(Event(.left, player: player, text: "\(name) lost the connection and gave up the seat."))
        }
        passHost(&record, from: host)
        return events
    }

    /// After a lobby change: when the host went (left, or gave up the seat) or is a bot, the role
    /// passes to the first person connected, else to the first person (every one of them is away:
    /// the role passes again when that seat goes). Never to a bot, so that the people there can
    /// always start the game. A host away within the grace (a refresh) keeps it.
    func passHost(_ record: inout GameRecord, from previous: PlayerID?) {
        guard record.state.phase == .lobby, let host = record.state.host else { return }
        if host == previous, record.seats[host]?.isBot == false { return }
        let people = record.state.players.map(\.id).filter { record.seats[$0]?.isBot == false }
        guard let next = people.first(where: { record.seats[$0]?.connection != nil }) ?? people.first else { return }
        record.state.makeHost(next)
    }
}
