"""Epochs (README, "Epochs"): after Redis goes back to an older state (a restore from a backup, or
the last second of an `appendfsync everysec` AOF lost), the authority publishes seq numbers it
published before. It starts a new epoch when it loads the game again, and every member, through
real gateways, takes the new states although their seq is lower than what it holds."""
import asyncio
import shutil
import subprocess
from pathlib import Path

import pytest

from client import GameClient
from stack import wait_for_port, wait_until
from test_faults import play, retry_until_ok


def game_keys(game):
    return {name: "monopoly:{" + game + "}:" + name for name in ("snapshot", "last", "seq")}


def stored_seq(stack, game):
    try:
        return stack.redis_cli("GET", "monopoly:{" + game + "}:seq")
    except subprocess.CalledProcessError:  # Redis still loading its data
        return None


def restore_backup(stack, game):
    """A copy of Redis's AOF directory now (AOF with fsync always: everything acknowledged is in
    it); calling the returned function kills Redis, puts the copy back and starts Redis again."""
    aof = Path(stack.dir) / "appendonlydir"
    backup = Path(stack.dir) / "backup-appendonlydir"
    shutil.copytree(aof, backup)

    def rollback():
        stack.redis.kill9()
        shutil.rmtree(aof)
        shutil.copytree(backup, aof)
        stack.redis.start()
        wait_for_port(stack.redis_port)

    return rollback


def rewrite_keys(stack, game):
    """The game's keys now; calling the returned function writes them back (and cuts the command
    log to match) while every process runs: the authority finds Redis older than its own copy."""
    keys = game_keys(game)
    saved = {name: stack.redis_cli("GET", key) for name, key in keys.items()}
    log_length = int(stack.redis_cli("LLEN", "monopoly:{" + game + "}:log"))

    def rollback():
        for name, key in keys.items():
            stack.redis_cli("SET", key, saved[name])
        stack.redis_cli("LTRIM", "monopoly:{" + game + "}:log", "0", str(log_length - 1))

    return rollback


@pytest.mark.parametrize("method", [restore_backup, rewrite_keys], ids=["restored-backup", "keys-rewritten"])
def test_after_redis_goes_back_to_seq_n_every_member_receives_the_new_n_plus_1_in_a_new_epoch(make_stack, method):
    # Alice rolls 1+2 (Baltic Avenue) twice: before the rollback and again after it.
    stack = make_stack(dice=[1, 2, 1, 2], durable_redis=True)

    async def scenario():
        alice = await GameClient.connect(stack.ws_url(0), "alice")
        bob = await GameClient.connect(stack.ws_url(1), "bob")
        carol = await GameClient.connect(stack.ws_url(0), "carol")
        game = (await alice.ok("create", name="Alice"))["game"]
        await bob.ok("join", game=game, name="Bob", patches=True)  # bob follows through patches
        start = await alice.ok("start")
        await carol.ok("spectate", game=game, patches=True)
        members = [alice, bob, carol]
        n = start["seq"]
        await asyncio.gather(*(c.wait_seq(n) for c in members))
        epoch = alice.states[-1]["epoch"]
        assert isinstance(epoch, int) and epoch > 0, alice.states[-1]
        rollback = method(stack, game)

        await play(members, alice, "roll")
        await play(members, alice, "buy")
        for c in members:
            assert (c.states[-1]["seq"], c.states[-1]["epoch"]) == (n + 2, epoch), c.name
            assert c.state["squares"][3]["owner"] == "p1"
        assert bob.patches, "bob followed through patches"

        rollback()
        wait_until(lambda: stored_seq(stack, game) == str(n), 15, f"Redis back at seq {n}")
        if method is rewrite_keys:
            # Nothing tells the running authority until a commit finds Redis older than its copy:
            # alice ends the turn she sees; the commit fails, the game is loaded again, and the
            # command is dropped (never applied). After its acknowledgement timeout the gateway
            # sends it once more, and the reloaded game (back at seq N, before the roll) refuses it.
            stale = await alice.request("end_turn", timeout=15)
            assert stale["type"] == "error" and stale["code"] == "must_roll", stale
        # (After a Redis restart the authority loads the game again at the next command: a
        # Redis that reconnected may have gone back.) The first command may find the authority
        # taking its lease again (authority_unavailable): sent again.
        answer = await retry_until_ok(alice, "roll", timeout=30)
        assert answer["type"] == "ack" and answer["seq"] == n + 1, answer
        for c in members:
            fresh = await c.wait_state(lambda m: m.get("epoch", 0) > epoch, timeout=15)
            assert fresh["seq"] == n + 1, (c.name, fresh["seq"])
            # The state Redis kept, played on: alice is on Baltic again, and it is nobody's.
            assert fresh["state"]["players"][0]["position"] == 3
            assert fresh["state"]["squares"][3]["owner"] is None
        new_epoch = alice.states[-1]["epoch"]

        # Within the new epoch, seq rules as before; patches start again from the whole state.
        patched = len(bob.patches)
        bought = await alice.ok("buy")
        assert bought["seq"] == n + 2
        for c in members:
            await c.wait_state(lambda m: m.get("epoch") == new_epoch and m["seq"] == n + 2, timeout=15)
            assert (c.states[-1]["seq"], c.states[-1]["epoch"]) == (n + 2, new_epoch), c.name
            assert c.state["squares"][3]["owner"] == "p1"
        assert len(bob.patches) > patched and bob.broken_chains == []
        for c in members:
            await c.close()
        return game

    game = asyncio.run(scenario())
    # The command log went back with Redis: it replays, epochs included, to the states published since.
    replay = subprocess.run([stack.binary, "replay", game, "--redis", stack.redis_url], capture_output=True, text=True, timeout=120)
    assert replay.returncode == 0, replay.stdout + replay.stderr
