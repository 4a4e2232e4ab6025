"""PROXY protocol v2 from the load balancer to the gateways (send-proxy-v2, check-send-proxy): the
gateways apply their per-client limit to each client's own address, not to the LB's, and trust the
header only from the LB's address (TRUSTED_PROXIES). Through the local twin, whose LB dials the
gateways from 127.0.0.9."""
import asyncio
import re

import websockets

from game import connect
from wire import exchange, proxy_v2_header

OTHER_ADDRESS = "127.0.0.2"
LB_SOURCE_ADDRESS = "127.0.0.9"  # deploy/local-twin's


def test_the_gateways_limit_each_client_address_behind_the_lb(make_twin):
    twin = make_twin("--gateway-arg=--max-connections-per-client=1")
    asyncio.run(one_per_gateway(twin))
    # The refusals were the gateways' per-client limit (not the LB's own limits).
    assert per_client_rejections(twin) >= 1
    # The health checks (a LOCAL header) keep every gateway up: the LB still answers through them.
    assert twin.http("lb", "/healthz")[0] == 200


async def one_per_gateway(twin):
    # 127.0.0.1 may hold one connection per gateway: the LB spreads them, then a gateway says 429.
    held = []
    while True:
        assert len(held) <= len(twin.info["gateways"]), "more connections than gateways were let in"
        try:
            held.append(await websockets.connect(twin.ws))
        except websockets.InvalidStatus as error:
            assert error.response.status_code == 429
            break
    assert len(held) >= 1
    # Another client address is another client for the gateways: without the PROXY header both
    # would be the LB's address, and this one would be refused too.
    other = await connect(twin.ws, "other", local_addr=(OTHER_ADDRESS, 0))
    welcome = await other.ok("create", name="Other")
    assert welcome["type"] == "welcome"
    await other.close()
    for ws in held:
        await ws.close()


def per_client_rejections(twin):
    total = 0
    for name in twin.info["gateways"]:
        metrics = twin.http(name, "/metrics")[1]
        total += sum(int(float(n)) for n in re.findall(
            r'^monopoly_gateway_connections_rejected_total\{reason="per_client"\} (\S+)', metrics, re.M))
    return total


def test_the_header_is_required_from_the_lb_address_and_ignored_from_clients(make_twin):
    twin = make_twin()
    gateway = twin.process("gateway-1")
    gateway_host, gateway_port = gateway["host"], gateway["port"]
    request = b"GET /healthz HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n"
    # From the trusted address, a connection without the header gets no answer.
    assert exchange(gateway_port, request, source=LB_SOURCE_ADDRESS, host=gateway_host) == b""
    # From the trusted address with a header, the request is served (what the LB does).
    header = proxy_v2_header("203.0.113.7", 40000, gateway_host, gateway_port)
    assert exchange(gateway_port, header + request, source=LB_SOURCE_ADDRESS, host=gateway_host).startswith(b"HTTP/1.1 200")
    # From anyone else, a header is not read: the request is not HTTP, no client address is taken.
    reply = exchange(gateway_port, header + request, source="127.0.0.1", host=gateway_host)
    assert not reply.startswith(b"HTTP/1.1 200"), reply
    # Nor does the LB take one from a client: its public port does not accept PROXY headers.
    reply = exchange(twin.info["lb_port"], header + request, source="127.0.0.1")
    assert reply.startswith(b"HTTP/1.1 400"), reply
    # Plain probes from 127.0.0.1 still work (health, metrics): they are not the LB.
    assert twin.http("gateway-1", "/healthz")[0] == 200

