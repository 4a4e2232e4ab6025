"""The local twin scaled as compose scales (`--scale gateway=5 --scale authority=3` there,
`--gateways 5 --authorities 3` here): HAProxy, started from deploy/haproxy.cfg itself, finds the five
gateways by DNS through its server template and checks them; clients through it reach different
gateways; a gateway killed with -9 is marked down by the health checks and play goes on through the
others."""
import asyncio
import signal
import time

from game import open_game, pay_one, rejoin_the_lost
from test_local_twin import connections

GATEWAYS, AUTHORITIES = 5, 3
PLAYERS = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"]


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    assert predicate(), f"timed out waiting for {what}"


def health(twin):
    """{address: UP or DOWN} of the gateways the LB found ("UP 1/2", a check missed on a loaded
    machine, is still up)."""
    return {address: status.split()[0] for address, status in twin.lb_servers().items()}


def test_five_gateways_and_three_authorities_behind_one_lb(make_twin):
    twin = make_twin("--gateways", str(GATEWAYS), "--authorities", str(AUTHORITIES))
    gateways, authorities = twin.info["gateways"], twin.info["authorities"]
    assert gateways == [f"gateway-{n}" for n in range(1, GATEWAYS + 1)]
    assert authorities == [f"authority-{n}" for n in range(1, AUTHORITIES + 1)]
    for name in (*gateways, *authorities):
        assert twin.alive(name) and twin.http(name, "/healthz")[0] == 200, name
    # Five replicas, five addresses on one port, as compose's containers of one service.
    assert len({twin.process(name)["host"] for name in gateways}) == GATEWAYS
    assert len({twin.process(name)["port"] for name in gateways}) == 1
    # The LB found every one of them by DNS (no file names them) and its checks find them up.
    assert health(twin) == {twin.gateway_address(name): "UP" for name in gateways}
    asyncio.run(play_through_a_killed_gateway(twin))


async def play_through_a_killed_gateway(twin):
    clients = await open_game(twin.ws, PLAYERS)
    game = clients[0].game
    tokens = {c.name: c.token for c in clients}
    await pay_one(clients[0], clients[1], clients)

    # leastconn spreads eight clients over the five gateways: each has one or two.
    spread = connections(twin)
    assert sorted(spread) == twin.info["gateways"] and all(n >= 1 for n in spread.values()), spread

    victim = max(spread, key=spread.get)
    twin.signal(victim, signal.SIGKILL)
    twin.wait_exit(victim)
    # The health checks mark it down (its address stays in the DNS answer); the others stay up.
    victim_address = twin.gateway_address(victim)
    wait_for(lambda: twin.lb_servers()[victim_address].startswith("DOWN"), 30, f"the LB to mark {victim} down")
    others = [name for name in twin.info["gateways"] if name != victim]
    assert {a: s for a, s in health(twin).items() if a != victim_address} == \
        {twin.gateway_address(name): "UP" for name in others}

    lost, survivors = await rejoin_the_lost(clients, spread[victim], twin.ws, game, tokens)

    # Everyone is back, through the four others only, and the game goes on for all.
    spread = connections(twin)
    assert victim not in spread and sum(spread.values()) == len(clients), spread
    seq = await pay_one(lost[0], next(c for c in clients if c is not lost[0]), clients)
    for client in survivors:
        seqs = [m["seq"] for m in client.states]
        assert seqs == list(range(seqs[0], seq + 1)), f"{client.name} saw {seqs}"
    for client in clients:
        await client.close()
