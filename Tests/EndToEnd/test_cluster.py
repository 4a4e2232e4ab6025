"""Redis Cluster end to end (REDIS_CLUSTER_TESTS=1, its own step of scripts/test): 3 masters + 3
replicas, 2 gateways and 2 authorities with REDIS_CLUSTER. Games are played through both gateways;
a master that holds game keys is killed -9, its replica takes over, play goes on, and every
acknowledged command is in its game's command log afterwards (`REDIS_WAIT_REPLICAS`: an
acknowledgement waits for the replica)."""
import asyncio
import os
import subprocess
import sys
import time
import urllib.request

import pytest

from client import GameClient
from cluster import ClusterStack, key_slot
from stack import ROOT

sys.path.insert(0, str(ROOT / "scripts" / "chaos"))
from checks import Ack, lost_acknowledged  # noqa: E402

pytestmark = pytest.mark.skipif(os.environ.get("REDIS_CLUSTER_TESTS") != "1",
                                reason="six redis-servers: run alone with REDIS_CLUSTER_TESTS=1 (scripts/test's cluster step)")

GAMES = 3


def decide(state, player):
    """A plain policy (scripts/chaos's): roll, buy, pay out of jail, pass in auctions, end the turn."""
    if state.get("phase") != "playing" or player not in (state.get("awaiting") or []):
        return None
    stage = state.get("turn_stage")
    if stage in ("roll", "buy", "end_turn"):
        return {"roll": "roll", "buy": "buy", "end_turn": "end_turn"}[stage]
    if stage == "jail_fine":
        return "jail_pay"
    if stage == "auction":
        auction = state.get("auction") or {}
        if player in (auction.get("bidders") or []) and player not in (auction.get("passed") or []):
            return "pass"
    return None


class Seat:
    """One player: sends the move the last state asks of it, resends it with the same id until it is
    answered (the authority answers a repeated id once), and records every acknowledgement."""

    def __init__(self, client, acks):
        self.client, self.acks = client, acks

    async def send(self, type_, deadline):
        request_id = f"{self.client.name}-{time.monotonic_ns()}"
        while time.monotonic() < deadline:
            try:
                answer = await self.client.request(type_, timeout=10, request_id=request_id)
            except asyncio.TimeoutError:
                continue
            if answer["type"] == "ack":
                self.acks.append(Ack(self.client.game, self.client.player, type_, request_id, answer["seq"]))
                await self.client.wait_seq(answer["seq"], timeout=30)
                return True
            if answer.get("code") != "authority_unavailable":
                return False  # the view was stale: decide again on the next state
            await asyncio.sleep(0.2)
        return False

    async def play_until(self, stop, deadline):
        while not stop() and time.monotonic() < deadline:
            move = decide(self.client.state or {}, self.client.player)
            if move is None:
                try:
                    await self.client.wait_state(lambda m: m["seq"] > self.client.seq, timeout=2)
                except asyncio.TimeoutError:
                    pass
                continue
            await self.send(move, deadline)


async def seat_game(stack, index, acks):
    alice = await GameClient.connect(stack.ws_url(0), f"alice{index}")
    bob = await GameClient.connect(stack.ws_url(1), f"bob{index}")
    game = (await alice.ok("create", name="Alice", options={"starting_cash": 100000}))["game"]
    await bob.ok("join", game=game, name="Bob")
    answer = await alice.ok("start")
    await asyncio.gather(alice.wait_seq(answer["seq"], timeout=30), bob.wait_seq(answer["seq"], timeout=30))
    return game, [Seat(alice, acks), Seat(bob, acks)]


def test_a_killed_master_fails_over_to_its_replica_and_no_acknowledged_command_is_lost():
    stack = ClusterStack(gateways=2, authorities=2)
    try:
        async def scenario():
            acks = []
            # The victim: the master with the lowest port, where every gateway's classic subscriber
            # (replies, lobby) starts, so the kill moves it too; games are created until one of
            # them has its keys there.
            victim = min(stack.cluster.master_of(slot) for slot in (0, 8000, 16383))

            def on_victim(game):
                return stack.cluster.master_of(key_slot("monopoly:{%s}:log" % game)) == victim

            games = []
            while len(games) < GAMES or (not any(on_victim(g) for g, _ in games) and len(games) < 4 * GAMES):
                games.append(await seat_game(stack, len(games), acks))

            games.sort(key=lambda entry: not on_victim(entry[0]))
            assert on_victim(games[0][0]), "no game has its keys on the victim"
            seats = [seat for _, game_seats in games for seat in game_seats]
            deadline = time.monotonic() + 240

            def acknowledged():
                return len(acks)

            # Play until every game has moved a few times, on the healthy cluster.
            before = acknowledged()
            await asyncio.gather(*(s.play_until(lambda: acknowledged() >= before + 6 * GAMES, deadline) for s in seats))
            # Kill -9 the master of the first game's keys, while the games play on.
            at_kill = acknowledged()
            stack.cluster.kill(victim)
            killed_at = time.monotonic()
            def since_kill(game):
                return sum(1 for ack in acks[at_kill:] if ack.game == game)

            def every_game_went_on():
                return all(since_kill(game) >= 5 for game, _ in games)

            await asyncio.gather(*(s.play_until(every_game_went_on, deadline) for s in seats))
            assert every_game_went_on(), f"play did not go on after the kill: {[since_kill(game) for game, _ in games]} acks"
            promoted = stack.cluster.master_of(key_slot("monopoly:{%s}:log" % games[0][0]))
            assert promoted and promoted != victim, f"the slot was not failed over: {promoted}"
            print(f"killed master :{victim}; replica :{promoted} serves the slot; "
                  f"{acknowledged() - at_kill} acknowledged since, in {time.monotonic() - killed_at:.1f} s")
            for seat in seats:
                await seat.client.close()
            logs = {game: stack.log_entries(game) for game, _ in games}
            lost = lost_acknowledged(acks, logs)
            assert not lost, "\n".join(lost)
            # The first game's keys were on the killed master: its acknowledged commands before the
            # kill are read back from the promoted replica.
            assert any(ack.game == games[0][0] for ack in acks[:at_kill])
            # The operator's commands take the cluster too: the failed-over game's log replays to
            # the states it published, and an unquarantine reaches the game's slot.
            seeds = stack.cluster.seeds("authority", stack.passwords)
            replayed = subprocess.run([stack.binary, "replay", games[0][0], "--redis-cluster", seeds],
                                      capture_output=True, text=True, timeout=120)
            assert replayed.returncode == 0, replayed.stdout + replayed.stderr
            assert "states match" in replayed.stdout and "matches the replay" in replayed.stdout, replayed.stdout
            lifted = subprocess.run([stack.binary, "admin", "unquarantine", games[0][0], "--redis-cluster", seeds],
                                    capture_output=True, text=True, timeout=60)
            assert lifted.returncode == 0 and "was not quarantined" in lifted.stdout, lifted.stdout + lifted.stderr

        asyncio.run(scenario())
    except BaseException:
        print(stack.logs())
        raise
    finally:
        stack.close()


def acks_ahead_of_their_state(client):
    """The acknowledgements `client` received before the state (or patch) they name: on its
    connection, every `ack` with seq N must come after a state of seq >= N (or of a newer epoch
    than the last before it). One (ack, last state seen) pair per ack that came first."""
    seen = None  # (epoch, seq) of the newest state or patch received so far
    ahead = []
    for message in client.messages:
        kind = message.get("type")
        if kind in ("state", "patch") and message.get("seq") is not None:
            version = (message.get("epoch", 0), message["seq"])
            seen = version if seen is None or version > seen else seen
        elif kind == "ack" and message.get("seq") is not None:
            if seen is None or seen[1] < message["seq"]:
                ahead.append((message["re"], message["seq"], seen))
    return ahead


def first_state_without_its_player(client):
    """The first state `client` received after its welcome, when that state does not seat it (the
    gateway sends the newest state it has right after a welcome: it must be the one that seated
    the player, or a later one)."""
    welcomed = False
    for message in client.messages:
        if message.get("type") == "welcome" and message.get("player"):
            welcomed, player = True, message["player"]
        elif welcomed and message.get("type") == "state":
            players = [p.get("id") for p in (message.get("state") or {}).get("players") or []]
            return None if player in players else message.get("seq")
    return None


def test_every_acknowledgement_comes_after_the_state_it_names():
    """On a cluster the state goes out by SPUBLISH on the game's node and the acknowledgement by
    PUBLISH on the reply channel's: two connections into the gateway, and the ack could overtake
    its state. The gateway holds an ack until its connection was sent the state it names (README,
    "Acknowledgements"): over a few hundred commands through both gateways, half of the players on
    patches, no client sees an ack before that state."""
    stack = ClusterStack(gateways=2, authorities=2)
    try:
        async def scenario():
            acks = []
            seats, clients = [], []
            for index in range(GAMES + 1):
                alice = await GameClient.connect(stack.ws_url(index % 2), f"alice{index}")
                bob = await GameClient.connect(stack.ws_url((index + 1) % 2), f"bob{index}")
                game = (await alice.ok("create", name="Alice", patches=True, options={"starting_cash": 100000}))["game"]
                await bob.ok("join", game=game, name="Bob")
                answer = await alice.ok("start")
                await asyncio.gather(alice.wait_seq(answer["seq"], timeout=30), bob.wait_seq(answer["seq"], timeout=30))
                seats += [Seat(alice, acks), Seat(bob, acks)]
                clients += [alice, bob]
            deadline = time.monotonic() + 150
            target = 400
            await asyncio.gather(*(s.play_until(lambda: len(acks) >= target, deadline) for s in seats))
            assert len(acks) >= target, f"only {len(acks)} commands acknowledged"
            for client in clients:
                await client.close()
            received = sum(1 for c in clients for m in c.messages if m.get("type") == "ack" and m.get("seq") is not None)
            ahead = {c.name: acks_ahead_of_their_state(c) for c in clients}
            ahead = {name: found for name, found in ahead.items() if found}
            held = released = 0.0
            for port in stack.gateway_ports:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
                    for line in response.read().decode().splitlines():
                        if line.startswith("monopoly_gateway_acks_held_for_state_total"):
                            held += float(line.split()[-1])
                        elif line.startswith("monopoly_gateway_acks_released_without_state_total"):
                            released += float(line.split()[-1])
            print(f"{received} acks naming a seq over {len(clients)} connections; "
                  f"{sum(len(f) for f in ahead.values())} came before their state; "
                  f"the gateways held {held:.0f} for their state, {released:.0f} went out without it")
            assert not ahead, f"acks before the state they name (re, ack seq, newest state before it): {ahead}"
            unseated = {c.name: first_state_without_its_player(c) for c in clients}
            assert not any(unseated.values()), f"a welcome followed by a state without its player: {unseated}"
            assert not any(c.broken_chains for c in clients)

        asyncio.run(scenario())
    except BaseException:
        print(stack.logs())
        raise
    finally:
        stack.close()
