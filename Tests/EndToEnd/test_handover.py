"""Commands sent while their game's shard moves between authorities (#15): the gateway holds a
command whose PUBLISH reached nobody and publishes it again until the new holder listens, so a
client playing steadily through a SIGTERM or a kill -9 of the shard's authority never hears
`authority_unavailable`, each command is acknowledged once, and the game's seq has no gap.

The gateway's bounds are generous here (`--handover-timeout`, `--ack-timeout`): on a loaded CI
machine a takeover (the lease's TTL, a poll, the game's load) can take longer than the defaults
allow, and what is tested is that nothing is answered before the new holder listens. A command
the killed authority received and never applied is sent once more after the acknowledgement
timeout (its id makes it safe), so the kill -9 case takes that long once."""
import asyncio
import signal

from client import GameClient
from stack import game_shard, wait_until
from test_shards import holders

# 3 + 5 every roll: 8, 16, 24, 32, GO and round again: lots to buy (declined: no auctions), no card,
# tax or jail, so every command of the loop below is valid and makes a state.
DICE = [3, 5] * 400


def next_command(state):
    stage = state["turn_stage"]
    return {"roll": "roll", "buy": "decline", "end_turn": "end_turn"}[stage]


async def play_through(stack, fault, commands_after=12):
    alice = await GameClient.connect(stack.ws_url(0), "alice")
    bob = await GameClient.connect(stack.ws_url(0), "bob")
    game = (await alice.ok("create", name="Alice", options={"auctions": False}))["game"]
    await bob.ok("join", game=game, name="Bob")
    started = await alice.ok("start")
    await asyncio.gather(alice.wait_seq(started["seq"]), bob.wait_seq(started["seq"]))
    shard = game_shard(game)
    victim = holders(stack)[shard]
    players = {"p1": alice, "p2": bob}
    answers = []
    after = None
    while after is None or len(answers) < after + commands_after:
        if len(answers) == 6:
            fault(stack.authorities[victim])
        if after is None and len(answers) > 6 and holders(stack)[shard] not in ("", victim):
            after = len(answers)
        state = alice.states[-1]["state"]
        client = players[state["current"]]
        kind = next_command(state)
        answer = await client.request(kind, timeout=60)
        answers.append((client, kind, answer))
        assert answer["type"] == "ack", (kind, answer)
        await asyncio.gather(alice.wait_seq(answer["seq"], timeout=30), bob.wait_seq(answer["seq"], timeout=30))
    # Each command answered once, each applied once: one state per acknowledgement, no seq skipped.
    for client, _, answer in answers:
        assert [m["type"] for m in client.messages if m.get("re") == answer["re"]] == ["ack"], answer
    acked = [answer["seq"] for _, _, answer in answers]
    assert acked == list(range(started["seq"] + 1, started["seq"] + 1 + len(answers))), acked
    seqs = [m["seq"] for m in alice.states]
    assert seqs == list(range(seqs[0], seqs[-1] + 1)), seqs
    causes = [m["cmd"]["id"] for m in alice.states if m["seq"] > started["seq"]]
    assert len(causes) == len(set(causes)) == len(answers)
    await alice.close()
    await bob.close()
    return victim


def make_two_authorities(make_stack):
    stack = make_stack(gateways=1, dice=DICE, authority_args=("--lease-ms", "1500", "--standby-poll-ms", "100"),
                       gateway_args=("--handover-timeout", "30", "--ack-timeout", "10"))
    stack.start_authority("authority-2")
    stack.wait_for_shards_spread(2)
    return stack


def test_commands_through_a_sigterm_of_the_shards_authority_are_held_not_refused(make_stack):
    stack = make_two_authorities(make_stack)
    victim = asyncio.run(play_through(stack, lambda process: process.proc.send_signal(signal.SIGTERM)))
    wait_until(lambda: stack.authorities[victim].proc.poll() is not None, 20, "the stopped authority exiting")
    assert stack.authorities[victim].proc.returncode == 0


def test_commands_through_a_kill_9_of_the_shards_authority_are_held_not_refused(make_stack):
    stack = make_two_authorities(make_stack)
    asyncio.run(play_through(stack, lambda process: process.proc.send_signal(signal.SIGKILL)))
    metrics = stack.http_get(0, "/metrics")[1]
    republished = [line for line in metrics.splitlines() if line.startswith("monopoly_gateway_commands_republished_total")]
    assert republished and float(republished[0].split()[-1]) > 0, republished


def test_a_player_leaving_while_the_shard_has_no_holder_is_reported_to_the_new_holder(make_stack):
    """The gateway's report that a connection left is held like a command: published once while
    the shard had no holder, it reached nobody, and the new holder counted the seat connected for
    ever (no bot stands in for it, a lobby never gives it up)."""
    stack = make_two_authorities(make_stack)

    async def scenario():
        alice = await GameClient.connect(stack.ws_url(0), "alice")
        bob = await GameClient.connect(stack.ws_url(0), "bob")
        game = (await alice.ok("create", name="Alice"))["game"]
        player = (await bob.ok("join", game=game, name="Bob"))["player"]
        victim = stack.authorities[holders(stack)[game_shard(game)]].proc
        victim.send_signal(signal.SIGKILL)
        wait_until(lambda: victim.poll() is not None, 20, "the killed authority gone")
        await bob.close()

        def gone(message):
            return any(p["id"] == player and not p["connected"] for p in message["state"]["players"])
        await alice.wait_state(gone, timeout=60)
        await alice.close()

    asyncio.run(scenario())
    metrics = stack.http_get(0, "/metrics")[1]
    lost = [line for line in metrics.splitlines() if line.startswith("monopoly_gateway_disconnect_reports_lost_total")]
    assert not lost or float(lost[0].split()[-1]) == 0, lost
