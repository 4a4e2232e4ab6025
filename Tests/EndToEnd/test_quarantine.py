"""Poison games: a command that kills an authority must not take down its successor in turn.

The crash is real: debug builds of the authority (the tests' binary; release builds have no such
code) trap on a command type named in MONOPOLY_DEBUG_TRAP.
"""
import asyncio
import json
import subprocess
import time
import urllib.request

from client import GameClient
from stack import free_port, wait_for_port
from test_faults import retry_until_ok

TRAP = {"MONOPOLY_DEBUG_TRAP": "chat", "SWIFT_BACKTRACE": "enable=no"}


async def kill_with_chat(stack, client, name, timeout=30):
    """Sends one chat that reaches authority `name` and waits until it has died of it. The gateway
    refuses at once while its view of the lease is stale (sent again then); a chat that reached
    the authority times out, and is not sent again: the dying process may keep the lease a while
    and a second chat would reach its successor."""
    process = stack.authorities[name].proc
    deadline = time.time() + timeout
    while True:
        assert time.time() < deadline, f"{name} never received the chat"
        answer = await client.request("chat", text="poison", timeout=10)
        assert answer["type"] == "error" and answer["code"] == "authority_unavailable", answer
        if "did not answer in time" in answer["message"]:
            break
        await asyncio.sleep(0.2)
    assert process.wait(timeout) != 0


def snapshot(stack, game):
    return json.loads(stack.redis_cli("GET", f"monopoly:{{{game}}}:snapshot"))


def test_a_game_that_killed_two_authorities_in_a_row_is_quarantined_and_the_others_play_on(make_stack):
    stack = make_stack(gateways=1, authority_env=TRAP)

    async def scenario():
        alice = await GameClient.connect(stack.ws_url(0), "alice")
        bob = await GameClient.connect(stack.ws_url(0), "bob")
        poisoned = (await alice.ok("create", name="Alice"))["game"]
        healthy = (await bob.ok("create", name="Bob"))["game"]
        before = snapshot(stack, poisoned)

        # The first death: a successor takes every shard over, resumes the game (one death proves
        # nothing) and serves the other one. Each successor starts after the death, alone: the
        # games' shards are then its own whatever they are.
        await kill_with_chat(stack, alice, "authority-1")
        stack.start_authority("authority-2", env=TRAP)
        stack.wait_for_authority("authority-2")
        assert (await retry_until_ok(bob, "add_bot"))["type"] == "ack"
        assert stack.redis_cli("HEXISTS", "monopoly:games:quarantined", poisoned) == "0"

        # The second death in a row: whoever loads the game next quarantines it.
        await kill_with_chat(stack, alice, "authority-2")
        http_port = free_port()
        stack.start_authority("authority-1", extra=["--http-port", str(http_port)])
        stack.wait_for_authority("authority-1")
        assert (await retry_until_ok(bob, "add_bot"))["type"] == "ack"
        entry = json.loads(stack.redis_cli("HGET", "monopoly:games:quarantined", poisoned))
        assert entry["command"].startswith("chat by p1"), entry
        refused = await alice.request("chat", text="hello")
        assert refused["type"] == "error" and refused["code"] == "unknown_game" and "quarantined" in refused["message"]
        # Left as it was, out of the lobby and the active games.
        after = snapshot(stack, poisoned)
        assert (after["seq"], after["state"]["phase"]) == (before["seq"], before["state"]["phase"]) == (1, "lobby")
        assert stack.redis_cli("SISMEMBER", "monopoly:games:active", poisoned) == "0"
        assert stack.redis_cli("HEXISTS", "monopoly:lobby:games", poisoned) == "0"
        assert stack.redis_cli("SISMEMBER", "monopoly:games:active", healthy) == "1"
        wait_for_port(http_port)
        with urllib.request.urlopen(f"http://127.0.0.1:{http_port}/metrics", timeout=5) as response:
            metrics = response.read().decode()
        line = next(line for line in metrics.splitlines() if line.startswith("monopoly_authority_game_quarantined{"))
        assert f'game="{poisoned}"' in line and 'command="chat by p1' in line and float(line.rsplit(" ", 1)[1]) == 1, line
        assert "quarantined: 2 authority processes in a row died applying chat by p1" in stack.authorities["authority-1"].log()

        # The operator lifts it (the restarted authority does not trap): played again.
        lifted = subprocess.run([stack.binary, "admin", "unquarantine", poisoned, "--redis", stack.redis_url],
                                check=True, capture_output=True, text=True).stdout
        assert "lifted" in lifted
        assert (await alice.request("chat", text="back"))["type"] == "ack"
        assert stack.redis_cli("SISMEMBER", "monopoly:games:active", poisoned) == "1"
        assert stack.redis_cli("HEXISTS", "monopoly:games:quarantined", poisoned) == "0"
        await alice.close()
        await bob.close()

    asyncio.run(scenario())


def test_a_game_only_in_flight_when_another_game_killed_the_authority_is_never_quarantined(make_stack):
    """A death leaves the in-flight mark of every command being applied, the killer's and its
    bystanders'. A bystander hit by two deaths in a row (nothing applied to it in between) must not
    be quarantined: a game a process already died on runs its commands alone, so the second death
    marks only the game applying then."""
    # Bob's refused roll is held in flight 3 s, so that Alice's poisoned chat lands beside it.
    env = dict(TRAP, MONOPOLY_DEBUG_STALL="roll=3000")
    stack = make_stack(gateways=1, authority_env=env)

    async def scenario():
        alice = await GameClient.connect(stack.ws_url(0), "alice")
        bob = await GameClient.connect(stack.ws_url(0), "bob")
        carol = await GameClient.connect(stack.ws_url(0), "carol")
        poisoned = (await alice.ok("create", name="Alice"))["game"]
        bystander = (await bob.ok("create", name="Bob"))["game"]
        await carol.ok("create", name="Carol")

        # Each successor starts after the death, alone, so it holds every game's shard.
        for dying, successor in (("authority-1", "authority-2"), ("authority-2", "authority-1")):
            held = asyncio.create_task(bob.request("roll", timeout=15))
            await asyncio.sleep(0.5)
            await kill_with_chat(stack, alice, dying)
            await held
            stack.start_authority(successor, env=env if successor == "authority-2" else TRAP)
            stack.wait_for_authority(successor)
            # Carol's game tells when the successor serves; Bob's gets nothing in between.
            assert (await retry_until_ok(carol, "add_bot"))["type"] == "ack"

        assert stack.redis_cli("HEXISTS", "monopoly:games:quarantined", poisoned) == "1"
        assert stack.redis_cli("HEXISTS", "monopoly:games:quarantined", bystander) == "0"
        assert stack.redis_cli("SISMEMBER", "monopoly:games:active", bystander) == "1"
        assert (await bob.request("add_bot"))["type"] == "ack"
        log = stack.authorities["authority-1"].log()
        assert "quarantined: 2 authority processes in a row died applying chat by p1" in log
        for client in (alice, bob, carol):
            await client.close()

    asyncio.run(scenario())
