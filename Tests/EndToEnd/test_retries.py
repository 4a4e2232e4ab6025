"""Idempotent commands: a client's request id is a dedupe key per seat, so a retry is applied once."""
import asyncio
import os
import signal
from pathlib import Path

from client import GameClient
from test_faults import play


def houses(state, index):
    return state["squares"][index]["houses"]


def test_a_build_retried_after_a_late_apply_is_applied_once(make_stack):
    # Alice buys Oriental (1+5) and Connecticut (1+2), Bob Vermont (2+6); Alice buys Vermont from Bob.
    stack = make_stack(gateways=1, dice=[1, 5, 2, 6, 1, 2], gateway_args=["--ack-timeout", "1"])

    async def scenario():
        alice = await GameClient.connect(stack.ws_url(0), "alice")
        bob = await GameClient.connect(stack.ws_url(0), "bob")
        everybody = [alice, bob]
        await alice.ok("create", name="Alice")
        await bob.ok("join", game=alice.game, name="Bob")
        await play(everybody, alice, "start")
        for client in (alice, bob):
            await play(everybody, client, "roll")
            await play(everybody, client, "buy")
            await play(everybody, client, "end_turn")
        await play(everybody, alice, "roll")
        await play(everybody, alice, "buy")
        await play(everybody, alice, "trade_propose", to="p2", give={"cash": 200}, get={"properties": [8]})
        await play(everybody, bob, "trade_accept", trade=alice.state["trades"][-1]["id"])

        # The authority stalls past the gateway's acknowledgement timeout: Alice is told it is
        # unavailable, then it wakes up and applies her build late.
        authority = stack.authorities["authority-1"].proc
        authority.send_signal(signal.SIGSTOP)
        # The signal is delivered asynchronously: wait until every thread is stopped.
        while any(Path(f"/proc/{authority.pid}/task/{task}/stat").read_text().split(") ")[1][0] != "T"
                  for task in os.listdir(f"/proc/{authority.pid}/task")):
            await asyncio.sleep(0.01)
        try:
            late = await alice.request("build", request_id="alice-build-1", timeout=10, square=6)
        finally:
            authority.send_signal(signal.SIGCONT)
        assert late["type"] == "error" and late["code"] == "authority_unavailable", late
        built = await alice.wait_state(lambda m: houses(m["state"], 6) == 1, timeout=10)
        cash = built["state"]["players"][0]["cash"]

        # Her retry, same id, same command: the same answer, nothing applied again.
        retry = await alice.request("build", request_id="alice-build-1", square=6)
        assert retry["type"] == "ack" and retry["seq"] == built["seq"], (retry, built["seq"])
        # Another build (a new id) shows whether anything was published meanwhile.
        await play(everybody, alice, "build", square=8)
        assert houses(alice.state, 6) == 1 and houses(alice.state, 8) == 1
        assert alice.state["players"][0]["cash"] == cash - 50
        assert alice.states[-1]["seq"] == built["seq"] + 1
        assert alice.state["bank"]["houses"] == 30

        # The same id for another command is no retry: applied.
        other = await alice.request("build", request_id="alice-build-1", square=9)
        assert other["type"] == "ack" and other["seq"] == built["seq"] + 2
        assert houses((await alice.wait_seq(other["seq"]))["state"], 9) == 1
        await alice.close()
        await bob.close()

    asyncio.run(scenario())


def test_a_retried_add_bot_seats_one_bot(make_stack):
    """Before, the retry seated a second bot (the build above was refused instead: must_build_evenly)."""
    stack = make_stack(gateways=1)

    async def scenario():
        alice = await GameClient.connect(stack.ws_url(0), "alice")
        await alice.ok("create", name="Alice")
        first = await alice.request("add_bot", request_id=7)
        retry = await alice.request("add_bot", request_id=7)
        assert first["type"] == retry["type"] == "ack" and retry["seq"] == first["seq"]
        # A string id "7" is another key than the integer 7.
        third = await alice.request("add_bot", request_id="7")
        assert third["type"] == "ack" and third["seq"] == first["seq"] + 1
        assert len((await alice.wait_seq(third["seq"]))["state"]["players"]) == 3
        await alice.close()

    asyncio.run(scenario())
