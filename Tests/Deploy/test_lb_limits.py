"""Per-address limits at the load balancer (deploy/haproxy.cfg's stick table), through the local twin
with small limits: beyond LB_CONN_PER_CLIENT open connections an address gets 429; beyond
LB_CONN_RATE new connections per 10 s its connections are closed unanswered. Another address
(127.0.0.2) plays meanwhile, and the flooding one gets back in once it slows down."""
import asyncio
import time

import pytest
import websockets

from game import connect
from wire import http_status

OTHER_ADDRESS = "127.0.0.2"


def test_an_address_gets_429_beyond_its_open_connections_and_others_play_on(make_twin):
    twin = make_twin("--lb-conn-per-client", "4", "--lb-conn-rate", "1000")
    asyncio.run(open_too_many(twin, limit=4))


async def open_too_many(twin, limit):
    held = [await websockets.connect(twin.ws) for _ in range(limit)]
    with pytest.raises(websockets.InvalidStatus) as refused:
        await websockets.connect(twin.ws)
    assert refused.value.response.status_code == 429
    # Another address is not affected: it creates a game.
    other = await connect(twin.ws, "other", local_addr=(OTHER_ADDRESS, 0))
    await other.ok("create", name="Other")
    # Once one of its connections closes, the address gets one in again (the LB counts the close
    # when the tunnel ends, so allow it a moment).
    await held.pop().close()
    deadline = time.monotonic() + 30
    while True:
        try:
            held.append(await websockets.connect(twin.ws))
            break
        except websockets.InvalidStatus as error:
            assert error.response.status_code == 429 and time.monotonic() < deadline, error
            await asyncio.sleep(0.1)
    for ws in held:
        await ws.close()
    await other.close()


def test_a_flood_of_new_connections_is_dropped_and_the_address_gets_back_in_once_it_slows(make_twin):
    twin = make_twin("--lb-conn-rate", "12")
    port = twin.info["lb_port"]
    answers = []
    while "closed" not in answers:
        assert len(answers) < 500, f"no connection was dropped: {answers[:20]}..."
        answers.append(http_status(port))
    # Dropped, not answered: no 429, no 503 for the rest.
    assert set(answers) == {"200", "closed"}, answers
    # The LB's own probe port is not limited (the container's health check comes from loopback too).
    assert http_status(twin.info["lb_health_port"]) == "200"
    # Another address plays meanwhile.
    asyncio.run(create_game(twin, local_addr=(OTHER_ADDRESS, 0)))
    # The flooding address gets back in once its rate falls: probed every 2 s (under the limit).
    deadline = time.monotonic() + 90
    while http_status(port) != "200":
        assert time.monotonic() < deadline, "127.0.0.1 never got back in"
        time.sleep(2)
    asyncio.run(create_game(twin))


async def create_game(twin, **options):
    client = await connect(twin.ws, "host", twin.ssl_context, **options)
    welcome = await client.ok("create", name="Host")
    assert welcome["type"] == "welcome"
    await client.close()
