#!/usr/bin/env python3
"""`monopoly bench chaos`: the local twin (deploy/local-twin: Redis with AOF, an authority and a
standby, 3 gateways, HAProxy) with bot games played by real players and watched by spectators over
real WebSockets through HAProxy, while a seeded scheduler injects a fault every few seconds:
kill -9 or SIGTERM of an authority, a gateway or Redis (then restarted as a supervisor would), or
SIGSTOP/SIGCONT of one of them. Clients reconnect and rejoin with their seat tokens and resend an
unanswered command with the same `id`, as the browser does. At the end the checks of checks.py run
and a table is printed; the exit status is 1 when a check failed.

    monopoly bench chaos --duration 60 --seed 7     # the same seed gives the same faults in the same order

Threads: the main thread starts the twin, injects the faults, restarts what it killed and stops
everything (the twin's processes die with the thread that started them: PR_SET_PDEATHSIG); the
clients run on an asyncio loop in a second thread. Only 127.0.0.1.
"""
import argparse
import asyncio
import collections
import importlib.machinery
import importlib.util
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import websockets

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "Tests" / "EndToEnd"))
import checks  # noqa: E402
from client import apply_patch  # noqa: E402  (RFC 6902 as the tests apply it)


def load_twin_module():
    loader = importlib.machinery.SourceFileLoader("local_twin", str(ROOT / "deploy" / "local-twin"))
    spec = importlib.util.spec_from_loader("local_twin", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


twin_module = load_twin_module()

# Answers after which a command is sent again with the same id (it may have been applied with
# its answer lost: the authority dedupes per seat and answers as the first time).
RETRIED = {"authority_unavailable", "redis_unavailable", "timeout", "disconnected"}
# How long a command keeps being resent before it counts as unanswered.
RESEND_FOR = 20.0
# A supervisor's pause before it starts a process again (systemd's RestartSec).
RESTART_DELAY = 1.0
# The gateways' heartbeat TTL in the twin (GATEWAY_TIMEOUT): a gateway killed with -9 keeps its id
# this long, and a gateway started under a live id exits with 78.
GATEWAY_TIMEOUT = 5
NAME_IN_USE = 78

FAULT_KINDS = [  # (kind, targets, weight)
    ("kill -9 authority", "authority", 2), ("SIGTERM authority", "authority", 2),
    ("kill -9 gateway", "gateway", 2), ("SIGTERM gateway", "gateway", 2),
    ("kill -9 redis", "redis", 1), ("SIGTERM redis", "redis", 1),
    ("SIGSTOP authority", "authority", 1), ("SIGSTOP gateway", "gateway", 1), ("SIGSTOP redis", "redis", 1),
]


def now():
    return time.monotonic()


class Run:
    """What the clients and the fault scheduler share (each field written by one thread)."""

    def __init__(self, args):
        self.args = args
        self.started = now()
        self.ws_url = None
        self.streams = {}             # client name -> events (checks.check_streams)
        self.first_seen = {}          # (game, epoch, seq) -> (client, digest)
        self.conflicts = []
        self.leaks = []
        self.progress = collections.defaultdict(list)   # game -> [(t, phase)]
        self.highest = {}             # game -> (epoch, seq) highest seen
        self.games = {}               # game -> [clients]
        self.acks = []
        self.sent = 0
        self.resent = 0
        self.unanswered = []
        self.rejected = collections.Counter()
        self.in_flight = 0
        self.faults = []              # dicts: kind, target, t, recovered
        self.stop_new_games = False
        self.stop_commands = False
        self.stop_all = False
        self.setup_failures = collections.Counter()
        self.table_errors = []
        self.rejected_on_resend = []
        self.refusals = []            # checks.Refusal: refused on a resend

    def t(self):
        return now() - self.started

    def saw(self, client, game, epoch, seq, digest, message):
        key = (game, epoch, seq)
        first = self.first_seen.get(key)
        if first is None:
            self.first_seen[key] = (client, digest)
            self.leaks.extend(checks.money_leaks([(game, seq, message.get("state") or {})]))
        elif first[1] != digest:
            self.conflicts.append(f"game {game} epoch {epoch} seq {seq}: {first[0]} and {client} saw different states")
        if (epoch, seq) > self.highest.get(game, (-1, -1)):
            self.highest[game] = (epoch, seq)
            self.progress[game].append((self.t(), (message.get("state") or {}).get("phase")))


class ChaosClient:
    """One browser: a player (plays its seat) or a spectator, through the LB; it reconnects and
    enters again (rejoin with its token, or spectate) whenever its connection goes."""

    def __init__(self, run, name, role, rng):
        self.run, self.name, self.role, self.rng = run, name, role, rng
        self.game = self.player = self.token = None
        self.ws = None
        self.reader = None
        self.events = run.streams.setdefault(name, [])
        self.held = None
        self.ready = False
        self.done = False             # out for good (the game is over, or the seat is gone)
        self.answers = {}
        self.ids = 0
        self.changed = asyncio.Event()

    def next_id(self):
        self.ids += 1
        return f"{self.name}-{self.ids}"

    # -- the connection

    async def connect(self):
        delay = 0.25
        while not self.run.stop_all:
            try:
                ws = await websockets.connect(self.run.ws_url, max_size=2 ** 22, open_timeout=5)
            except (OSError, asyncio.TimeoutError, websockets.WebSocketException):
                await asyncio.sleep(delay * (0.5 + self.rng.random() / 2))
                delay = min(delay * 2, 2)
                continue
            self.ws = ws
            self.reader = asyncio.create_task(self.read(ws))
            return True
        return False

    async def read(self, ws):
        try:
            async for raw in ws:
                self.received(json.loads(raw))
        except websockets.ConnectionClosed:
            pass
        finally:
            if self.ws is ws:
                self.ready = False
                for future in self.answers.values():
                    if not future.done():
                        future.set_result({"type": "error", "code": "disconnected"})
                self.changed.set()

    def received(self, message):
        kind = message.get("type")
        if kind == "welcome":
            self.events.append(("enter", message.get("game")))
            self.held = None
        elif kind == "state":
            self.take(message, ("state", message["game"], message.get("epoch", 0), message["seq"]))
        elif kind == "patch":
            self.take_patch(message)
        re = message.get("re")
        if re is not None and re in self.answers and not self.answers[re].done():
            self.answers[re].set_result(message)

    def take(self, message, head):
        digest = checks.state_digest(message)
        self.events.append((*head, digest))
        self.held = message
        self.run.saw(self.name, message["game"], message.get("epoch", 0), message["seq"], digest, message)
        self.changed.set()

    def take_patch(self, patch):
        held = self.held
        epoch = patch.get("epoch", held.get("epoch", 0) if held else 0)
        made = None
        if held is not None and held.get("game") == patch.get("game") and held.get("seq") == patch.get("base"):
            try:
                made = apply_patch(json.loads(json.dumps(held)), patch["ops"])
            except (KeyError, IndexError, ValueError, TypeError):
                made = None
            if made is not None and made.get("seq") != patch["seq"]:
                made = None
        head = ("patch", patch["game"], epoch, patch["base"], patch["seq"])
        if made is None:
            # As the browser does: a patch that does not apply means reconnect and rejoin.
            self.events.append((*head, None))
            self.held = None
            if self.ws is not None:
                asyncio.create_task(self.ws.close())
            return
        self.take(made, head)

    async def request(self, message, timeout=5.0):
        request_id = message.setdefault("id", self.next_id())
        future = asyncio.get_running_loop().create_future()
        self.answers[request_id] = future
        try:
            try:
                await self.ws.send(json.dumps(message))
            except (websockets.ConnectionClosed, AttributeError):
                return {"type": "error", "code": "disconnected"}
            try:
                return await asyncio.wait_for(asyncio.shield(future), timeout)
            except asyncio.TimeoutError:
                return {"type": "error", "code": "timeout"}
        finally:
            if self.answers.get(request_id) is future:
                del self.answers[request_id]

    async def enter_again(self):
        """Reconnects and takes the seat back (or watches again); False when out for good."""
        while not self.run.stop_all and not self.done:
            if self.ws is not None:
                await self.ws.close()
            if not await self.connect():
                return False
            if self.role == "spectator":
                answer = await self.request({"type": "spectate", "game": self.game, "patches": True})
            else:
                answer = await self.request({"type": "rejoin", "game": self.game, "token": self.token, "patches": True})
            if answer.get("type") == "welcome":
                self.ready = True
                return True
            if answer.get("code") not in RETRIED:
                self.run.rejected[f"{'spectate' if self.role == 'spectator' else 'rejoin'}: {answer.get('code')}"] += 1
                self.done = True
                return False
            await asyncio.sleep(0.3 + self.rng.random() * 0.5)
        return False

    async def wait_change(self, timeout):
        self.changed.clear()
        try:
            await asyncio.wait_for(self.changed.wait(), timeout)
        except asyncio.TimeoutError:
            pass

    # -- seats and commands

    async def seat(self, message):
        """create / join: a new seat each time, so not resent; None when refused."""
        for _ in range(10):
            if self.run.stop_all:
                return None
            if self.ws is None or self.reader is None or self.reader.done():
                if not await self.connect():
                    return None
            answer = await self.request({**message, "patches": True})
            if answer.get("type") == "welcome":
                self.game, self.player, self.token = answer["game"], answer["player"], answer.get("token")
                self.ready = True
                return answer
            if answer.get("code") not in RETRIED:
                self.run.setup_failures[f"{message['type']}: {answer.get('code')}"] += 1
                return None
            await asyncio.sleep(0.5)
        return None

    async def command(self, message):
        """Sends a command until it is answered, resending it with the same id after a lost
        connection, a timeout or authority_unavailable (the authority applies it at most once)."""
        message = {**message, "id": self.next_id()}
        first_sent = time.time()
        self.run.sent += 1
        self.run.in_flight += 1
        give_up = now() + RESEND_FOR
        attempts = 0
        try:
            while True:
                if not self.ready and not await self.enter_again():
                    self.run.unanswered.append(f"{self.name} {message['type']} {message['id']}: seat lost")
                    return None
                attempts += 1
                if attempts > 1:
                    self.run.resent += 1
                answer = await self.request(dict(message), timeout=4)
                if answer.get("type") == "ack":
                    if answer.get("seq") is not None:
                        self.run.acks.append(checks.Ack(self.game, self.player, message["type"], message["id"], answer["seq"]))
                    return answer
                code = answer.get("code")
                if code not in RETRIED:
                    self.run.rejected[code] += 1
                    if attempts > 1:
                        # Refused on a resend: either the first send was never applied and the
                        # game moved on meanwhile, or it was and the dedupe did not answer for it.
                        self.run.rejected_on_resend.append(
                            f"{self.name} ({self.player}, game {self.game}) {message['type']} {message['id']}: "
                            f"{code} on send {attempts}")
                        self.run.refusals.append(checks.Refusal(self.game, self.player, message["type"], message["id"],
                                                                code, first_sent, time.time()))
                    return answer
                if now() > give_up or self.run.stop_all:
                    self.run.unanswered.append(f"{self.name} {message['type']} {message['id']}: last answer {code}")
                    return None
                await asyncio.sleep(0.3 + self.rng.random() * 0.4)
        finally:
            self.run.in_flight -= 1

    def decide(self, state):
        """The next command for this seat, or None (a plain policy: roll, buy most, pass in
        auctions, raise cash or go bankrupt on a debt, keep mortgages, pay out of jail)."""
        if state.get("phase") != "playing" or self.player not in (state.get("awaiting") or []):
            return None
        stage = state.get("turn_stage")
        if stage == "roll":
            return {"type": "roll"}
        if stage == "buy":
            return {"type": "buy" if self.rng.random() < 0.8 else "decline"}
        if stage == "jail_fine":
            return {"type": "jail_pay"}
        if stage == "end_turn":
            return {"type": "end_turn"}
        if stage == "auction":
            auction = state.get("auction") or {}
            if self.player in (auction.get("bidders") or []) and self.player not in (auction.get("passed") or []):
                return {"type": "pass"}
            return None
        if stage == "mortgage_choice":
            for choice in state.get("mortgage_choices") or []:
                if choice.get("player") == self.player:
                    return {"type": "keep_mortgage", "square": choice["square"]}
            return None
        if stage == "debt":
            mine = [s for s in state.get("squares") or [] if s.get("owner") == self.player]
            built = [s for s in mine if s.get("houses", 0) > 0]
            if built:
                return {"type": "sell", "square": built[0]["index"]}
            free = [s for s in mine if not s.get("mortgaged")]
            if free:
                return {"type": "mortgage", "square": free[0]["index"]}
            return {"type": "bankrupt"}
        return None

    async def play(self):
        while not self.run.stop_commands and not self.done:
            if not self.ready and not await self.enter_again():
                return
            state = (self.held or {}).get("state")
            if state is None:
                await self.wait_change(0.5)
                continue
            if state.get("phase") == "finished":
                return
            command = self.decide(state)
            if command is None:
                await self.wait_change(1.0)
                continue
            await asyncio.sleep(0.05 + self.rng.random() * 0.25)  # a person's reaction, roughly
            before = self.held
            answer = await self.command(command)
            if answer is not None and answer.get("type") == "ack" and answer.get("seq") is not None:
                # The next decision is taken on the state this command made (the ack may come first).
                give_up = now() + 5
                while (self.held or {}).get("seq", -1) < answer["seq"] and self.ready and now() < give_up:
                    await self.wait_change(0.5)
            elif answer is not None and answer.get("type") == "error" and self.held is before:
                await self.wait_change(1.0)

    async def watch(self):
        while not self.run.stop_all and not self.done:
            if not self.ready and not await self.enter_again():
                return
            state = (self.held or {}).get("state") or {}
            if state.get("phase") == "finished":
                return
            await self.wait_change(1.0)

    async def close(self):
        self.done = True
        if self.ws is not None:
            try:
                await asyncio.wait_for(self.ws.close(), 3)
            except (asyncio.TimeoutError, websockets.WebSocketException, OSError):
                pass


async def table(run, index, rng):
    """Games one after the other at one table: create, seat the players, maybe a bot, start,
    play to the end (turn limit) with spectators watching."""
    args = run.args
    round_ = 0
    while not run.stop_new_games:
        round_ += 1
        prefix = f"t{index}.{round_}"
        players = [ChaosClient(run, f"{prefix}.p{n}", "player", random.Random(rng.random())) for n in range(1, args.players + 1)]
        spectators = [ChaosClient(run, f"{prefix}.s{n}", "spectator", random.Random(rng.random())) for n in range(1, args.spectators + 1)]
        everyone = players + spectators
        if not await set_up(run, players, spectators, with_bot=index % 2 == 0):
            await asyncio.gather(*(c.close() for c in everyone))
            await asyncio.sleep(1)
            continue
        await asyncio.gather(*(p.play() for p in players), *(s.watch() for s in spectators))
        if run.stop_commands:
            return  # kept open: the end checks compare what they hold with the game's last state
        await asyncio.gather(*(c.close() for c in everyone))


async def set_up(run, players, spectators, with_bot):
    host = players[0]
    options = {"turn_seconds": run.args.turn_seconds, "turn_limit": run.args.turn_limit,
               "max_players": len(players) + (1 if with_bot else 0)}
    if not await host.seat({"type": "create", "name": "P1", "options": options}):
        return False
    game = host.game
    run.games[game] = players + spectators
    for number, player in enumerate(players[1:], 2):
        if not await player.seat({"type": "join", "game": game, "name": f"P{number}"}):
            return False
    if with_bot:
        answer = await host.command({"type": "add_bot"})
        if not answer or answer.get("type") != "ack":
            return False
    answer = await host.command({"type": "start"})
    if not answer or (answer.get("type") != "ack" and answer.get("code") != "game_not_in_lobby"):
        return False
    for spectator in spectators:
        spectator.game = game
        if not await spectator.enter_again():
            return False
    return True


class Clients:
    """The asyncio side, in its own thread."""

    def __init__(self, run, seed):
        self.run = run
        self.rng = random.Random(seed ^ 0x5EED)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._main, daemon=True)
        self.tables = []

    def _main(self):
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._run())

    async def _run(self):
        watcher = asyncio.create_task(self.watch_recoveries())
        self.tables = [asyncio.create_task(table(self.run, i, random.Random(self.rng.random()))) for i in range(self.run.args.games)]
        for outcome in await asyncio.gather(*self.tables, return_exceptions=True):
            if isinstance(outcome, BaseException):
                print(f"bench chaos: a table failed: {outcome!r}", file=sys.stderr, flush=True)
                self.run.table_errors.append(repr(outcome))
        watcher.cancel()
        clients = [c for cs in self.run.games.values() for c in cs]
        await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)

    async def watch_recoveries(self):
        while not self.run.stop_all:
            mark_recoveries(self.run)
            await asyncio.sleep(0.1)

    def start(self):
        self.thread.start()

    def call(self, function, timeout=30):
        """Runs `function()` on the loop and returns its result."""
        async def wrapper():
            return function()
        return asyncio.run_coroutine_threadsafe(wrapper(), self.loop).result(timeout)


# -- processes


def rss_mib(pid):
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


class Supervisor:
    """Injects the faults into the twin's processes and starts again what it stopped."""

    def __init__(self, twin, run):
        self.twin, self.run = twin, run
        self.paused = set()

    def pid(self, name):
        return self.twin.procs[name][0].pid

    def healthy(self, name):
        info = self.twin.procs[name][1]
        if name == "redis":
            return twin_module.port_open(info["port"])
        status, body = twin_module.http_get(info["http"] + "/healthz")
        return status == 200

    def respawn(self, name):
        """Starts `name` again with its command line and environment; waits until it serves. A
        gateway killed with -9 leaves its heartbeat key alive for up to GATEWAY_TIMEOUT: started
        under that id it refuses (exit 78), so the supervisor waits for the key to expire and
        tries again, as systemd's Restart=on-failure would."""
        proc, info = self.twin.procs[name]
        keep = {k: v for k, v in info.items() if k not in ("pid", "log", "argv", "env", "reported")}
        for attempt in range(20):
            if name.startswith("gateway"):
                ttl = self.heartbeat_ttl(name)
                if ttl > 0:
                    time.sleep(ttl / 1000 + 0.1)
            proc = self.twin.spawn(name, info["argv"], info["env"], keep)
            deadline = now() + 30
            while now() < deadline:
                if proc.poll() is not None:
                    break
                if self.healthy(name):
                    return True
                time.sleep(0.1)
            if proc.poll() is None:
                return self.healthy(name)
            code = proc.returncode
            self.log(f"{name} exited with {code} on restart{' (its id is still alive)' if code == NAME_IN_USE else ''}; again")
            time.sleep(RESTART_DELAY)
        return False

    def heartbeat_ttl(self, name):
        try:
            return int(self.twin.redis_cli("PTTL", f"monopoly:gateway:{{{name}}}") or -2)
        except (ValueError, subprocess.SubprocessError):
            return 0

    def wait_exit(self, name, timeout=20):
        proc = self.twin.procs[name][0]
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.log(f"{name} still runs {timeout} s after the signal; kill -9")
            proc.kill()
            proc.wait(10)

    def log(self, text):
        print(f"[{self.run.t():7.1f} s] {text}", flush=True)

    def inject(self, kind, target, pause, snapshot):
        fault = {"kind": kind, "target": target, "t": self.run.t(), "recovered": None, "snapshot": snapshot}
        self.run.faults.append(fault)
        self.log(f"fault {len(self.run.faults)}: {kind} ({target})")
        pid = self.pid(target)
        if kind.startswith("SIGSTOP"):
            os.kill(pid, signal.SIGSTOP)
            self.paused.add(target)
            time.sleep(pause)
            os.kill(pid, signal.SIGCONT)
            self.paused.discard(target)
            return
        os.kill(pid, signal.SIGKILL if kind.startswith("kill -9") else signal.SIGTERM)
        self.wait_exit(target)
        time.sleep(RESTART_DELAY)
        if not self.respawn(target):
            raise RuntimeError(f"{target} did not start again; see {self.twin.procs[target][1]['log']}")

    def resume_all(self):
        for name in list(self.paused):
            try:
                os.kill(self.pid(name), signal.SIGCONT)
            except ProcessLookupError:
                pass
        self.paused.clear()

    def memory(self):
        return {name: (proc.pid, rss_mib(proc.pid)) for name, (proc, _) in self.twin.procs.items()}


def schedule(seed, duration, interval, targets):
    """The faults of a run, from its seed alone (and the twin's size): (at seconds, kind, target,
    pause seconds). `targets`: "authority", "gateway", "redis" -> process names."""
    rng = random.Random(seed)
    kinds = [k for k, _, _ in FAULT_KINDS]
    weights = [w for _, _, w in FAULT_KINDS]
    faults, at = [], 0.0
    while True:
        at += interval * (0.5 + rng.random())
        kind = rng.choices(kinds, weights)[0]
        target = rng.choice(targets[dict((k, t) for k, t, _ in FAULT_KINDS)[kind]])
        pause = round(1 + rng.random() * 3, 2)
        if at >= duration:
            return faults
        faults.append((at, kind, target, pause))


def wait_for(predicate, timeout, step=0.1):
    deadline = now() + timeout
    while True:
        if predicate():
            return True
        if now() > deadline:
            return False
        time.sleep(step)


def playing(run):
    """The highest (epoch, seq) of each game being played now: what a fault must not stop."""
    return {game: run.highest.get(game) for game in run.games
            if run.progress.get(game) and run.progress[game][-1][1] == "playing"}


def mark_recoveries(run):
    """Marks faults recovered: every game that was being played when the fault struck has a
    newer state since, and every client of those games is connected and entered again."""
    t = run.t()
    for fault in run.faults:
        if fault["recovered"] is not None:
            continue
        for game, before in fault["snapshot"].items():
            moved = run.highest.get(game) != before or run.progress[game][-1][1] != "playing"
            if not moved or not all(c.ready or c.done for c in run.games[game]):
                break
        else:
            fault["recovered"] = t - fault["t"]


def main():
    parser = argparse.ArgumentParser(prog="monopoly bench chaos", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=60, help="seconds of faults (default 60)")
    parser.add_argument("--seed", type=int, help="the fault schedule's seed (default: a random one, printed)")
    parser.add_argument("--games", type=int, default=4, help="games played at once (default 4)")
    parser.add_argument("--players", type=int, default=3, help="players (WebSocket clients) per game (default 3)")
    parser.add_argument("--spectators", type=int, default=2, help="spectators per game (default 2)")
    parser.add_argument("--gateways", type=int, default=3, help="the twin's gateways (default 3)")
    parser.add_argument("--authorities", type=int, default=2, help="the twin's authorities, one active (default 2)")
    parser.add_argument("--fault-interval", type=float, default=5, help="mean seconds between faults (default 5)")
    parser.add_argument("--turn-seconds", type=int, default=10, help="the games' turn clock (default 10)")
    parser.add_argument("--turn-limit", type=int, default=40, help="turns per game, then a new game (default 40)")
    parser.add_argument("--binary", help="the monopoly executable (default $MONOPOLY_BIN or swift build's)")
    parser.add_argument("--keep", action="store_true", help="keep the twin's directory (logs, AOF) even when every check passes")
    args = parser.parse_args()
    for name, value, low, high in (("--duration", args.duration, 1, 86400), ("--games", args.games, 1, 200),
                                   ("--players", args.players, 2, 7), ("--spectators", args.spectators, 0, 50),
                                   ("--gateways", args.gateways, 1, twin_module.MAX_GATEWAYS),
                                   ("--authorities", args.authorities, 1, twin_module.MAX_AUTHORITIES),
                                   ("--fault-interval", args.fault_interval, 0.5, 3600),
                                   ("--turn-seconds", args.turn_seconds, 10, 3600), ("--turn-limit", args.turn_limit, 1, 10000)):
        if not low <= value <= high:
            parser.error(f"{name} must be {low} to {high}")
    seed = args.seed if args.seed is not None else random.randrange(1, 2 ** 31)
    print(f"monopoly bench chaos --duration {args.duration:g} --seed {seed} --games {args.games} --gateways {args.gateways} "
          f"--authorities {args.authorities} --fault-interval {args.fault_interval:g}  (the same seed injects the same faults)",
          flush=True)

    run = Run(args)
    directory = tempfile.mkdtemp(prefix="monopoly-chaos-")
    # Every process of the twin reads these; they would otherwise stop a run from one address.
    os.environ.update({"GATEWAY_TIMEOUT": str(GATEWAY_TIMEOUT), "MAX_GAMES_PER_CLIENT": "100000",
                       "CREATE_RATE_PER_MINUTE": "100000"})
    twin_args = argparse.Namespace(
        port=0, binary=args.binary, dir=directory, gateways=args.gateways, authorities=args.authorities, keep=True, redis_port=0, lease_ms=3000, max_connections=10000,
        rate_limit=50, drain_timeout=2, log_level="info", authority_arg=["--bot-delay-ms=200"], gateway_arg=[],
        lb_conn_rate=100000, lb_conn_per_client=100000, tls=False, tls_cert=None,
        redis_cluster=False, redis_only=False, cluster_node_timeout=5000)
    stop_requested = []

    def on_signal(signum, _frame):
        stop_requested.append(signum)
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    twin = None
    supervisor = None
    failed = True
    try:
        twin = twin_module.Twin(twin_args)
        twin.start()
        run.ws_url = twin.ws_url
        print(f"local twin up in {directory}: LB {twin.lb_url}", flush=True)
        supervisor = Supervisor(twin, run)
        clients = Clients(run, seed)
        run.started = now()
        clients.start()
        warmup = min(30.0, args.duration / 4)
        memory_warm = None
        plan = schedule(seed, args.duration, args.fault_interval,
                        {"authority": twin.authorities, "gateway": twin.gateways, "redis": ["redis"]})
        for at, kind, target, pause in [*plan, (args.duration, None, None, None)]:
            while run.t() < at:
                if memory_warm is None and run.t() >= warmup:
                    memory_warm = supervisor.memory()
                time.sleep(0.1)
            if kind:
                supervisor.inject(kind, target, pause, clients.call(lambda: playing(run)))
        memory_warm = memory_warm or supervisor.memory()
        memory_end = supervisor.memory()

        # Wind down: no new games, let the last faults recover, let the commands be answered.
        print(f"[{run.t():7.1f} s] faults over; waiting for recovery and the last answers", flush=True)
        clients.call(lambda: setattr(run, "stop_new_games", True))
        wait_for(lambda: all(f["recovered"] is not None for f in run.faults), 40, 0.2)
        clients.call(lambda: setattr(run, "stop_commands", True))
        wait_for(lambda: clients.call(lambda: run.in_flight) == 0, 30, 0.2)
        end = run.t()
        results = final_checks(run, twin, clients, memory_warm, memory_end, end)
        clients.call(lambda: setattr(run, "stop_all", True))
        clients.thread.join(20)
        failed = print_report(run, results, seed)
    except KeyboardInterrupt:
        print("interrupted: stopping everything", file=sys.stderr, flush=True)
    except Exception as error:  # the twin did not come up, a process did not restart
        print(f"bench chaos: {error}", file=sys.stderr, flush=True)
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if supervisor:
            supervisor.resume_all()
        if twin:
            twin.stop()
        if failed or args.keep:
            print(f"logs and Redis data kept in {directory}", flush=True)
        else:
            shutil.rmtree(directory, ignore_errors=True)
    sys.exit(130 if stop_requested else (1 if failed else 0))


def final_checks(run, twin, clients, memory_warm, memory_end, end):
    """Reads every game's log and last state (the operator user), waits for the clients still
    there to reach it, and runs the checks."""
    logs, lasts = {}, {}
    for game in list(run.games):
        entries = {}
        raw = twin.redis_cli("LRANGE", f"monopoly:{{{game}}}:log", "0", "-1")
        for line in raw.splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict) and isinstance(entry.get("seq"), int):
                entries[entry["seq"]] = entry
        logs[game] = entries
        last = twin.redis_cli("GET", f"monopoly:{{{game}}}:last")
        try:
            lasts[game] = json.loads(last)["seq"]
        except (ValueError, KeyError, TypeError):
            pass

    def views():
        return {c.name: (c.game, (c.held or {}).get("seq", -1)) for cs in run.games.values() for c in cs
                if c.ready and not c.done and c.game in lasts}

    wait_for(lambda: not checks.unconverged(clients.call(views), lasts), 15, 0.2)
    final = clients.call(views)
    streams = clients.call(lambda: checks.check_streams({k: list(v) for k, v in run.streams.items()}))
    memory = {name: (memory_warm.get(name, (None, None))[0], memory_warm.get(name, (None, None))[1], pid, rss)
              for name, (pid, rss) in memory_end.items()}
    return {
        "lost": checks.lost_acknowledged(list(run.acks), logs),
        "refused": checks.applied_but_refused(list(run.refusals), list(run.acks), logs),
        "streams": streams,
        "conflicts": list(run.conflicts),
        "unconverged": checks.unconverged(final, lasts),
        "leaks": list(run.leaks),
        "stuck": checks.stuck_games(dict(run.progress), run.args.turn_seconds + STUCK_SLACK, end),
        "memory": checks.memory_growth(memory),
        "memory_table": memory,
        "states_checked": len(run.first_seen),
    }


# Beyond the turn clock: a failover (the 3 s lease), a gateway restart (GATEWAY_TIMEOUT) and a
# Redis restart may each hold a game up once.
STUCK_SLACK = 20


def print_report(run, results, seed):
    """Prints the table and every finding; returns True when a check failed."""
    faults = collections.Counter(f["kind"] for f in run.faults)
    recoveries = [f["recovered"] for f in run.faults if f["recovered"] is not None]
    unrecovered = [f for f in run.faults if f["recovered"] is None]
    streams = results["streams"]
    divergent = streams.divergences + results["conflicts"] + results["unconverged"]
    rows = [("faults injected", f"{len(run.faults)}: " + ", ".join(f"{k} {n}" for k, n in sorted(faults.items())), None),
            ("games", f"{len(run.games)} ({sum(1 for p in run.progress.values() if p and p[-1][1] == 'finished')} finished)", None),
            ("commands sent / acknowledged / resent", f"{run.sent} / {len(run.acks)} / {run.resent}", None),
            ("acknowledged commands lost (not in the game's log)", str(len(results["lost"])), not results["lost"]),
            ("resent commands applied but answered as refused", str(len(results["refused"])), not results["refused"]),
            ("commands never answered (resent for 20 s)", str(len(run.unanswered)), None),
            ("commands rejected by the rules", str(sum(run.rejected.values())), None),
            ("states checked / divergent", f"{results['states_checked']} / {len(divergent)}", not divergent),
            ("money not conserved", str(len(results["leaks"])), not results["leaks"]),
            ("stuck games (no state for turn clock + 20 s)", str(len(results["stuck"])), not results["stuck"]),
            ("processes whose memory grew past 2x + 64 MiB", str(len(results["memory"])), not results["memory"]),
            ("resyncs (rejoins, states sent whole after a gap)", str(streams.resyncs), None),
            ("time to recover p50 / p99 / max",
             " / ".join(checks.seconds(checks.percentile(recoveries, p)) for p in (50, 99, 100)), None),
            ("faults not recovered from", str(len(unrecovered)), not unrecovered)]
    print()
    print(f"seed {seed}, {run.args.games} games at once, {run.args.players} players and {run.args.spectators} spectators each")
    print(checks.render_table(rows))
    memory = ", ".join(f"{name} {warm:.0f}->{end:.0f} MiB" for name, (_, warm, _, end) in sorted(results["memory_table"].items())
                       if warm is not None and end is not None)
    print(f"memory (after warm-up -> end): {memory}")
    if run.rejected:
        print("rejected: " + ", ".join(f"{code} {n}" for code, n in run.rejected.most_common()))
    for line in run.rejected_on_resend[:20]:
        print(f"rejected on a resend: {line}")
    if run.setup_failures:
        print("set-up refused: " + ", ".join(f"{code} {n}" for code, n in run.setup_failures.most_common()))
    for title, findings in (("LOST", results["lost"]), ("REFUSED", results["refused"]), ("DIVERGENT", divergent), ("MONEY", results["leaks"]),
                            ("STUCK", results["stuck"]), ("MEMORY", results["memory"]), ("UNANSWERED", run.unanswered),
                            ("NOT RECOVERED", [f"{f['kind']} ({f['target']}) at {f['t']:.1f} s" for f in unrecovered])):
        for finding in findings[:20]:
            print(f"{title}: {finding}")
        if len(findings) > 20:
            print(f"{title}: ... {len(findings) - 20} more")
    for error in run.table_errors:
        print(f"CLIENT ERROR: {error}")
    failed = bool(results["lost"] or results["refused"] or divergent or results["leaks"] or results["stuck"] or results["memory"] or unrecovered
                  or run.table_errors)
    print("chaos: FAILED" if failed else "chaos: every check passed", flush=True)
    return failed


if __name__ == "__main__":
    main()
