"""The compose topology run for real as local processes (deploy/local-twin): three gateways behind
HAProxy, two authorities (each serving half the shards), Redis with AOF. Clients only ever use the LB's port."""
import asyncio
import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

from client import GameClient
from game import close_code, connection_closed, everyone_at, open_game, pay_one, rejoin, rejoin_the_lost, cash

ROOT = Path(__file__).resolve().parents[2]
# The twin's defaults (compose's replicas): gateway-1..3, authority-1 and -2 (each takes half the shards).
GATEWAYS = ("gateway-1", "gateway-2", "gateway-3")
AUTHORITIES = ("authority-1", "authority-2")


def connections(twin):
    """Open WebSocket connections per live gateway, from its /healthz."""
    counts = {}
    for name in twin.info["gateways"]:
        if twin.alive(name):
            status, body = twin.http(name, "/healthz")
            if status == 200:
                counts[name] = json.loads(body)["connections"]
    return counts


def test_clients_play_through_the_lb_and_survive_a_gateway_crash_and_a_drain(make_twin):
    twin = make_twin()
    asyncio.run(play_through_failures(twin))


async def play_through_failures(twin):
    names = ["alice", "bob", "carol", "dave", "erin", "frank"]
    clients = await open_game(twin.ws, names)
    alice, bob = clients[0], clients[1]
    game = alice.game
    tokens = {c.name: c.token for c in clients}
    for _ in range(3):
        await pay_one(alice, bob, clients)

    # leastconn spreads six clients over the three gateways.
    spread = connections(twin)
    assert sorted(spread) == list(GATEWAYS) and all(n >= 1 for n in spread.values()), spread

    # kill -9 a gateway: its clients lose the connection, come back through the LB and rejoin.
    victim = max(spread, key=spread.get)
    twin.signal(victim, signal.SIGKILL)
    twin.wait_exit(victim)
    lost, survivors = await rejoin_the_lost(clients, spread[victim], twin.ws, game, tokens)
    assert not twin.alive(victim)
    assert all(c.game == game and not connection_closed(c) for c in clients)
    spread = connections(twin)
    assert victim not in spread and sum(spread.values()) == len(clients), spread

    # The game goes on for everyone, with every state in order.
    giver = lost[0]
    receiver = next(c for c in clients if c is not giver)
    cash_before = cash(giver.state, giver.player)
    seq = await pay_one(giver, receiver, clients)
    assert cash(receiver.state, giver.player) == cash_before - 1
    for client in survivors:
        seqs = [m["seq"] for m in client.states]
        assert seqs == list(range(seqs[0], seq + 1)), f"{client.name} saw {seqs}"

    # SIGTERM a gateway: its clients get close 1001 (through HAProxy), it exits within the drain.
    spread = connections(twin)
    drained = max(spread, key=spread.get)
    expected = spread[drained]
    assert expected >= 1
    started = time.time()
    twin.signal(drained, signal.SIGTERM)
    while time.time() - started < 5 and sum(connection_closed(c) for c in clients) < expected:
        await asyncio.sleep(0.02)
    closed = [c for c in clients if connection_closed(c)]
    assert len(closed) == expected, f"{drained} had {expected} clients, {len(closed)} were closed"
    assert [close_code(c) for c in closed] == [1001] * expected
    twin.wait_exit(drained, timeout=8)
    assert twin.exit_status(drained) == 0, "a SIGTERM is a clean stop"
    assert twin.exit_status(victim) == -signal.SIGKILL
    for client in closed:
        await rejoin(client, twin.ws, game, tokens[client.name])
    seq = await pay_one(closed[0], next(c for c in clients if c is not closed[0]), clients)
    assert all(c.seq == seq for c in clients)
    # One gateway is left and carries everyone.
    assert connections(twin) == {next(g for g in GATEWAYS if g not in (victim, drained)): len(clients)}
    for client in clients:
        await client.close()


def test_healthz_tells_the_truth_while_redis_is_down_and_aof_keeps_the_game(make_twin):
    twin = make_twin()
    game, seq = asyncio.run(short_game(twin))
    for name in (*GATEWAYS, *AUTHORITIES):
        status, body = twin.http(name, "/healthz")
        assert status == 200, (name, body)
    # The image's HEALTHCHECK script against the real endpoints.
    probe = healthcheck(twin, "authority-1")
    assert probe.returncode == 0 and json.loads(probe.stdout)["status"] == "ok", probe
    assert healthcheck(twin, "gateway-1").returncode == 0
    # Both serve a share of the shards.
    roles = {name: json.loads(twin.http(name, "/healthz")[1])["role"] for name in AUTHORITIES}
    assert sorted(roles.values()) == ["active", "active"], roles

    # What Redis holds once the players' disconnects have settled.
    time.sleep(0.5)
    stored_seq = twin.redis_cli("GET", f"monopoly:{{{game}}}:seq")
    stored_last = twin.redis_cli("GET", f"monopoly:{{{game}}}:last")
    assert int(stored_seq) >= seq

    # Redis goes away (SIGTERM: it writes the AOF and exits).
    twin.signal("redis", signal.SIGTERM)
    twin.wait_exit("redis")
    deadline = time.time() + 10
    unhealthy = set()
    while time.time() < deadline and len(unhealthy) < 5:
        for name in (*GATEWAYS, *AUTHORITIES):
            if twin.http(name, "/healthz")[0] == 503:
                unhealthy.add(name)
        time.sleep(0.1)
    assert unhealthy == {*GATEWAYS, *AUTHORITIES}, f"still 200: {set(GATEWAYS) - unhealthy}"
    status, body = twin.http("authority-1", "/healthz")
    assert json.loads(body)["status"] == "unhealthy"
    probe = healthcheck(twin, "authority-1")
    assert probe.returncode == 1 and json.loads(probe.stdout)["status"] == "unhealthy", probe
    assert healthcheck(twin, "gateway-2").returncode == 1
    # The LB has no healthy gateway left: it answers 503 itself.
    deadline = time.time() + 5
    while time.time() < deadline and twin.http("lb", "/healthz")[0] != 503:
        time.sleep(0.1)
    assert twin.http("lb", "/healthz")[0] == 503

    # Redis comes back from its AOF: everything is healthy again and the game is still there.
    twin.respawn("redis")
    deadline = time.time() + 20
    while time.time() < deadline:
        states = [twin.http(name, "/healthz")[0] for name in (*GATEWAYS, *AUTHORITIES)]
        if states == [200] * 5 and twin.lease_holder():
            break
        time.sleep(0.1)
    assert states == [200] * 5, states
    assert twin.redis_cli("GET", f"monopoly:{{{game}}}:seq") == stored_seq
    assert twin.redis_cli("GET", f"monopoly:{{{game}}}:last") == stored_last

    # The gateways counted their reconnects (sampled once a second).
    deadline = time.time() + 5
    while time.time() < deadline:
        metrics = twin.http("gateway-1", "/metrics")[1]
        reconnects = re.findall(r'^monopoly_gateway_redis_reconnects_total\{connection="(\w+)"\} (\d+)', metrics, re.M)
        if len(reconnects) == 2 and all(int(n) >= 1 for _, n in reconnects):
            break
        time.sleep(0.2)
    assert sorted(c for c, _ in reconnects) == ["commands", "subscriber"] and all(int(n) >= 1 for _, n in reconnects), reconnects


def healthcheck(twin, name):
    """deploy/healthcheck (the Dockerfile's HEALTHCHECK) against one process of the twin."""
    process = twin.process(name)
    port = process.get("http_port") or process["port"]
    return subprocess.run(["bash", str(ROOT / "deploy" / "healthcheck")], capture_output=True, text=True, timeout=10,
                          env={**os.environ, "HEALTHCHECK_HOST": process.get("host", "127.0.0.1"), "HEALTHCHECK_PORT": str(port)})


async def short_game(twin):
    clients = await open_game(twin.ws, ["alice", "bob"])
    seq = await pay_one(clients[0], clients[1], clients)
    game = clients[0].game
    for client in clients:
        await client.close()
    return game, seq


def test_metrics_of_gateways_and_authorities(make_twin):
    twin = make_twin()
    game, _ = asyncio.run(short_game(twin))
    time.sleep(1.2)  # the reconnect counter is sampled once a second
    gateway = "\n".join(twin.http(name, "/metrics")[1] for name in GATEWAYS)
    for metric in ("monopoly_gateway_connections_open", "monopoly_gateway_connections_accepted_total",
                   "monopoly_gateway_messages_in_total", "monopoly_gateway_messages_out_total",
                   "monopoly_gateway_bytes_in_total", "monopoly_gateway_bytes_out_total",
                   "monopoly_gateway_publish_errors_total", "monopoly_gateway_commands_published_total",
                   "monopoly_gateway_redis_reconnects_total", "monopoly_gateway_state_fanout_seconds_bucket",
                   "monopoly_gateway_conflated_frames_total"):
        assert re.search(rf"^{metric}(\{{.*\}})? ", gateway, re.M), f"{metric} missing from the gateways' /metrics"
    # Sub-millisecond buckets: fan-out takes microseconds.
    assert re.search(r'^monopoly_gateway_state_fanout_seconds_bucket\{le="0.0001"\} ', gateway, re.M)
    messages_in = sum(float(v) for v in re.findall(r"^monopoly_gateway_messages_in_total (\S+)", gateway, re.M))
    assert messages_in >= 5  # create, join, start, propose, accept

    # Scraped inside the network, per process; the public port does not serve it.
    assert twin.http("lb", "/metrics")[0] == 404
    assert twin.http("lb", "/")[0] == 200

    holder = twin.shard_holder(game)
    authority = twin.http(holder, "/metrics")[1]
    assert re.search(r'^monopoly_authority_command_seconds_bucket\{.*type="trade_accept".*\} \d', authority, re.M), authority
    assert re.search(r'^monopoly_authority_command_seconds_bucket\{.*le="0.001".*\} ', authority, re.M)
    assert re.search(r'^monopoly_authority_commands_total\{result="accepted"\} [1-9]', authority, re.M)
    assert re.search(r"^monopoly_authority_lease_held 1", authority, re.M)
    held = [int(re.search(r"^monopoly_authority_shards_held (\d+)", twin.http(name, "/metrics")[1], re.M).group(1)) for name in AUTHORITIES]
    assert sum(held) == 64 and min(held) > 0, held


def test_ctrl_c_stops_every_process_and_clients_see_1001(make_twin):
    twin = make_twin()

    async def connect_and_wait():
        client = await GameClient.connect(twin.ws, "alice")
        await client.ok("create", name="Alice")
        twin.proc.send_signal(signal.SIGINT)  # Ctrl-C
        await asyncio.wait_for(client._reader, 10)
        return close_code(client)

    assert asyncio.run(connect_and_wait()) == 1001
    assert twin.proc.wait(30) == 0
    left = [name for name in twin.info["processes"] if twin.alive(name)]
    assert left == [], f"still running after the twin stopped: {left}"
    assert "local-twin: stopped" in "\n".join(twin.lines)
