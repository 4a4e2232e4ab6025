"""The relay end to end: redis-server, one authority, two gateways, real WebSocket clients."""
import asyncio
import json
import secrets
import time

from client import GameClient
from conftest import Observer

# Die values consumed in order by `roll` (the authority's --dice-script).
SCRIPT = [
    1, 2,   # p1: GO -> 3 Baltic Avenue, buys
    2, 4,   # p2: GO -> 6 Oriental Avenue, buys
    2, 6,   # p3: GO -> 8 Vermont Avenue, declines: auction, p1 wins
    4, 5,   # p4: GO -> 9 Connecticut Avenue, buys
    1, 2,   # p1: 3 -> 6 Oriental Avenue, pays p2 rent
    1, 1,   # p2: 6 -> 8 Vermont Avenue (doubles), pays p1 rent
    2, 2,   # p2: 8 -> 12 Electric Company (doubles), buys
    3, 3,   # p2: third doubles: jail
    3, 4,   # p3: 8 -> 15 Pennsylvania Railroad, buys
    1, 2,   # p4: 9 -> 12 Electric Company: p2 (in jail) collects 4 x 3
    2, 3,   # p1 (after trades and building): 6 -> 11 St. Charles Place, buys
    1, 3,   # p2: pays to leave jail, 10 -> 14 Virginia Avenue
]


async def everyone_at(clients, seq):
    await asyncio.gather(*(c.wait_seq(seq) for c in clients))


async def act(clients, client, type_, **fields):
    answer = await client.ok(type_, **fields)
    if answer.get("seq"):
        await everyone_at(clients, answer["seq"])
    return answer


def square(state, index):
    return state["squares"][index]


def player(state, pid):
    return next(p for p in state["players"] if p["id"] == pid)


def test_four_players_across_two_gateways_play_a_scripted_game(make_stack):
    stack = make_stack(dice=SCRIPT)
    observer = Observer(stack.redis_port)
    try:
        asyncio.run(scripted_game(stack))
        time.sleep(0.3)
        seen = observer.messages()
        assert seen, "the observer saw nothing"
        for channel, payload in seen:
            assert channel.startswith("monopoly:")
            json.loads(payload)  # every payload is one line of valid JSON
        assert any(channel.endswith(":state") for channel, _ in seen)
        assert any(channel.endswith(":cmd") for channel, _ in seen)
    finally:
        observer.close()


async def scripted_game(stack):
    alice = await GameClient.connect(stack.ws_url(0), "alice")
    bob = await GameClient.connect(stack.ws_url(0), "bob")
    carol = await GameClient.connect(stack.ws_url(1), "carol")
    dave = await GameClient.connect(stack.ws_url(1), "dave")
    clients = [alice, bob, carol, dave]

    welcome = await alice.ok("create", name="Alice", options={"auction_seconds": 30})
    game = welcome["game"]
    assert welcome["player"] == "p1" and len(welcome["token"]) == 32
    await bob.ok("join", game=game, name="Bob")
    await carol.ok("join", game=game, name="Carol")
    await dave.ok("join", game=game, name="Dave")
    assert [c.player for c in clients] == ["p1", "p2", "p3", "p4"]

    # A spectator on the other gateway gets the current snapshot at once.
    watcher = await GameClient.connect(stack.ws_url(1), "watcher")
    await watcher.ok("spectate", game=game)
    await watcher.wait_state(lambda m: len(m["state"]["players"]) == 4)
    everybody = clients + [watcher]

    await bob.rejected("start", "not_host")
    await act(everybody, alice, "start")
    assert alice.state["phase"] == "playing" and alice.state["current"] == "p1"

    # Illegal commands change nothing.
    before = alice.seq
    await bob.rejected("roll", "not_your_turn")
    await bob.rejected("roll", "not_your_turn", player="p1")          # impersonation: the field is ignored
    await carol.rejected("buy", "not_your_turn")
    stranger = await GameClient.connect(stack.ws_url(1), "stranger")
    await stranger.rejected("roll", "not_seated")
    await stranger.rejected("rejoin", "invalid_token", game=game, token=secrets.token_hex(16))
    await stranger.close()

    # p1: Baltic Avenue.
    await act(everybody, alice, "roll")
    assert player(alice.state, "p1")["position"] == 3
    await act(everybody, alice, "buy")
    assert square(alice.state, 3)["owner"] == "p1" and player(alice.state, "p1")["cash"] == 1440
    await act(everybody, alice, "end_turn")
    assert alice.seq > before

    # p2: Oriental Avenue.
    await act(everybody, bob, "roll")
    await act(everybody, bob, "buy")
    await act(everybody, bob, "end_turn")

    # p3 declines Vermont Avenue: auction among everyone; an unaffordable bid is refused.
    await act(everybody, carol, "roll")
    await act(everybody, carol, "decline")
    assert carol.state["auction"]["square"] == 8
    await dave.rejected("bid", "insufficient_funds", amount=100000)
    await act(everybody, alice, "bid", amount=10)
    await act(everybody, bob, "pass")
    await act(everybody, carol, "pass")
    await act(everybody, dave, "pass")
    assert carol.state["auction"] is None and square(carol.state, 8)["owner"] == "p1"
    assert player(carol.state, "p1")["cash"] == 1430
    await act(everybody, carol, "end_turn")

    # p4: Connecticut Avenue.
    await act(everybody, dave, "roll")
    await act(everybody, dave, "buy")
    await act(everybody, dave, "end_turn")

    # p1 lands on Oriental Avenue and pays p2 its rent automatically.
    await act(everybody, alice, "roll")
    assert player(alice.state, "p1")["cash"] == 1424 and player(alice.state, "p2")["cash"] == 1406
    await act(everybody, alice, "end_turn")

    # p2: doubles to Vermont (rent to p1), doubles to Electric Company (buys), third doubles: jail.
    await act(everybody, bob, "roll")
    assert player(bob.state, "p1")["cash"] == 1430
    await act(everybody, bob, "roll")
    await act(everybody, bob, "buy")
    await act(everybody, bob, "roll")
    assert player(bob.state, "p2")["in_jail"] is True and player(bob.state, "p2")["position"] == 10
    await act(everybody, bob, "end_turn")

    # p3: Pennsylvania Railroad.
    await act(everybody, carol, "roll")
    await act(everybody, carol, "buy")
    await act(everybody, carol, "end_turn")

    # p4 lands on Electric Company: p2 collects 4 x 3 while in jail.
    cash_p2 = player(dave.state, "p2")["cash"]
    await act(everybody, dave, "roll")
    assert player(dave.state, "p2")["cash"] == cash_p2 + 12
    await act(everybody, dave, "end_turn")

    # p1 completes the light blues by trade, then builds evenly.
    await act(everybody, alice, "trade_propose", to="p2", give={"cash": 200}, get={"properties": [6]})
    trade = alice.state["trades"][-1]["id"]
    await act(everybody, bob, "trade_accept", trade=trade)
    await act(everybody, alice, "trade_propose", to="p4", give={"cash": 250}, get={"properties": [9]})
    trade = alice.state["trades"][-1]["id"]
    await act(everybody, dave, "trade_accept", trade=trade)
    assert all(square(alice.state, i)["owner"] == "p1" for i in (6, 8, 9))
    await act(everybody, alice, "build", square=6)
    await alice.rejected("build", "must_build_evenly", square=6)
    await act(everybody, alice, "build", square=8)
    await act(everybody, alice, "build", square=9)
    assert [square(alice.state, i)["houses"] for i in (6, 8, 9)] == [1, 1, 1]
    assert alice.state["bank"]["houses"] == 29
    await act(everybody, alice, "roll")
    await act(everybody, alice, "buy")
    await act(everybody, alice, "end_turn")

    # p2 pays to leave jail and moves.
    await act(everybody, bob, "jail_pay")
    await act(everybody, bob, "roll")
    assert player(bob.state, "p2")["position"] == 14

    # Chat reaches everyone, including the spectator on the other gateway.
    await bob.ok("chat", text="gg")
    await asyncio.sleep(0.2)
    assert all(any(m["text"] == "gg" for m in c.chat) for c in everybody)

    # Every client saw the same states, in order, with no gap.
    final = bob.seq
    await everyone_at(everybody, final)
    for c in everybody:
        seqs = [m["seq"] for m in c.states]
        assert seqs == list(range(seqs[0], seqs[-1] + 1)), f"{c.name} saw {seqs}"
        assert seqs[-1] == final
    reference = {m["seq"]: m for m in alice.states}
    for c in everybody:
        for m in c.states:
            if m["seq"] in reference:
                assert m == reference[m["seq"]], f"{c.name} saw a different state {m['seq']}"
    for c in everybody:
        await c.close()
