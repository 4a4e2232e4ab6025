"""The authority's clocks: the turn clock plays for a player who does not act, and two timed-out
turns in a row mark them away; an auction nobody finishes ends on its own timer."""
import asyncio
import time

from client import GameClient


async def lobby_of_two(stack, options):
    alice = await GameClient.connect(stack.ws_url(0), "alice")
    bob = await GameClient.connect(stack.ws_url(1), "bob")
    game = (await alice.ok("create", name="Alice", options=options))["game"]
    await bob.ok("join", game=game, name="Bob")
    return alice, bob


def test_turn_clock_lets_the_bot_play_and_marks_a_player_away_after_two_timeouts(make_stack):
    stack = make_stack(dice=[1, 2, 2, 4, 3, 4, 1, 3])

    async def scenario():
        alice, bob = await lobby_of_two(stack, {"turn_seconds": 10})  # the shortest turn clock
        await alice.ok("start")
        # Alice never acts: the clock runs out on p1's turn; Bob plays his own (2+4: Oriental
        # Avenue), and p1's clock runs out again.
        await bob.wait_state(lambda m: m["state"]["current"] == "p2", timeout=40)
        await bob.ok("roll")
        await bob.ok("buy")
        await bob.ok("end_turn")
        away = await bob.wait_state(lambda m: next(p for p in m["state"]["players"] if p["id"] == "p1")["away"], timeout=40)
        players = {p["id"]: p for p in away["state"]["players"]}
        assert players["p1"]["away"] is True
        assert away["state"]["turn_number"] >= 3
        # Moves were made for the absent players (by the authority, not by a client).
        assert any(m["cmd"]["id"] is None and m["cmd"]["type"] == "roll" for m in bob.states)
        await alice.close()
        await bob.close()

    asyncio.run(scenario())


def test_the_state_carries_the_turn_deadline_and_a_restarted_authority_keeps_the_clock(make_stack):
    stack = make_stack(dice=[1, 2, 2, 4])

    async def scenario():
        alice, bob = await lobby_of_two(stack, {"turn_seconds": 10})
        assert (await bob.wait_state())["state"]["turn_deadline"] is None  # no clock in the lobby
        await alice.ok("start")
        started = await bob.wait_state(lambda m: m["state"]["phase"] == "playing")
        deadline = started["state"]["turn_deadline"]
        assert abs(deadline - (time.time() + 10)) < 1.5
        await alice.ok("roll")
        rolled = await bob.wait_state(lambda m: m["cmd"]["type"] == "roll")
        assert rolled["state"]["turn_deadline"] == deadline  # one clock for the whole turn
        # The authority dies; its successor runs the same clock to the same deadline (it used to
        # start a fresh one when it resumed the game, about 3 s later here).
        stack.authorities["authority-1"].kill9()
        stack.start_authority("authority-2")
        expired = await bob.wait_state(lambda m: m["cmd"]["id"] is None, timeout=30)
        assert time.time() < deadline + 2.5, f"the clock ran out {time.time() - deadline:.1f} s after its deadline"
        assert expired["cmd"]["player"] == "p1"
        assert expired["state"]["turn_deadline"] is None  # ran out: the bot plays the rest of the turn
        # The bot buys Baltic Avenue and ends the turn; Bob's turn has a fresh clock.
        bobs = await bob.wait_state(lambda m: m["state"]["current"] == "p2", timeout=10)
        assert abs(bobs["state"]["turn_deadline"] - (time.time() + 10)) < 1.5
        assert bobs["state"]["squares"][3]["owner"] == "p1"
        await alice.close()
        await bob.close()

    asyncio.run(scenario())


def test_an_auction_ends_on_its_own_timer_and_the_high_bidder_wins(make_stack):
    stack = make_stack(dice=[1, 2])

    async def scenario():
        alice, bob = await lobby_of_two(stack, {"auction_seconds": 5})  # the shortest auction clock
        await alice.ok("start")
        await alice.ok("roll")
        await alice.ok("decline")
        await bob.ok("bid", amount=7)
        started = await alice.wait_state(lambda m: m["state"]["auction"] is not None and m["state"]["auction"]["high_bid"] == 7)
        assert started["state"]["auction"]["deadline"] > 0
        done = await alice.wait_state(lambda m: m["cmd"]["type"] == "auction_timeout", timeout=20)
        assert done["state"]["auction"] is None
        assert done["state"]["squares"][3]["owner"] == "p2"
        assert next(p for p in done["state"]["players"] if p["id"] == "p2")["cash"] == 1493
        assert done["cmd"]["type"] == "auction_timeout"
        await alice.close()
        await bob.close()

    asyncio.run(scenario())


def test_bots_fill_seats_and_play_their_turns(make_stack):
    stack = make_stack(dice=[1, 2, 2, 4])

    async def scenario():
        alice = await GameClient.connect(stack.ws_url(0), "alice")
        await alice.ok("create", name="Alice")
        await alice.ok("add_bot")
        state = await alice.wait_state(lambda m: len(m["state"]["players"]) == 2)
        assert state["state"]["players"][1]["name"] == "Bot 1"
        await alice.ok("start")
        await alice.ok("roll")
        await alice.ok("buy")
        await alice.ok("end_turn")
        # The bot rolls 2+4 to Oriental Avenue, buys it (it keeps a cash reserve) and ends its turn.
        back = await alice.wait_state(lambda m: m["state"]["current"] == "p1" and m["state"]["turn_number"] >= 3, timeout=10)
        assert back["state"]["players"][1]["position"] == 6
        assert back["state"]["squares"][6]["owner"] == "p2"
        assert all(m["cmd"]["id"] is None for m in alice.states if m["cmd"]["player"] == "p2")
        await alice.close()

    asyncio.run(scenario())


def test_a_trade_offered_to_a_bot_gets_an_answer(make_stack):
    stack = make_stack(dice=[1, 2, 2, 4])

    async def scenario():
        alice = await GameClient.connect(stack.ws_url(0), "alice")
        await alice.ok("create", name="Alice")
        await alice.ok("add_bot")
        await alice.ok("start")
        await alice.ok("roll")
        await alice.ok("buy")
        await alice.ok("end_turn")
        await alice.wait_state(lambda m: m["state"]["current"] == "p1" and m["state"]["squares"][6]["owner"] == "p2", timeout=10)
        # A generous offer for Oriental Avenue: the bot answers (accepts or declines); it never stays open.
        await alice.ok("trade_propose", to="p2", give={"cash": 400}, get={"properties": [6]})
        answered = await alice.wait_state(lambda m: any(e["type"] in ("trade_accepted", "trade_rejected") for e in m["events"]), timeout=10)
        assert answered["state"]["trades"] == []
        assert answered["cmd"]["player"] == "p2" and answered["cmd"]["id"] is None
        await alice.close()

    asyncio.run(scenario())
