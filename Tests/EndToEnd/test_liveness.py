"""Gateway liveness: each gateway renews `monopoly:gateway:{ID}` (GATEWAY_TIMEOUT); when it dies,
the authority frees the seats bound to it; ids are unique per boot, and a live id is not shared."""
import asyncio
import json
import os
import re
import signal
import subprocess
import time

from client import GameClient
from stack import Process, free_port, wait_for_port, wait_until
from test_faults import play, two_player_game

TIMEOUT = 6  # GATEWAY_TIMEOUT of these tests' gateways, in seconds: renewed every 2 s, so a live gateway starved for 4 s on a loaded CI machine still holds its key


def heartbeat(stack, name):
    return stack.redis_cli("GET", "monopoly:gateway:{" + name + "}")


def snapshot_seats(stack, game):
    return json.loads(stack.redis_cli("GET", "monopoly:{" + game + "}:snapshot"))["seats"]


def start_gateway(stack, name, gateway_id):
    port = free_port()
    # As the stack's own gateways: the gateway's Redis user and the stack's seat token secret.
    process = Process(name, [stack.binary, "gateway", "--port", str(port), "--redis", stack.gateway_redis_url, "--id", gateway_id,
                             "--gateway-timeout", str(TIMEOUT)], stack.dir, env={"SEAT_TOKEN_SECRET": stack.seat_token_secret})
    return process, port


def test_a_killed_gateways_players_are_disconnected_by_the_authority_and_the_game_goes_on(make_stack):
    stack = make_stack(dice=[1, 2, 2, 4], gateway_args=["--gateway-timeout", str(TIMEOUT)], authority_args=["--grace-seconds", "1"])

    async def scenario():
        game, alice, bob = await two_player_game(stack)
        assert bob.state["current"] == "p1" and bob.state["players"][0]["connected"]
        killed = time.time()
        stack.gateways[0].kill9()
        # Nobody reports the connection closed: the heartbeat's expiry does (generous bound: CI is slow).
        lost = await bob.wait_state(lambda m: not m["state"]["players"][0]["connected"], timeout=60)
        elapsed = time.time() - killed
        print(f"alice's seat freed {elapsed:.2f} s after kill -9 (GATEWAY_TIMEOUT {TIMEOUT} s)")
        assert lost["cmd"] == {"id": "gateway-timeout", "type": "disconnect", "player": "p1"}
        assert any("lost the connection" in event["text"] for event in lost["events"])
        assert bob.state["players"][1]["connected"]
        # As for a closed connection: after the grace the bot plays alice's turn, and play comes to bob.
        turn = await bob.wait_state(lambda m: m["state"]["current"] == "p2", timeout=60)
        assert turn["seq"] > lost["seq"]
        await play([bob], bob, "roll")
        await bob.close()

    asyncio.run(scenario())


def test_a_second_gateway_under_a_live_id_refuses_to_start_and_the_id_is_free_after_a_clean_stop(make_stack):
    stack = make_stack(gateways=1, gateway_args=["--gateway-timeout", str(TIMEOUT)])
    first = heartbeat(stack, "gw1")
    assert first.startswith("gw1.")
    duplicate, _ = start_gateway(stack, "gateway-duplicate", "gw1")
    assert duplicate.proc.wait(60) == 78
    assert "gateway id gw1 is in use by a live gateway" in duplicate.log()
    assert heartbeat(stack, "gw1") == first
    # A clean stop frees the id at once: a gateway under it starts without waiting for the TTL.
    stack.gateways[0].terminate()
    assert stack.redis_cli("EXISTS", "monopoly:gateway:{gw1}") == "0"
    again, port = start_gateway(stack, "gateway-again", "gw1")
    stack.gateways.append(again)
    wait_for_port(port)
    second = wait_until(lambda: heartbeat(stack, "gw1"), 30, "the new gateway's heartbeat")
    assert second.startswith("gw1.") and second != first


def test_a_gateway_restarted_under_the_same_id_never_matches_its_predecessors_bindings(make_stack):
    stack = make_stack(dice=[1, 2, 2, 4], gateway_args=["--gateway-timeout", str(TIMEOUT)])

    async def scenario():
        game, alice, bob = await two_player_game(stack)
        old = snapshot_seats(stack, game)["p1"]
        assert old["gateway"] == heartbeat(stack, "gw1") and old["gateway"].startswith("gw1.")
        stack.gateways[0].kill9()
        # While the dead one's heartbeat lives, its id is refused; then the restart takes it.
        while True:
            restarted, port = start_gateway(stack, "gateway-1-restarted", "gw1")
            try:
                code = restarted.proc.wait(1)
            except subprocess.TimeoutExpired:
                break
            assert code == 78, restarted.log()
            await asyncio.sleep(0.2)
        stack.gateways.append(restarted)
        wait_for_port(port)
        new_instance = await asyncio.to_thread(wait_until, lambda: heartbeat(stack, "gw1"), 30, "the restarted gateway's heartbeat")
        assert new_instance != old["gateway"]
        # The old binding is dead although its name lives again: the authority frees it.
        await bob.wait_state(lambda m: not m["state"]["players"][0]["connected"], timeout=60)
        again = await GameClient.connect(f"ws://127.0.0.1:{port}/ws", "alice-again")
        await again.ok("rejoin", game=game, token=alice.token)
        seat = snapshot_seats(stack, game)["p1"]
        assert seat["gateway"] == new_instance
        answer = await play([again, bob], again, "roll")
        state = await bob.wait_seq(answer["seq"])
        assert state["cmd"]["id"].startswith(new_instance + "-")
        await again.close()
        await bob.close()

    asyncio.run(scenario())


def test_a_gateway_paused_past_its_timeout_closes_its_players_with_1012_and_they_rejoin_their_seats(make_stack):
    stack = make_stack(dice=[1, 2], gateway_args=["--gateway-timeout", str(TIMEOUT)])

    async def scenario():
        game, alice, bob = await two_player_game(stack)  # alice on gateway 1, bob on gateway 2
        paused = stack.gateways[0].proc.pid
        os.kill(paused, signal.SIGSTOP)
        try:
            # Its key expires: the authority disconnects alice's seat.
            await bob.wait_state(lambda m: not m["state"]["players"][0]["connected"], timeout=60)
        finally:
            os.kill(paused, signal.SIGCONT)
        # Resumed, the gateway finds its heartbeat lapsed: alice, who believes she is seated, is closed with 1012.
        await asyncio.wait_for(alice._reader, 30)
        assert alice.close_code == 1012, alice.close_code
        again = await GameClient.connect(stack.ws_url(0), "alice-again")
        assert (await again.ok("rejoin", game=game, token=alice.token))["player"] == "p1"
        await bob.wait_state(lambda m: m["state"]["players"][0]["connected"], timeout=15)
        await play([again, bob], again, "roll")
        assert re.search(r"^monopoly_gateway_heartbeat_lapses_total 1$", stack.http_get(0, "/metrics")[1], re.M)
        await again.close()
        await bob.close()

    asyncio.run(scenario())
