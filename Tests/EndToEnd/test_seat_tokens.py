"""Seat tokens are useless inside Redis: the snapshot keeps the SHA-256 of the token's proof (an
HMAC keyed with the gateways' SEAT_TOKEN_SECRET), so nothing read from Redis takes a seat back,
while the real token does, through any gateway that holds the same secret, and no other."""
import asyncio
import json
import secrets
import time

from client import GameClient
from conftest import Observer
from stack import Process, command_channel, free_port, wait_for_port


def test_a_value_read_from_a_snapshot_takes_no_seat_and_the_real_token_does(make_stack):
    stack = make_stack(gateways=2)
    observer = Observer(stack.redis_port)

    async def scenario():
        alice = await GameClient.connect(stack.ws_url(0), "alice")
        welcome = await alice.ok("create", name="Alice")
        game, token = welcome["game"], welcome["token"]
        await alice.close()
        stored = json.loads(stack.redis_cli("GET", f"monopoly:{{{game}}}:snapshot"))["seats"]["p1"]["token_hash"]
        assert stored.startswith("v2:") and len(stored) == 67 and token not in stored

        # Presented as a token through a gateway: not a token (bad_request), or no seat's.
        thief = await GameClient.connect(stack.ws_url(1), "thief")
        await thief.rejected("rejoin", "bad_request", game=game, token=stored)
        await thief.rejected("rejoin", "invalid_token", game=game, token=stored[3:35])

        # Published straight on Redis as the proof in a rejoin envelope (what the old hash allowed).
        envelope = {"id": "replay-1", "gateway": "gwx", "conn": "9", "game": game, "player": None,
                    "seat": stored[3:], "client": None, "msg": {"type": "rejoin"}}
        stack.redis_cli("PUBLISH", command_channel(game), json.dumps(envelope))
        deadline = time.time() + 20
        while time.time() < deadline and not any(channel == "monopoly:gateway:{gwx}:reply" for channel, _ in observer.messages()):
            await asyncio.sleep(0.05)
        replies = [json.loads(payload) for channel, payload in observer.messages() if channel == "monopoly:gateway:{gwx}:reply"]
        assert replies and replies[0]["type"] == "error" and replies[0]["code"] == "invalid_token", replies
        seat = json.loads(stack.redis_cli("GET", f"monopoly:{{{game}}}:snapshot"))["seats"]["p1"]
        assert seat["gateway"] != "gwx", "the replayed value took the seat"

        # The real token, through the other gateway (same secret).
        back = await GameClient.connect(stack.ws_url(1), "alice again")
        again = await back.ok("rejoin", game=game, token=token)
        assert again["player"] == "p1"
        await back.close()
        await thief.close()
        return game, token

    try:
        game, token = asyncio.run(scenario())
    finally:
        observer.close()

    # A gateway with another secret computes another proof: the token holds no seat there.
    port = free_port()
    other = Process("gateway-other-secret", [stack.binary, "gateway", "--port", str(port), "--redis", stack.gateway_redis_url,
                                             "--id", "gw9"], stack.dir, env={"SEAT_TOKEN_SECRET": secrets.token_hex(32)})
    try:
        wait_for_port(port)
        stack.gateway_ports.append(port)
        stack.wait_for_gateway(len(stack.gateway_ports) - 1)

        async def elsewhere():
            stranger = await GameClient.connect(f"ws://127.0.0.1:{port}/ws", "alice elsewhere")
            await stranger.rejected("rejoin", "invalid_token", game=game, token=token)
            await stranger.close()

        asyncio.run(elsewhere())
    finally:
        other.terminate()


def test_a_short_seat_token_secret_is_refused_at_startup(make_stack):
    stack = make_stack(gateways=1)
    port = free_port()
    short = Process("gateway-short-secret", [stack.binary, "gateway", "--port", str(port), "--redis", stack.gateway_redis_url,
                                             "--id", "gw8"], stack.dir, env={"SEAT_TOKEN_SECRET": "too-short"})
    assert short.proc.wait(30) == 64, short.log()
    assert "SEAT_TOKEN_SECRET must be at least 32 bytes" in short.log()
