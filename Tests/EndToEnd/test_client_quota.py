"""MAX_GAMES_PER_CLIENT and CREATE_RATE_PER_MINUTE hold over every authority (#15): a create lands
on the shard of the id its gateway drew, so on any authority; counted by each authority alone, an
address got M times the limit with M authorities. They are counted in Redis, one hash per client
address (`monopoly:client:{ADDRESS}:games`, ClientQuota)."""
import asyncio

from client import GameClient

# The gateway's own create rate is high: what is tested is the authorities' count.
GATEWAY = ("--create-rate-per-minute", "100", "--rate-limit", "1000")


def three_authorities(make_stack, authority_args):
    stack = make_stack(gateways=1, authority_args=authority_args, gateway_args=GATEWAY)
    stack.start_authority("authority-2")
    stack.start_authority("authority-3")
    stack.wait_for_shards_spread(3)
    return stack


def test_an_address_holds_max_games_per_client_open_games_over_three_authorities(make_stack):
    stack = three_authorities(make_stack, ("--max-games-per-client", "2", "--create-rate-per-minute", "100"))

    async def scenario():
        hosts = [await GameClient.connect(stack.ws_url(0), f"host{n}") for n in range(7)]
        answers = [await host.request("create", name="Host") for host in hosts]
        created = [a for a in answers if a["type"] == "welcome"]
        refused = [a for a in answers if a["type"] == "error"]
        # Before, each authority allowed 2 of its own: 6 games over three (the ids spread them).
        assert len(created) == 2, answers
        assert all(a["code"] == "too_many_games" and "2" in a["message"] for a in refused), refused
        assert len(stack.redis_cli("HKEYS", "monopoly:lobby:games").split()) == 2
        # A lobby its host leaves is closed: the address has a slot again, on whichever authority.
        first = next(h for h, a in zip(hosts, answers) if a["type"] == "welcome")
        await first.ok("leave")
        again = next(h for h, a in zip(hosts, answers) if a["type"] == "error")
        await again.ok("create", name="Host")
        assert (await hosts[-1].request("create", name="Host"))["code"] in ("too_many_games", "already_seated")
        for host in hosts:
            await host.close()

    asyncio.run(scenario())
    # One key for the address: its two open games, with an expiry.
    key = "monopoly:client:{127.0.0.1}:games"
    assert len([f for f in stack.redis_cli("HKEYS", key).split() if f.startswith("g:")]) == 2
    assert int(stack.redis_cli("PTTL", key)) > 0


def test_creates_beyond_the_rate_over_three_authorities_are_refused(make_stack):
    stack = three_authorities(make_stack, ("--create-rate-per-minute", "3", "--max-games-per-client", "100"))

    async def scenario():
        client = await GameClient.connect(stack.ws_url(0), "creator")
        for _ in range(3):
            await client.ok("create", name="Host")
            await client.ok("leave")
        # Before, each authority counted the creates of its own shards: 3 per minute each.
        refused = []
        for _ in range(3):
            answer = await client.request("create", name="Host")
            if answer["type"] == "welcome":
                await client.ok("leave")
            refused.append(answer)
        assert all(a["type"] == "error" and a["code"] == "rate_limited" and "per minute" in a["message"] for a in refused), refused
        await client.close()

    asyncio.run(scenario())
