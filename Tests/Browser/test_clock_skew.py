"""A browser whose clock is off still shows the true time left on the turn clock: it counts the
state's deadlines down in the gateways' time (`server_time` in welcome, ack and lobby), not its own."""
import re
import time

from helpers import ScriptedPlayer, assert_no_console_errors, click, find, gateway_args, open_page, text_of, wait

# Runs before the app's scripts on every page: Date.now() and new Date() are off by SKEW_MS.
SKEWED_DATE = """
(() => {
  const skew = %d;
  const RealDate = Date;
  const realNow = RealDate.now.bind(RealDate);
  class SkewedDate extends RealDate {
    constructor(...args) { if (args.length === 0) super(realNow() + skew); else super(...args); }
    static now() { return realNow() + skew; }
  }
  window.Date = SkewedDate;
})();
"""


def skewed_browser(make_browser, seconds):
    driver = make_browser()
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": SKEWED_DATE % (seconds * 1000)})
    return driver


def seconds_left(driver):
    match = re.search(r"(\d+) s left", text_of(driver, "turn-clock") or "")
    return int(match.group(1)) if match else None


def assert_true_time_left(driver, deadline, who):
    wait(driver, lambda d: seconds_left(d) is not None, f"{who}'s turn clock")
    shown, expected = seconds_left(driver), deadline - time.time()
    assert abs(shown - expected) <= 1.5, f"{who}'s clock shows {shown} s, {expected:.1f} s are left"


def test_the_turn_clock_shows_the_true_time_left_in_a_browser_whose_clock_is_off(make_stack, make_browser):
    stack = make_stack(gateway_args=gateway_args())
    alice = ScriptedPlayer(stack.ws_url(0), "alice")
    game = alice.ok("create", name="Alice", options={"turn_seconds": 60})["game"]
    # Bob's browser is 90 s ahead (it used to show 0 s left), Carol's 90 s behind (it used to show
    # the clock's full length, whatever was left).
    bob = skewed_browser(make_browser, 90)
    open_page(bob, f"http://127.0.0.1:{stack.gateway_ports[1]}/?game={game}")
    assert abs(bob.execute_script("return Date.now() / 1000") - time.time() - 90) < 2
    assert abs(bob.execute_script("return new Date().getTime() / 1000") - time.time() - 90) < 2
    find(bob, "name-input").send_keys("Bob")
    click(bob, "invite-join")
    wait(bob, lambda d: "p2" in d.execute_script("return String(window.__monopoly.player)"), "Bob's seat")

    alice.ok("start")
    deadline = alice.state["turn_deadline"]
    assert abs(deadline - (time.time() + 60)) < 2
    wait(bob, lambda d: "Turn 1" in find(d, "turn-indicator").text, "the game to start")
    assert_true_time_left(bob, deadline, "Bob")

    # A few seconds into the turn, Carol starts watching from the other gateway.
    time.sleep(max(0, deadline - 60 + 3 - time.time()))
    carol = skewed_browser(make_browser, -90)
    open_page(carol, f"http://127.0.0.1:{stack.gateway_ports[0]}/")
    assert abs(carol.execute_script("return Date.now() / 1000") - time.time() + 90) < 2
    click(carol, f"watch-{game}")
    wait(carol, lambda d: "Turn 1" in find(d, "turn-indicator").text, "the spectator view")
    assert_true_time_left(carol, deadline, "Carol")
    assert seconds_left(carol) <= 58

    # Both keep counting down in step with the real time.
    time.sleep(2)
    assert_true_time_left(bob, deadline, "Bob")
    assert_true_time_left(carol, deadline, "Carol")
    assert_no_console_errors(bob, carol)
    alice.close()
