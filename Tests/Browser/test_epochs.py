"""Epochs in the browser (README, "Epochs"): the page's accept rule (js/version.js) as a table,
run in Chromium, and a page that follows a game through patches takes the states published after a
Redis rollback (a lower seq in a newer epoch) and follows the new epoch's patches."""
import json

from helpers import ScriptedPlayer, assert_no_console_errors, click, find, gateway_args, open_page, wait

MAX = 2 ** 53 - 1

# (message, held, expected): held is what the page shows ({epoch, seq}) or None.
RULE = [
    ({"seq": 1}, None, "next"),
    ({"seq": 8, "epoch": 5}, {"epoch": 5, "seq": 7}, "next"),
    ({"seq": 7, "epoch": 5}, {"epoch": 5, "seq": 7}, "stale"),
    ({"seq": 6, "epoch": 5}, {"epoch": 5, "seq": 7}, "stale"),
    ({"seq": 6, "epoch": 6}, {"epoch": 5, "seq": 7}, "epoch"),  # a rollback: lower seq, newer epoch
    ({"seq": 9, "epoch": 4}, {"epoch": 5, "seq": 7}, "stale"),
    ({"seq": 1, "epoch": 1765000000250}, {"epoch": 0, "seq": 50}, "epoch"),  # the first epoch after states without
    ({"seq": 50}, {"epoch": 1765000000250, "seq": 1}, "stale"),
    ({"seq": 50, "epoch": None}, {"epoch": 0, "seq": 49}, "next"),  # null is no epoch: 0
    ({"seq": 2, "epoch": MAX}, {"epoch": MAX - 1, "seq": 9}, "epoch"),
    # Refused whatever is held: an epoch or seq that is no whole number within bounds.
    ({"seq": 2, "epoch": -1}, None, "refused"),
    ({"seq": 2, "epoch": 1.5}, None, "refused"),
    ({"seq": 2, "epoch": "9"}, None, "refused"),
    ({"seq": 2, "epoch": MAX + 1}, None, "refused"),
    ({"seq": 2, "epoch": 1e300}, {"epoch": 5, "seq": 1}, "refused"),
    ({"seq": 2, "epoch": True}, None, "refused"),
    ({"seq": -1, "epoch": 5}, None, "refused"),
    ({"seq": "3", "epoch": 5}, None, "refused"),
    ({"epoch": 5}, None, "refused"),
]

RUN_RULE = """
const [rule, done] = arguments;
Promise.all([import('/js/version.js'), import('/js/patch.js')]).then(([version, patch]) => {
  const results = rule.map(([message, held]) => version.succession(message, held));
  // A patch applies to its base only in its own epoch.
  const follower = new patch.PatchFollower();
  follower.state({type: 'state', game: 'G', seq: 7, epoch: 5, state: {n: 1}});
  const crossed = follower.patch({type: 'patch', game: 'G', seq: 8, base: 7, epoch: 6, ops: [{op: 'replace', path: '/seq', value: 8}]});
  follower.state({type: 'state', game: 'G', seq: 7, epoch: 5, state: {n: 1}});
  const same = follower.patch({type: 'patch', game: 'G', seq: 8, base: 7, epoch: 5, ops: [{op: 'replace', path: '/seq', value: 8}]});
  done({results, crossed, same: same && same.seq});
}, (error) => done({error: String(error)}));
"""


def test_the_pages_accept_rule_orders_states_by_epoch_then_seq(make_stack, make_browser):
    stack = make_stack(gateways=1, gateway_args=gateway_args())
    driver = make_browser()
    open_page(driver, f"http://127.0.0.1:{stack.gateway_ports[0]}/")
    driver.set_script_timeout(20)
    out = driver.execute_async_script(RUN_RULE, [[message, held] for message, held, _ in RULE])
    assert "error" not in out, out
    for (message, held, expected), got in zip(RULE, out["results"]):
        assert got == expected, f"{json.dumps(message)} after {held}: {got}, expected {expected}"
    assert out["crossed"] is None and out["same"] == 8
    assert_no_console_errors(driver)


def test_a_page_takes_the_new_epoch_after_a_rollback_and_follows_its_patches(make_stack, make_browser):
    stack = make_stack(dice=[1, 2, 1, 2], gateway_args=gateway_args())
    alice = ScriptedPlayer(stack.ws_url(0), "alice")
    game = alice.ok("create", name="Alice")["game"]
    bob = make_browser()
    open_page(bob, f"http://127.0.0.1:{stack.gateway_ports[1]}/?game={game}")
    find(bob, "name-input").send_keys("Bob")
    click(bob, "invite-join")
    wait(bob, lambda d: d.execute_script("return window.__monopoly.player") == "p2", "Bob's seat")
    n = alice.ok("start")["seq"]
    page = lambda d: d.execute_script("const a = window.__monopoly; return [a.seq, a.epoch, a.state && a.state.squares[3].owner]")  # noqa: E731
    wait(bob, lambda d: page(d)[0] == n, "the started game")
    epoch = page(bob)[1]
    assert epoch > 0
    keys = {name: "monopoly:{" + game + "}:" + name for name in ("snapshot", "last", "seq")}
    saved = {key: stack.redis_cli("GET", key) for key in keys.values()}
    log_length = int(stack.redis_cli("LLEN", "monopoly:{" + game + "}:log"))

    alice.ok("roll")
    alice.ok("buy")
    wait(bob, lambda d: page(d) == [n + 2, epoch, "p1"], "Baltic bought")
    applied = bob.execute_script("return window.__monopoly.conn.patches.applied")

    # Redis goes back to seq n under the running authority.
    for key, value in saved.items():
        stack.redis_cli("SET", key, value)
    stack.redis_cli("LTRIM", "monopoly:{" + game + "}:log", "0", str(log_length - 1))
    # The end of the turn alice sees: its commit finds Redis older, the game is loaded again and
    # the command dropped (never applied). After its acknowledgement timeout the gateway sends it
    # once more (9d7e0d3), and the reloaded game (back at seq n, before the roll) refuses it.
    stale = alice.request("end_turn", timeout=15)
    assert stale["type"] == "error" and stale["code"] == "must_roll", stale
    answer = alice.request("roll")
    assert answer["type"] == "ack" and answer["seq"] == n + 1, answer
    wait(bob, lambda d: page(d)[0] == n + 1 and page(d)[1] > epoch, "the new epoch's first state")
    assert page(bob)[2] is None  # the page shows what Redis kept: Baltic is nobody's again
    new_epoch = page(bob)[1]
    alice.ok("buy")
    wait(bob, lambda d: page(d) == [n + 2, new_epoch, "p1"], "Baltic bought in the new epoch")
    assert bob.execute_script("return window.__monopoly.conn.patches.applied") > applied  # the chain started again
    assert_no_console_errors(bob)
    alice.close()
