"""MAX_GAMES_PER_AUTHORITY: MAX_GAMES_PER_CLIENT and CREATE_RATE_PER_MINUTE bound one address, but
many addresses (a botnet, or the addresses of an IPv6 /64) could make an authority hold games
without bound, each a runner in its memory and keys in Redis. Past the cap a create gets
server_full; a game that stops being open frees room."""
import asyncio

import websockets

from client import GameClient


class AddressedClient(GameClient):
    """A client whose connection comes from `address` (any of 127.0.0.0/8 is this host)."""

    @classmethod
    async def connect_from(cls, url: str, address: str):
        client = cls(address)
        client._ws = await websockets.connect(url, max_size=2 ** 22, local_addr=(address, 0))
        client._reader = asyncio.create_task(client._read())
        return client


def test_creates_from_many_addresses_stop_at_the_authoritys_cap_and_a_closed_game_frees_room(make_stack):
    stack = make_stack(gateways=1, authority_args=("--max-games-per-authority", "3", "--max-games-per-client", "1"))

    async def scenario():
        hosts = [await AddressedClient.connect_from(stack.ws_url(0), f"127.0.0.{n}") for n in range(10, 16)]
        answers = [await host.request("create", name="Host") for host in hosts]
        created = [h for h, a in zip(hosts, answers) if a["type"] == "welcome"]
        refused = [(h, a) for h, a in zip(hosts, answers) if a["type"] == "error"]
        # Each address is within MAX_GAMES_PER_CLIENT (1); before, all six were created.
        assert len(created) == 3, answers
        assert all(a["code"] == "server_full" and "3" in a["message"] for _, a in refused), refused
        assert len(stack.redis_cli("HKEYS", "monopoly:lobby:games").split()) == 3
        # A lobby its host leaves is closed: room for one more create, from another address.
        await created[0].ok("leave")
        waiting, _ = refused[0]
        await waiting.ok("create", name="Host")
        assert (await refused[1][0].request("create", name="Host"))["code"] == "server_full"
        for host in hosts:
            await host.close()

    asyncio.run(scenario())
