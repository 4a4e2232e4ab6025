"""Failures as they happen: kill -9 of the authority or a gateway, Redis going away."""
import asyncio
import time

from client import GameClient
from conftest import Observer


async def two_player_game(stack, gateways=(0, 1)):
    alice = await GameClient.connect(stack.ws_url(gateways[0]), "alice")
    bob = await GameClient.connect(stack.ws_url(gateways[1]), "bob")
    game = (await alice.ok("create", name="Alice"))["game"]
    await bob.ok("join", game=game, name="Bob")
    answer = await alice.ok("start")
    await asyncio.gather(alice.wait_seq(answer["seq"]), bob.wait_seq(answer["seq"]))
    return game, alice, bob


async def play(clients, client, type_, **fields):
    answer = await client.ok(type_, **fields)
    await asyncio.gather(*(c.wait_seq(answer["seq"]) for c in clients))
    return answer


async def retry_until_ok(client, type_, timeout=10, **fields):
    """Sends until the command is accepted (it gets authority_unavailable while nobody serves)."""
    deadline = time.time() + timeout
    while True:
        answer = await client.request(type_, **fields)
        if answer["type"] != "error" or answer["code"] != "authority_unavailable" or time.time() > deadline:
            return answer
        await asyncio.sleep(0.1)


def test_killed_authority_restarts_and_play_continues_from_the_same_state_and_seq(make_stack):
    stack = make_stack(dice=[1, 2, 2, 4])

    async def scenario():
        game, alice, bob = await two_player_game(stack)
        await play([alice, bob], alice, "roll")
        await play([alice, bob], alice, "buy")
        before = bob.states[-1]
        stack.authorities["authority-1"].kill9()
        # Nobody listens: the gateway holds the command for the handover bound (HANDOVER_TIMEOUT,
        # less once its lease poll finds no authority), or answers after the ack timeout and one
        # resend; never hangs.
        down = await bob.request("roll", timeout=15)
        assert down["type"] == "error" and down["code"] == "authority_unavailable"
        assert bob.states[-1] == before
        stack.set_dice([2, 4])
        stack.start_authority("authority-2")
        stack.wait_for_authority("authority-2")
        answer = await retry_until_ok(alice, "end_turn")
        assert answer["type"] == "ack" and answer["seq"] == before["seq"] + 1
        after = await bob.wait_seq(answer["seq"])
        assert after["state"]["squares"][3]["owner"] == "p1"
        assert after["state"]["players"] == before["state"]["players"]
        assert after["state"]["current"] == "p2"
        await play([alice, bob], bob, "roll")
        assert bob.state["players"][1]["position"] == 6
        seqs = [m["seq"] for m in bob.states]
        assert seqs == list(range(seqs[0], seqs[-1] + 1))
        await alice.close()
        await bob.close()

    asyncio.run(scenario())


def test_players_of_a_killed_gateway_rejoin_through_the_other_with_their_tokens(make_stack):
    stack = make_stack(dice=[1, 2])

    async def scenario():
        game, alice, bob = await two_player_game(stack)
        token = alice.token
        stack.gateways[0].kill9()
        await asyncio.sleep(0.2)
        again = await GameClient.connect(stack.ws_url(1), "alice-again")
        welcome = await again.ok("rejoin", game=game, token=token)
        assert welcome["player"] == "p1" and welcome["game"] == game
        state = await again.wait_state(lambda m: m["state"]["players"][0]["connected"])
        assert state["state"]["current"] == "p1"
        await play([again, bob], again, "roll")
        assert again.state["players"][0]["position"] == 3
        # The token is not transferable to another game or usable twice at once: a second
        # rejoin moves the seat and the previous connection loses it.
        third = await GameClient.connect(stack.ws_url(1), "alice-third")
        await third.ok("rejoin", game=game, token=token)
        await asyncio.sleep(0.3)
        assert any(e["code"] == "seat_taken" for e in again.errors)
        await again.rejected("buy", "not_seated")
        await play([third, bob], third, "buy")
        for c in (again, third, bob):
            await c.close()

    asyncio.run(scenario())


def test_redis_restart_recovers_without_restarting_any_process(make_stack):
    stack = make_stack(dice=[1, 2, 2, 4], durable_redis=True)

    async def scenario():
        game, alice, bob = await two_player_game(stack)
        await play([alice, bob], alice, "roll")
        seq = bob.seq
        stack.restart_redis(down_seconds=3)
        # Every process reconnects by itself; the first commands may find the authority not yet back.
        answer = await retry_until_ok(alice, "buy", timeout=15)
        assert answer["type"] == "ack", answer
        assert answer["seq"] == seq + 1
        await asyncio.gather(alice.wait_seq(answer["seq"]), bob.wait_seq(answer["seq"], timeout=10))
        assert bob.state["squares"][3]["owner"] == "p1"
        await play([alice, bob], alice, "end_turn")
        await play([alice, bob], bob, "roll")
        assert alice.state["players"][1]["position"] == 6
        for index in range(2):
            assert stack.wait_for_gateway(index)
        await alice.close()
        await bob.close()

    asyncio.run(scenario())


def test_an_operator_watching_every_channel_does_not_hide_a_dead_authority(make_stack):
    stack = make_stack(dice=[1, 2])
    observer = Observer(stack.redis_port)
    try:
        async def scenario():
            game, alice, bob = await two_player_game(stack)
            stack.authorities["authority-1"].kill9()
            started = time.time()
            answer = await alice.request("roll", timeout=15)
            assert answer["type"] == "error" and answer["code"] == "authority_unavailable", answer
            # Two acknowledgement timeouts (2 s each: the roll is sent once more after the first).
            assert time.time() - started < 10
            await alice.close()
            await bob.close()

        asyncio.run(scenario())
        assert all(channel.startswith("monopoly:") for channel, _ in observer.messages())
    finally:
        observer.close()
