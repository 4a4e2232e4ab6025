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


# --- Connections and browsers: per-address limits, PROXY protocol, Origin, headers ------------
