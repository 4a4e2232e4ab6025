"""Helpers shared by the deployment tests: a two-or-more-player game whose every command is a
trade, so any number of state changes can be made without dice or turns getting in the way."""
import asyncio
import time

import websockets

from client import GameClient


class ClientWith(GameClient):
    """A GameClient whose connections take more options of websockets.connect: `ssl` (a context
    that trusts the twin's self-signed certificate, for wss://), `local_addr` (another source
    address, e.g. ("127.0.0.2", 0): another client address for the load balancer)."""

    def __init__(self, name, **options):
        super().__init__(name)
        self.options = options

    async def open(self, url):
        self._ws = await websockets.connect(url, max_size=2 ** 22, **self.options)
        self._reader = asyncio.create_task(self._read())


async def connect(url, name, context=None, **options):
    """A client on ws:// (context None) or on wss:// trusting `context`; `options` as ClientWith's."""
    if context:
        options["ssl"] = context
    client = ClientWith(name, **options) if options else GameClient(name)
    await client.open(url)
    return client


async def open_game(url, names, context=None):
    """Connects one client per name, creates a game with the first, seats the others, starts it."""
    clients = [await connect(url, name, context) for name in names]
    host = clients[0]
    welcome = await host.ok("create", name=names[0].title())
    for client, name in zip(clients[1:], names[1:]):
        await client.ok("join", game=welcome["game"], name=name.title())
    answer = await host.ok("start")
    await everyone_at(clients, answer["seq"])
    return clients


async def everyone_at(clients, seq, timeout=10):
    await asyncio.gather(*(c.wait_seq(seq, timeout) for c in clients))


async def pay_one(giver, receiver, clients, timeout=10):
    """giver offers $1 for nothing, receiver accepts: two state changes. Returns the last seq."""
    # Wait for the state the acknowledgement names: on a Redis Cluster the ack (a classic reply
    # channel) and the state (the game's sharded channel) reach the gateway on two connections,
    # so the ack can come first, and the giver's last state was then the one before the proposal.
    proposed = await giver.ok("trade_propose", to=receiver.player, give={"cash": 1}, get={})
    await everyone_at(clients, proposed["seq"])
    trade = next(t["id"] for t in reversed(giver.state["trades"]) if t["from"] == giver.player)
    answer = await receiver.ok("trade_accept", trade=trade)
    await everyone_at(clients, answer["seq"], timeout)
    return answer["seq"]


def cash(state, player):
    return next(p["cash"] for p in state["players"] if p["id"] == player)


async def rejoin(client, url, game, token):
    """Opens a new connection (through the LB) and takes the seat back with the token."""
    client.states.clear()
    await client.open(url)
    answer = await client.ok("rejoin", game=game, token=token)
    assert answer["type"] == "welcome" and answer["game"] == game
    return answer


def connection_closed(client):
    return client._reader is not None and client._reader.done()


def close_code(client):
    return client._ws.close_code if client._ws is not None else None


async def rejoin_the_lost(clients, expected, url, game, tokens, timeout=10):
    """After a gateway died with `expected` of the clients: waits until that many connections have
    closed, rejoins them through the LB with their tokens and waits until every client is back at
    the newest state a survivor saw. Returns (lost, survivors)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and sum(connection_closed(c) for c in clients) < expected:
        await asyncio.sleep(0.02)
    lost = [c for c in clients if connection_closed(c)]
    assert len(lost) == expected, f"the gateway had {expected} clients, {len(lost)} lost their connection"
    survivors = [c for c in clients if c not in lost]
    before = max(c.seq for c in survivors)
    for client in lost:
        await rejoin(client, url, game, tokens[client.name])
    await everyone_at(clients, before)
    return lost, survivors
