"""Hostile clients, tried as an attacker would, against real processes (redis-server, authorities,
gateways): every attack fails with a clear error code and hurts no other game or client.

One section per attack surface; docs/security.md names the test that proves each row.
"""
import asyncio
import json
import time

import websockets

from client import GameClient
from conftest import Observer


# --- Options and arithmetic: values that could trap the authority ----------------------------


# --- Parsing: nesting, unknown fields, costs ---------------------------------------------------

DEEP = "[" * 500 + "]" * 500


async def wait_until(condition, timeout=10):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for a condition"
        await asyncio.sleep(0.02)


def test_a_flood_of_deep_json_leaves_another_clients_lobby_answer_alone(make_stack):
    """500-deep JSON cost about a second of gateway CPU each: a burst of them on one connection
    held another client's `lobby` answer on the same gateway for 14 to 31 s. The shape check
    refuses each at the 33rd bracket."""
    stack = make_stack(gateways=1)

    async def scenario():
        attacker = await GameClient.connect(stack.ws_url(0), "attacker")
        victim = await GameClient.connect(stack.ws_url(0), "victim")
        await victim.request("lobby")
        flood = 40  # the rate limit's burst: every one of them is parsed
        for _ in range(flood):
            await attacker.send_raw('{"type":"lobby","x":' + DEEP + "}")
        answer = await victim.request("lobby", timeout=10)
        assert answer["type"] == "lobby"
        await wait_until(lambda: len(attacker.errors) == flood)
        assert {(e["code"], e["message"]) for e in attacker.errors} == {("bad_request", "JSON nested deeper than 32 levels")}
        # The attacker's connection is still open (once its rate limit's bucket refilled).
        await asyncio.sleep(0.5)
        assert (await attacker.request("lobby"))["type"] == "lobby"
        await attacker.close()
        await victim.close()

    asyncio.run(scenario())


# --- Text: names and chat in bytes and graphemes -----------------------------------------------


# --- Game objects and games: trades, games per client, idle lobbies, abandoned games, TTLs -----


def game_keys(game):
    return [f"monopoly:{{{game}}}:{suffix}" for suffix in ("snapshot", "last", "seq")]


def test_a_finished_games_keys_get_their_ttl_with_the_commit_that_finishes_it(make_stack):
    stack = make_stack(authority_args=("--finished-ttl-seconds", "120"))

    async def scenario():
        alice = await GameClient.connect(stack.ws_url(0), "alice")
        bob = await GameClient.connect(stack.ws_url(1), "bob")
        await alice.ok("create", name="Alice")
        await bob.ok("join", game=alice.game, name="Bob")
        await alice.ok("start")
        assert [int(stack.redis_cli("PTTL", key)) for key in game_keys(alice.game)] == [-1, -1, -1]
        # Bob resigns, the game is over: the acknowledgement is published by the script that
        # wrote the finished state, so the keys have their TTL by the time it arrives.
        await bob.ok("leave")
        assert (await alice.wait_state(lambda m: m["state"]["phase"] == "finished"))["state"]["winner"] == alice.player
        for key in game_keys(alice.game):
            assert 0 < int(stack.redis_cli("PTTL", key)) <= 120_000, key
        await alice.close()
        await bob.close()

    asyncio.run(scenario())


async def eventually(condition, timeout=30, what="the condition"):
    """Waits for `condition()` (polled), generously: the servers share the machine with builds."""
    deadline = time.time() + timeout
    while not condition():
        assert time.time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.1)


def is_active(stack, game):
    return stack.redis_cli("SISMEMBER", "monopoly:games:active", game) == "1"


def stored_state(stack, game):
    return json.loads(stack.redis_cli("GET", f"monopoly:{{{game}}}:last"))["state"]


def test_a_lobby_nobody_is_connected_to_is_closed_unlisted_and_expires(make_stack):
    stack = make_stack(authority_args=("--lobby-idle-seconds", "2"))

    async def scenario():
        host = await GameClient.connect(stack.ws_url(0), "host")
        await host.ok("create", name="Host")
        game = host.game
        watcher = await GameClient.connect(stack.ws_url(1), "watcher")
        assert [g["game"] for g in (await watcher.request("lobby"))["games"]] == [game]
        assert is_active(stack, game)
        # The host vanishes; nobody comes back within LOBBY_IDLE_SECONDS.
        await host.close()
        await eventually(lambda: not is_active(stack, game), what="the lobby to leave monopoly:games:active")
        state = stored_state(stack, game)
        assert state["phase"] == "finished" and state["end_reason"] == "lobby_idle" and state["winner"] is None
        for key in game_keys(game):
            assert int(stack.redis_cli("PTTL", key)) > 0, key
        assert stack.redis_cli("HEXISTS", "monopoly:lobby:games", game) == "0"
        # The lobby watcher was told, and a fresh request does not list it either.
        await eventually(lambda: any(m["type"] == "lobby" and m["re"] is None and m["games"] == [] for m in watcher.messages),
                         what="a live lobby update without the game")
        assert (await watcher.request("lobby"))["games"] == []
        await watcher.close()

    asyncio.run(scenario())


def test_a_running_game_no_player_is_connected_to_ends_as_abandoned(make_stack):
    stack = make_stack(authority_args=("--abandoned-seconds", "2", "--grace-seconds", "0"))

    async def scenario():
        host = await GameClient.connect(stack.ws_url(0), "host")
        await host.ok("create", name="Host")
        await host.ok("add_bot")
        await host.ok("start")
        spectator = await GameClient.connect(stack.ws_url(1), "spectator")
        await spectator.ok("spectate", game=host.game)
        # The host goes: the authority plays every seat, for ABANDONED_SECONDS, not for ever.
        await host.close()
        end = await spectator.wait_state(lambda m: m["state"]["phase"] == "finished", timeout=60)
        assert end["state"]["end_reason"] == "abandoned" and end["state"]["winner"] is None
        assert end["cmd"]["type"] == "close"
        assert any(e["type"] == "game_over" and "no player was connected" in e["text"] for e in end["events"])
        assert not is_active(stack, host.game)
        assert stack.redis_cli("HEXISTS", "monopoly:lobby:games", host.game) == "0"
        for key in game_keys(host.game):
            assert int(stack.redis_cli("PTTL", key)) > 0, key
        await spectator.close()

    asyncio.run(scenario())


# --- Connections and browsers: per-address limits, PROXY protocol, Origin, headers ------------


async def refused_status(url, **options):
    """The HTTP status of an upgrade the gateway refuses (fails when it accepts)."""
    try:
        ws = await websockets.connect(url, **options)
    except websockets.InvalidStatus as refused:
        return refused.response.status_code
    await ws.close()
    raise AssertionError(f"{url} accepted the upgrade")


def test_connections_beyond_the_per_address_limit_get_429_and_a_freed_slot_is_reused(make_stack):
    stack = make_stack(gateways=1, gateway_args=("--max-connections-per-client", "5"))

    async def scenario():
        held = [await websockets.connect(stack.ws_url(0)) for _ in range(5)]
        assert await refused_status(stack.ws_url(0)) == 429
        # The held connections still work.
        await held[0].send(json.dumps({"type": "lobby"}))
        assert json.loads(await asyncio.wait_for(held[0].recv(), 10))["type"] == "lobby"
        # Once one closes, the address gets one in again.
        await held.pop().close()
        deadline = time.monotonic() + 30
        while True:
            try:
                held.append(await websockets.connect(stack.ws_url(0)))
                break
            except websockets.InvalidStatus as error:
                assert error.response.status_code == 429 and time.monotonic() < deadline, error
                await asyncio.sleep(0.1)
        for ws in held:
            await ws.close()

    asyncio.run(scenario())
    _, metrics = stack.http_get(0, "/metrics")
    assert 'monopoly_gateway_connections_rejected_total{reason="per_client"} ' in metrics
