"""Authorities share the games (#15): every authority serves a fair share of the 64 shards; a
killed one's shards move to the others and their games resume; a joining one takes its share; one
paused past its leases writes nothing for the shards taken from it and gives them up."""
import asyncio
import json
import signal
import subprocess
import time
from collections import Counter

from client import GameClient
from stack import game_shard, redis_cli_argv, wait_until
from test_faults import retry_until_ok, two_player_game


def holders(stack):
    """Each shard's lease holder ("" for none). redis-cli prints a nil as an empty line: its output
    is split unstripped, or unheld shards at either end (the leaving authority's, on SIGTERM) would
    vanish and shift or shorten the list."""
    argv, env = redis_cli_argv(stack.redis_port, "authority")
    keys = ["monopoly:shard:{%d}:lease" % n for n in range(64)]
    out = subprocess.run([*argv, "MGET", *keys], check=True, capture_output=True, text=True, env=env).stdout
    values = out.split("\n")[:64]
    assert len(values) == 64, out
    return values


def shares(stack):
    """How many shards each authority holds, smallest first (while every shard is held)."""
    values = holders(stack)
    return sorted(Counter(values).values()) if all(values) else None


def seq(stack, game):
    return int(stack.redis_cli("GET", "monopoly:{%s}:seq" % game) or 0)


def subscribers(stack, game):
    return int(stack.redis_cli("PUBSUB", "NUMSUB", "monopoly:shard:{%d}:cmd" % game_shard(game)).split("\n")[1])


def test_authorities_share_the_shards_fairly_and_a_joining_one_takes_its_share(make_stack):
    stack = make_stack(gateways=1)
    wait_until(lambda: shares(stack) == [64], 20, "authority-1 holding every shard")
    stack.start_authority("authority-2")
    wait_until(lambda: shares(stack) == [32, 32], 20, "two authorities sharing: " + str(shares(stack)))
    stack.start_authority("authority-3")
    wait_until(lambda: shares(stack) == [21, 21, 22], 20, "three authorities sharing: " + str(shares(stack)))
    # Each subscribes to its own shards' channels only.
    counts = stack.redis_cli("PUBSUB", "NUMSUB", *["monopoly:shard:{%d}:cmd" % n for n in range(64)]).split("\n")[1::2]
    assert counts == ["1"] * 64


def test_a_killed_authoritys_shards_move_and_its_games_resume_and_continue(make_stack):
    stack = make_stack(gateways=1, authority_args=("--grace-seconds", "1"))
    stack.start_authority("authority-2")
    stack.start_authority("authority-3")
    wait_until(lambda: shares(stack) == [21, 21, 22], 30, "three authorities sharing")

    async def bot_game():
        host = await GameClient.connect(stack.ws_url(0), "host")
        game = (await host.ok("create", name="Host"))["game"]
        await host.ok("add_bot")
        await host.ok("start")
        # Gone: after the grace the bot plays for the host too, so the game moves on its own.
        await host.close()
        return game

    game = asyncio.run(bot_game())
    shard = game_shard(game)
    victim = holders(stack)[shard]
    moving = seq(stack, game)
    wait_until(lambda: seq(stack, game) > moving + 3, 30, "the bots playing")
    stack.authorities[victim].kill9()
    wait_until(lambda: holders(stack)[shard] not in ("", victim), 20, "another authority taking shard %d" % shard)
    resumed = seq(stack, game)
    wait_until(lambda: seq(stack, game) > resumed + 3, 30, "the game going on after the takeover")
    wait_until(lambda: shares(stack) == [32, 32], 20, "the survivors sharing every shard: " + str(shares(stack)))


def test_an_authority_paused_past_its_lease_writes_nothing_for_the_shard_taken_and_gives_it_up(make_stack):
    """The overlap the fencing token is for: authority A is SIGSTOPped holding the game's shard, a
    command for the game reaches only A (still subscribed, so Redis buffers it for it), B takes
    the shard after the lease, A is resumed and applies what it was sent: refused (FENCED, or
    dropped once A noticed), the game's seq unchanged, and A gives the shard up."""
    stack = make_stack(gateways=1, dice=[1, 2])
    stack.start_authority("authority-2")
    wait_until(lambda: shares(stack) == [32, 32], 30, "two authorities sharing")

    async def scenario():
        game, alice, bob = await two_player_game(stack, gateways=(0, 0))
        shard = game_shard(game)
        paused = holders(stack)[shard]
        other = "authority-2" if paused == "authority-1" else "authority-1"
        before = seq(stack, game)
        stack.authorities[paused].proc.send_signal(signal.SIGSTOP)
        try:
            # Without an id: a command the authority cannot deduplicate is never sent twice by the
            # gateway (one with an id is sent once more after the acknowledgement timeout, and the
            # new holder could apply that copy: right, but not the overlap tested here).
            errors = len(alice.errors)
            await alice.send_raw(json.dumps({"type": "roll"}))
            deadline = time.monotonic() + 15
            while len(alice.errors) == errors and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            answer = alice.errors[-1] if len(alice.errors) > errors else None
            assert answer and answer["code"] == "authority_unavailable", answer
            wait_until(lambda: holders(stack)[shard] == other, 20, "the other authority taking shard %d" % shard)
            wait_until(lambda: subscribers(stack, game) == 2, 20, "the new holder subscribing")
        finally:
            stack.authorities[paused].proc.send_signal(signal.SIGCONT)
        log = stack.authorities[paused].log
        wait_until(lambda: "FENCED" in log() or "dropping a command received without its shard" in log(), 20,
                   "the paused authority handling the roll it was sent")
        wait_until(lambda: subscribers(stack, game) == 1, 20, "the paused authority unsubscribing")
        assert "dropped shards" in log()
        assert seq(stack, game) == before
        assert alice.seq == before and bob.seq == before
        # The holder plays the game on.
        answer = await retry_until_ok(alice, "roll")
        assert answer["type"] == "ack" and answer["seq"] == before + 1, answer
        await bob.wait_seq(before + 1)
        assert holders(stack)[shard] == other or seq(stack, game) == before + 1
        await alice.close()
        await bob.close()

    asyncio.run(scenario())
    assert all(p.proc.poll() is None for p in stack.authorities.values())
