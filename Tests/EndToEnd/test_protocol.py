"""Bad input at the gateway: answered with errors, the connection stays open, nothing reaches Redis."""
import asyncio
import json
import time
import urllib.error
import urllib.request

import websockets

from client import GameClient
from conftest import Observer


def test_invalid_json_unknown_types_and_bad_game_ids_get_errors_and_the_connection_stays_open(make_stack):
    stack = make_stack()

    async def scenario():
        client = await GameClient.connect(stack.ws_url(0), "client")
        for raw, code in [("{nope", "invalid_json"), ("[]", "invalid_json"), ('{"type":"teleport"}', "unknown_type"),
                          ('{"id":1}', "bad_request"), ('{"type":"join","game":"*","name":"x"}', "invalid_game"),
                          ('{"type":"spectate","game":"AB}:cmd"}', "invalid_game"),
                          ('{"type":"create","name":""}', "bad_request")]:
            await client.send_raw(raw)
        await asyncio.sleep(0.3)
        assert [e["code"] for e in client.errors] == ["invalid_json", "invalid_json", "unknown_type", "bad_request",
                                                      "invalid_game", "invalid_game", "bad_request"]
        assert all("re" in e for e in client.errors)
        # Still open and usable.
        await client.rejected("spectate", "unknown_game", game="NOSUCH")
        lobby = await client.request("lobby")
        assert lobby["type"] == "lobby" and lobby["games"] == []
        await client.close()

    asyncio.run(scenario())


def test_binary_frames_are_refused_with_1003(make_stack):
    stack = make_stack()

    async def scenario():
        async with websockets.connect(stack.ws_url(0)) as ws:
            await ws.send(b"\x00\x01")
            try:
                await asyncio.wait_for(ws.recv(), 5)
            except websockets.ConnectionClosed as closed:
                assert closed.rcvd.code == 1003
            else:
                raise AssertionError("the connection stayed open")

    asyncio.run(scenario())


def test_flooding_a_connection_is_rate_limited(make_stack):
    stack = make_stack(gateway_args=("--rate-limit", "5"))

    async def scenario():
        client = await GameClient.connect(stack.ws_url(0), "flood")
        for _ in range(30):
            await client.send_raw(json.dumps({"type": "lobby"}))
        await asyncio.sleep(0.5)
        assert any(e["code"] == "rate_limited" for e in client.errors)
        await client.close()

    asyncio.run(scenario())


def test_lobby_lists_open_games_and_updates_live(make_stack):
    stack = make_stack()

    async def scenario():
        watcher = await GameClient.connect(stack.ws_url(1), "watcher")
        first = await watcher.request("lobby")
        assert first["games"] == []
        host = await GameClient.connect(stack.ws_url(0), "host")
        game = (await host.ok("create", name="Hosty", options={"max_players": 4}))["game"]
        for _ in range(50):
            lobbies = [m for m in watcher.messages if m["type"] == "lobby" and m["games"]]
            if lobbies:
                break
            await asyncio.sleep(0.1)
        entry = lobbies[-1]["games"][0]
        assert entry == {"game": game, "host": "Hosty", "players": 1, "names": ["Hosty"], "max_players": 4, "phase": "lobby"}
        await host.close()
        await watcher.close()

    asyncio.run(scenario())


def test_welcome_ack_and_lobby_carry_the_gateways_wall_clock(make_stack):
    """`server_time` (seconds since 1970, to the ms) is the gateway's clock when it answered: the
    browser counts the state's deadlines down in it, whatever its own clock says."""
    stack = make_stack()

    async def scenario():
        client = await GameClient.connect(stack.ws_url(0), "clock")
        answers = []
        for type_, fields in (("lobby", {}), ("create", {"name": "Alice", "options": {}}), ("leave", {})):
            before = time.time()
            answer = await client.request(type_, **fields)
            after = time.time()
            answers.append(answer["type"])
            server_time = answer["server_time"]
            assert isinstance(server_time, (int, float)) and round(server_time, 3) == server_time
            # The gateway runs on this machine's clock: it answered between our send and receipt.
            assert before - 0.01 <= server_time <= after + 0.01, f"{type_}: {server_time} not in [{before}, {after}]"
        assert answers == ["lobby", "welcome", "ack"]
        await client.close()

    asyncio.run(scenario())


def test_running_games_stay_listed_until_they_finish_and_moves_do_not_touch_the_list(make_stack):
    stack = make_stack(dice=[1, 2])
    observer = Observer(stack.redis_port)

    async def scenario():
        watcher = await GameClient.connect(stack.ws_url(1), "watcher")
        assert (await watcher.request("lobby"))["games"] == []

        async def listed(predicate, what):
            for _ in range(50):
                lobbies = [m["games"] for m in watcher.messages if m["type"] == "lobby"]
                if lobbies and predicate({g["game"]: g for g in lobbies[-1]}):
                    return {g["game"]: g for g in lobbies[-1]}
                await asyncio.sleep(0.1)
            raise AssertionError(f"the lobby list never showed {what}: {lobbies[-1] if lobbies else None}")

        alice = await GameClient.connect(stack.ws_url(0), "alice")
        bob = await GameClient.connect(stack.ws_url(0), "bob")
        game = (await alice.ok("create", name="Alice"))["game"]
        await bob.ok("join", game=game, name="Bob")
        await alice.ok("start")
        games = await listed(lambda g: g.get(game, {}).get("phase") == "playing", f"{game} playing")
        assert games[game] == {"game": game, "host": "Alice", "players": 2, "names": ["Alice", "Bob"], "max_players": 8, "phase": "playing"}
        # Moves rewrite nothing: no lobby_changed, no new list for lobby watchers. The observer reads
        # Redis on its own thread: count once it has the start's lobby_changed (a CI run counted
        # before it arrived, then found it among the moves').
        for _ in range(100):
            if any(c == "monopoly:lobby" and json.loads(p).get("phase") == "playing" for c, p in observer.messages()):
                break
            await asyncio.sleep(0.05)
        lobby_changes = len([c for c, _ in observer.messages() if c == "monopoly:lobby"])
        lists = len([m for m in watcher.messages if m["type"] == "lobby"])
        for move in ("roll", "buy", "end_turn"):
            await alice.ok(move)
        await bob.wait_state(lambda m: m["cmd"]["type"] == "end_turn")
        await asyncio.sleep(0.3)
        assert len([c for c, _ in observer.messages() if c == "monopoly:lobby"]) == lobby_changes
        assert len([m for m in watcher.messages if m["type"] == "lobby"]) == lists
        # A finished game leaves the list.
        await bob.ok("leave")
        await listed(lambda g: game not in g, f"{game} gone after it finished")
        # So does a lobby everyone left (it used to stay listed with no players).
        carol = await GameClient.connect(stack.ws_url(0), "carol")
        empty = (await carol.ok("create", name="Carol"))["game"]
        await listed(lambda g: empty in g, f"{empty} listed")
        await carol.ok("leave")
        await listed(lambda g: empty not in g, f"{empty} gone after everyone left")
        assert stack.redis_cli("SMEMBERS", "monopoly:games:active") == ""
        for client in (alice, bob, carol, watcher):
            await client.close()

    try:
        asyncio.run(scenario())
    finally:
        observer.close()


def test_a_disconnected_player_keeps_the_seat_and_the_bot_plays_after_the_grace_period(make_stack):
    stack = make_stack(dice=[1, 2, 2, 4, 3, 4], authority_args=("--grace-seconds", "1"))

    async def scenario():
        alice = await GameClient.connect(stack.ws_url(0), "alice")
        bob = await GameClient.connect(stack.ws_url(1), "bob")
        game = (await alice.ok("create", name="Alice"))["game"]
        await bob.ok("join", game=game, name="Bob")
        await alice.ok("start")
        await alice.close()
        gone = await bob.wait_state(lambda m: not m["state"]["players"][0]["connected"])
        assert gone["state"]["current"] == "p1"
        # After the grace period the bot plays p1's turn; the seat stays p1's.
        played = await bob.wait_state(lambda m: m["state"]["current"] == "p2", timeout=10)
        assert played["state"]["players"][0]["position"] == 3
        back = await GameClient.connect(stack.ws_url(1), "alice-back")
        welcome = await back.ok("rejoin", game=game, token=alice.token)
        assert welcome["player"] == "p1"
        await back.wait_state(lambda m: m["state"]["players"][0]["connected"])
        await back.close()
        await bob.close()

    asyncio.run(scenario())


def test_members_leaving_and_entering_a_game_at_once_keep_the_subscription(make_stack):
    stack = make_stack(dice=[1, 2])

    async def scenario():
        alice = await GameClient.connect(stack.ws_url(0), "alice")
        bob = await GameClient.connect(stack.ws_url(0), "bob")
        game = (await alice.ok("create", name="Alice"))["game"]
        await bob.ok("join", game=game, name="Bob")
        await alice.ok("start")
        watchers = [await GameClient.connect(stack.ws_url(1), f"w{i}") for i in range(2)]

        async def toggle(watcher):
            for _ in range(15):  # 31 messages: within the default burst of 40
                await watcher.ok("spectate", game=game)
                await watcher.ok("leave")
            await watcher.ok("spectate", game=game)

        # Two connections on one gateway enter and leave the same game concurrently: the gateway's
        # last UNSUBSCRIBE and next SUBSCRIBE race; the subscription must survive.
        await asyncio.gather(*(toggle(w) for w in watchers))
        answer = await alice.ok("roll")
        for watcher in watchers:
            state = await watcher.wait_seq(answer["seq"])
            assert state["state"]["players"][0]["position"] == 3
        for c in [alice, bob, *watchers]:
            await c.close()

    asyncio.run(scenario())


def test_the_board_is_served_once_as_board_json_and_states_carry_only_what_changes(make_stack):
    stack = make_stack(gateways=1)
    url = f"http://127.0.0.1:{stack.gateway_ports[0]}/board.json"
    with urllib.request.urlopen(url, timeout=5) as r:
        etag, cache = r.headers["ETag"], r.headers["Cache-Control"]
        board = json.loads(r.read())
    assert r.headers["Content-Type"] == "application/json" and etag.startswith('"') and cache == "no-cache"
    squares = board["squares"]
    assert len(squares) == 40 and [s["index"] for s in squares] == list(range(40))
    assert squares[39] == {"group": "dark_blue", "house_cost": 200, "index": 39, "kind": "property", "mortgage": 200,
                           "name": "Boardwalk", "price": 400, "rents": [50, 200, 600, 1400, 1700, 2000]}
    assert squares[5]["rents"] == [25, 50, 100, 200] and squares[0]["group"] is None
    # Revalidation by the strong ETag costs no body.
    try:
        urllib.request.urlopen(urllib.request.Request(url, headers={"If-None-Match": etag}), timeout=5)
        raise AssertionError("expected 304")
    except urllib.error.HTTPError as e:
        assert e.code == 304

    async def scenario():
        host = await GameClient.connect(stack.ws_url(0), "host")
        await host.ok("create", name="Hosty", options={})
        state = (await host.wait_state(lambda m: True, timeout=30))["state"]
        assert state["squares"][39] == {"houses": 0, "index": 39, "mortgaged": False, "owner": None}
        await host.close()

    asyncio.run(scenario())
