"""The checks of `monopoly bench chaos`, pure: each takes what the run recorded and returns what it
found, as sentences (empty: the check passed). No I/O, so Tests/EndToEnd/test_chaos_checks.py
table-tests them with made-up histories."""
import hashlib
import json
import math
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Ack:
    """A command a client got `ack` for: the state `seq` it produced must be in the game's log."""
    game: str
    player: str
    type: str
    id: str
    seq: int


def lost_acknowledged(acks, logs):
    """Acknowledged commands missing from their game's command log (`monopoly:{GAME}:log`, entries
    by seq): the entry at the acknowledged seq must be the same seat's command of the same type."""
    lost = []
    for ack in acks:
        entry = logs.get(ack.game, {}).get(ack.seq)
        if entry is None:
            lost.append(f"game {ack.game}: {ack.player}'s {ack.type} (id {ack.id}) acknowledged with seq {ack.seq}, "
                        f"which the log does not hold")
        elif entry.get("by") != ack.player or (entry.get("msg") or {}).get("type") != ack.type:
            lost.append(f"game {ack.game}: {ack.player}'s {ack.type} (id {ack.id}) acknowledged with seq {ack.seq}, "
                        f"but the log's seq {ack.seq} is {entry.get('by')}'s {(entry.get('msg') or {}).get('type')}")
    return lost


def state_digest(message):
    """What identifies a state message's content, whether it came whole or was made from a patch
    (a patch turns the whole message `base`, its seq, state, events and cmd, into the next)."""
    content = {key: message.get(key) for key in ("seq", "state", "events", "cmd")}
    return hashlib.sha256(json.dumps(content, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


# What one client saw, in order (see ChaosClient in run.py):
#   ("enter", game)                          a welcome: the client (re)entered the game (a resync)
#   ("state", game, epoch, seq, digest)      a state sent whole
#   ("patch", game, epoch, base, seq, digest) a patch; digest None when it did not apply


@dataclass
class StreamReport:
    divergences: list = field(default_factory=list)
    resyncs: int = 0  # rejoins and states sent whole that skipped seqs (the gateway restarting the chain)
    states: int = 0


def check_streams(clients):
    """Every client saw each game's seq increase by exactly one per state within an epoch after its
    last resync: a state sent whole may skip ahead (the gateway resynchronised that member, as the
    README says: its chain starts again there) but never go back or repeat; a patch must apply to
    the state the client holds. `clients`: name -> list of events as above."""
    report = StreamReport()
    for name, events in clients.items():
        held = None  # (game, epoch, seq) of the last state this client holds
        entered = 0
        for event in events:
            kind = event[0]
            if kind == "enter":
                entered += 1
                if entered > 1:
                    report.resyncs += 1
                held = None
                continue
            report.states += 1
            if kind == "state":
                _, game, epoch, seq, _digest = event
                if held is not None and held[0] == game:
                    if epoch < held[1]:
                        report.divergences.append(f"{name}: game {game} went back from epoch {held[1]} to {epoch}")
                    elif epoch > held[1]:
                        report.resyncs += 1
                    elif seq <= held[2]:
                        report.divergences.append(f"{name}: game {game} epoch {epoch}: seq {seq} after seq {held[2]}")
                    elif seq > held[2] + 1:
                        report.resyncs += 1
                held = (game, epoch, seq)
            elif kind == "patch":
                _, game, epoch, base, seq, digest = event
                if held is None or held[:2] != (game, epoch) or held[2] != base:
                    report.divergences.append(f"{name}: game {game} epoch {epoch}: patch {base}->{seq} while holding "
                                              f"{'nothing' if held is None else f'epoch {held[1]} seq {held[2]}'}")
                elif digest is None:
                    report.divergences.append(f"{name}: game {game} epoch {epoch}: patch {base}->{seq} did not apply")
                elif seq != base + 1:
                    report.divergences.append(f"{name}: game {game} epoch {epoch}: patch {base}->{seq} skips states")
                held = (game, epoch, seq)
    return report


def conflicting_states(observations):
    """Two clients that saw different content under one (game, epoch, seq).
    `observations`: iterable of (client, game, epoch, seq, digest)."""
    first = {}
    conflicts = []
    for client, game, epoch, seq, digest in observations:
        if digest is None:
            continue
        key = (game, epoch, seq)
        if key not in first:
            first[key] = (client, digest)
        elif first[key][1] != digest:
            conflicts.append(f"game {game} epoch {epoch} seq {seq}: {first[key][0]} and {client} saw different states")
            first[key] = (client, digest)  # one report per change
    return conflicts


def unconverged(final_views, last_seqs):
    """Clients still connected at the end whose last state is not the game's last published one.
    `final_views`: client -> (game, seq); `last_seqs`: game -> seq of `monopoly:{GAME}:last`."""
    found = []
    for client, (game, seq) in sorted(final_views.items()):
        last = last_seqs.get(game)
        if last is not None and seq != last:
            found.append(f"{client}: holds seq {seq} of game {game}, whose last state is seq {last}")
    return found


def money_leaks(states):
    """The engine's ledger: players' cash + the Free Parking jackpot + the bank's ledger (what it
    received minus what it paid) is always the money supply, which is the starting cash times the
    seats at the start. `states`: iterable of (game, seq, state) of every distinct state seen."""
    leaks = []
    for game, seq, state in states:
        if state.get("phase") == "lobby":
            continue
        players = state.get("players") or []
        cash = sum(p.get("cash", 0) for p in players)
        jackpot = state.get("jackpot") or 0
        bank = (state.get("bank") or {}).get("cash", 0)
        supply = state.get("money_supply")
        starting = (state.get("options") or {}).get("starting_cash")
        if cash + jackpot + bank != supply:
            leaks.append(f"game {game} seq {seq}: cash {cash} + jackpot {jackpot} + bank {bank} = "
                         f"{cash + jackpot + bank}, money supply {supply}")
        elif starting is not None and supply != starting * len(players):
            leaks.append(f"game {game} seq {seq}: money supply {supply} is not {starting} x {len(players)} seats")
        if any(p.get("cash", 0) < 0 for p in players):
            leaks.append(f"game {game} seq {seq}: negative cash {[p.get('cash') for p in players]}")
    return leaks


def stuck_games(progress, limit, end):
    """Games that went longer than `limit` seconds without a new state while being played.
    `progress`: game -> [(time, phase)] each time its highest seq advanced; `end`: the time the
    run stopped watching (a game still playing then counts the time since its last state)."""
    stuck = []
    for game, advances in sorted(progress.items()):
        worst = (0.0, None)
        for (at, phase), (next_at, _) in zip(advances, advances[1:]):
            if phase == "playing" and next_at - at > worst[0]:
                worst = (next_at - at, at)
        if advances and advances[-1][1] == "playing" and end - advances[-1][0] > worst[0]:
            worst = (end - advances[-1][0], advances[-1][0])
        if worst[0] > limit:
            stuck.append(f"game {game}: no state for {worst[0]:.1f} s (from t={worst[1]:.1f} s; limit {limit:.0f} s)")
    return stuck


def memory_growth(samples, factor=2.0, slack_mib=64):
    """Processes whose resident memory grew past `factor` x its size after the warm-up plus
    `slack_mib` by the end (the same pid both times: a restarted process starts again).
    `samples`: name -> (pid, rss_mib after warm-up, pid, rss_mib at the end)."""
    grown = []
    for name, (warm_pid, warm, end_pid, end) in sorted(samples.items()):
        if warm_pid == end_pid and warm is not None and end is not None and end > warm * factor + slack_mib:
            grown.append(f"{name}: {warm:.0f} MiB after warm-up, {end:.0f} MiB at the end")
    return grown


def percentile(values, p):
    """Nearest-rank percentile (None for no values)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1))]


def seconds(value):
    return "-" if value is None else f"{value:.2f} s"


def render_table(rows):
    """A Markdown table of (check, value, verdict) rows: verdict True/False/None (no verdict)."""
    lines = ["| check | measured | |", "| --- | --- | --- |"]
    for name, value, verdict in rows:
        mark = "" if verdict is None else ("ok" if verdict else "**FAIL**")
        lines.append(f"| {name} | {value} | {mark} |")
    return "\n".join(lines)


@dataclass(frozen=True)
class Refusal:
    """A command refused on a resend (after authority_unavailable, a timeout or a lost
    connection): `first` and `last` are the wall-clock times of its first send and of the refusal."""
    game: str
    player: str
    type: str
    id: str
    code: str
    first: float
    last: float


def applied_but_refused(refusals, acks, logs):
    """Resent commands that the log shows applied (an entry of a gateway's envelope by the same
    seat, of the same type, between the first send and the refusal, at a seq no ack of that seat
    names) and yet were refused: the authority did not answer the resend as it answered the first
    send (the per-seat dedupe missed it), so the client believes it was not applied."""
    acked = {(ack.game, ack.player, ack.seq) for ack in acks}
    found = []
    for refusal in refusals:
        for seq, entry in sorted(logs.get(refusal.game, {}).items()):
            if (entry.get("by") == refusal.player and entry.get("id") is not None
                    and (entry.get("msg") or {}).get("type") == refusal.type
                    and refusal.first <= entry.get("at", -1) <= refusal.last
                    and (refusal.game, refusal.player, seq) not in acked):
                found.append(f"game {refusal.game}: {refusal.player}'s {refusal.type} (id {refusal.id}) was applied "
                             f"at seq {seq}, yet its resend was answered {refusal.code}")
                break
    return found
