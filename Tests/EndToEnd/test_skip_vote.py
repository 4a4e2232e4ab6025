"""Voting to skip an absent player's turn (`vote_skip`), with real processes: three players, the
one whose turn it is disconnects, the two others vote, and the bot plays that turn at once. No turn
clock and an hour of grace: nothing but the vote can hand the turn over."""
import asyncio
import json

from client import GameClient


async def three_players(stack):
    """Alice (p1, whose turn it is), Bob and Carol in a started game, on both gateways."""
    alice = await GameClient.connect(stack.ws_url(0), "alice")
    bob = await GameClient.connect(stack.ws_url(1), "bob")
    carol = await GameClient.connect(stack.ws_url(0), "carol")
    game = (await alice.ok("create", name="Alice"))["game"]
    await bob.ok("join", game=game, name="Bob")
    await carol.ok("join", game=game, name="Carol")
    await alice.ok("start")
    return alice, bob, carol, game


def test_two_of_three_vote_and_the_bot_plays_the_absent_players_turn_at_once(make_stack):
    stack = make_stack(dice=[1, 2, 2, 4], authority_args=("--grace-seconds", "3600"))

    async def scenario():
        alice, bob, carol, game = await three_players(stack)
        # Nothing to vote on while Alice is there.
        await bob.rejected("vote_skip", "player_connected", turn=1)
        await alice.close()
        gone = await bob.wait_state(lambda m: not m["state"]["players"][0]["connected"])
        assert gone["state"]["current"] == "p1"
        assert gone["state"]["skip_votes"] == [] and gone["state"]["skip_votes_needed"] == 2

        await bob.ok("vote_skip", turn=1)
        one = await carol.wait_state(lambda m: m["state"]["skip_votes"] == ["p2"])
        assert [e["type"] for e in one["events"]] == ["skip_vote"]
        # Operators see the votes in the stored state too.
        last = json.loads(stack.redis_cli("GET", f"monopoly:{{{game}}}:last"))
        assert last["state"]["skip_votes"] == ["p2"] and last["state"]["skip_votes_needed"] == 2
        # A second vote is harmless: acknowledged, no new state; a vote for another turn is refused.
        again = await bob.ok("vote_skip", turn=1)
        assert again["seq"] is None
        await carol.rejected("vote_skip", "stale_turn", turn=2)
        await carol.rejected("vote_skip", "bad_request", turn="1")
        assert bob.state["current"] == "p1" and bob.state["players"][0]["position"] == 0

        await carol.ok("vote_skip", turn=1)
        carried = await bob.wait_state(lambda m: any(e["type"] == "turn_skipped" for e in m["events"]))
        assert carried["state"]["skip_votes"] == ["p2", "p3"]
        # The bot plays Alice's whole turn (rolls 1+2, buys Baltic Avenue, ends the turn); her seat stays hers.
        played = await bob.wait_state(lambda m: m["state"]["current"] == "p2", timeout=30)
        assert played["state"]["players"][0]["position"] == 3
        assert played["state"]["skip_votes"] == [] and played["state"]["skip_votes_needed"] is None
        assert played["state"]["players"][0]["connected"] is False
        log = [e["type"] for m in bob.states for e in m["events"]]
        assert log.index("turn_skipped") < log.index("rolled") < log.index("turn_ended")
        # Bob's turn: he is here, so there is nothing to vote on; a vote for Alice's turn is stale.
        await carol.rejected("vote_skip", "player_connected", turn=2)
        await carol.rejected("vote_skip", "stale_turn", turn=1)

        back = await GameClient.connect(stack.ws_url(1), "alice-back")
        assert (await back.ok("rejoin", game=game, token=alice.token))["player"] == "p1"
        for client in (back, bob, carol):
            await client.close()

    asyncio.run(scenario())


def test_the_absent_player_coming_back_clears_the_votes(make_stack):
    stack = make_stack(dice=[1, 2], authority_args=("--grace-seconds", "3600"))

    async def scenario():
        alice, bob, carol, game = await three_players(stack)
        await alice.close()
        await bob.wait_state(lambda m: m["state"]["skip_votes_needed"] == 2)
        await bob.ok("vote_skip", turn=1)
        await bob.wait_state(lambda m: m["state"]["skip_votes"] == ["p2"])
        back = await GameClient.connect(stack.ws_url(0), "alice-back")
        await back.ok("rejoin", game=game, token=alice.token)
        cleared = await bob.wait_state(lambda m: m["state"]["players"][0]["connected"])
        assert cleared["state"]["skip_votes"] == [] and cleared["state"]["skip_votes_needed"] is None
        await carol.rejected("vote_skip", "player_connected", turn=1)
        # Still her turn, hers to play.
        await back.ok("roll")
        for client in (back, bob, carol):
            await client.close()

    asyncio.run(scenario())
