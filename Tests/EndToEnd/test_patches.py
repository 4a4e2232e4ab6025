"""State patches end to end: clients that ask for them follow a game through `patch` messages and
see exactly what clients that take whole states see; a member whose chain a patch does not continue
(a base that is not its last seq) gets the whole state instead."""
import asyncio
import json

from client import GameClient


async def play_host_turns(host, until_seq, timeout=90):
    """The host plays its own turns (bots play theirs) until the game has passed `until_seq` and
    waits for the host: then nothing moves until the host does."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        assert loop.time() < deadline, f"the game stopped at seq {host.seq}"
        state = host.state
        ours = state["phase"] == "playing" and host.player in state["awaiting"]
        if ours and host.seq >= until_seq:
            return
        action = {"roll": "roll", "buy": "decline", "end_turn": "end_turn", "jail_fine": "jail_pay"}.get(state["turn_stage"]) if ours else None
        if action:
            answer = await host.request(action, timeout=30)
            assert answer["type"] == "ack", answer
            await host.wait_seq(answer["seq"], timeout=30)
        else:
            await host.wait_state(lambda m, seq=host.seq: m["seq"] > seq, timeout=30)


def test_patch_takers_follow_a_game_through_patches_and_a_broken_chain_gets_the_whole_state(make_stack):
    stack = make_stack(gateways=2)

    async def scenario():
        host = await GameClient.connect(stack.ws_url(0), "host")
        game = (await host.ok("create", name="Hosty", options={"auctions": False, "starting_cash": 100000}))["game"]
        for _ in range(3):
            await host.ok("add_bot")
        # Spectators on both gateways: two take patches, one takes whole states.
        plain = await GameClient.connect(stack.ws_url(1), "plain")
        await plain.ok("spectate", game=game)
        takers = [await GameClient.connect(stack.ws_url(k), f"taker{k}") for k in (0, 1)]
        for taker in takers:
            await taker.ok("spectate", game=game, patches=True)
        await host.ok("start")
        await host.wait_state(lambda m: m["state"]["phase"] == "playing", timeout=30)
        await play_host_turns(host, until_seq=host.seq + 40)
        seq = host.seq
        for client in [plain] + takers:
            await client.wait_seq(seq, timeout=30)

        # A spectator that enters now gets the newest state whole, then patches.
        late = await GameClient.connect(stack.ws_url(1), "late")
        await late.ok("spectate", game=game, patches=True)
        await late.wait_seq(seq, timeout=30)
        await play_host_turns(host, until_seq=seq + 10)
        seq = host.seq
        for client in [plain, late] + takers:
            await client.wait_seq(seq, timeout=30)

        whole = {m["seq"]: m for m in plain.states}
        for taker in takers + [late]:
            assert taker.broken_chains == [] and len(taker.patches) >= 8, \
                f"{taker.name}: {[(m['type'], m.get('seq'), m.get('base')) for m in taker.messages]}"
            for patch in taker.patches:
                assert patch["base"] == patch["seq"] - 1 and isinstance(patch["ops"], list)
            # What each made of its patches is, value for value, what the plain spectator got whole.
            for made in taker.states:
                if made["seq"] in whole:
                    assert made == whole[made["seq"]], f"{taker.name} at seq {made['seq']}"
        entered = [m["type"] for m in late.messages if m["type"] in ("state", "patch")]
        assert entered[0] == "state" and "patch" in entered[1:]
        # Patches are smaller than the states they make.
        sizes = [len(json.dumps(p, separators=(",", ":"))) for p in takers[0].patches]
        states = [len(json.dumps(whole[p["seq"]], separators=(",", ":"))) for p in takers[0].patches if p["seq"] in whole]
        assert sum(sizes) < sum(states) / 2

        # The game waits for the host now. A patch whose base is not the members' last seq (seq - 1
        # where they are at seq) must not reach them: they get the state it names, whole.
        last = json.loads(stack.redis_cli("GET", f"monopoly:{{{game}}}:last"))
        assert last["seq"] == seq
        channel = f"monopoly:{{{game}}}:state"

        def publish(base, to_seq):
            patch = {"type": "patch", "game": game, "seq": to_seq, "base": base, "epoch": last["epoch"],
                     "ops": [{"op": "replace", "path": "/seq", "value": to_seq}]}
            stack.redis_cli("PUBLISH", channel, json.dumps(patch, separators=(",", ":")))
            state = dict(last, seq=to_seq)
            stack.redis_cli("PUBLISH", channel, json.dumps(state, separators=(",", ":"), sort_keys=True, ensure_ascii=False))

        publish(base=seq - 1, to_seq=seq + 1)
        for taker in takers + [late]:
            await taker.wait_seq(seq + 1, timeout=30)
            assert [m["type"] for m in taker.messages if m["type"] in ("state", "patch")][-1] == "state", taker.name
        # The chain goes on from there: a patch based on seq + 1 reaches them as a patch.
        publish(base=seq + 1, to_seq=seq + 2)
        for taker in takers + [late]:
            await taker.wait_seq(seq + 2, timeout=30)
            assert taker.messages[-1]["type"] == "patch" and taker.broken_chains == [], taker.name
            assert taker.states[-1] == dict(last, seq=seq + 2)
        await plain.wait_seq(seq + 2, timeout=30)
        assert [m["type"] for m in plain.messages if m["type"] in ("state", "patch")][-2:] == ["state", "state"]
        for client in [host, plain, late] + takers:
            await client.close()

    asyncio.run(scenario())
