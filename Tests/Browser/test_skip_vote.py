"""Voting to skip an absent player's turn in the browser: when the current player is shown
disconnected, the others get a "Vote to skip" button with the count, disabled once they voted, and
the absent player's row shows the vote; two of three votes hand the turn to the bot at once."""
from helpers import ScriptedPlayer, assert_no_console_errors, attribute, click, find, gateway_args, open_page, wait

SEATS = {"Bob": "p2", "Carol": "p3"}


def join(make_browser, stack, gateway, game, name):
    driver = make_browser()
    open_page(driver, f"http://127.0.0.1:{stack.gateway_ports[gateway]}/?game={game}")
    find(driver, "name-input").send_keys(name)
    click(driver, "invite-join")
    wait(driver, lambda d: d.execute_script("return String(window.__monopoly.player)") == SEATS[name], f"{name}'s seat")
    return driver


def shown(driver, testid):
    """The element's text as written (the badges are upper-cased by CSS), or None."""
    return attribute(driver, testid, "textContent")


def test_two_players_vote_in_the_browser_and_the_bot_plays_the_absent_players_turn(make_stack, make_browser):
    # No turn clock and an hour of grace: only the vote hands the turn to the bot.
    stack = make_stack(dice=[1, 2], gateway_args=gateway_args(), authority_args=("--grace-seconds", "3600"))
    alice = ScriptedPlayer(stack.ws_url(0), "alice")
    game = alice.ok("create", name="Alice")["game"]
    bob = join(make_browser, stack, 1, game, "Bob")
    carol = join(make_browser, stack, 0, game, "Carol")
    alice.ok("start")
    for driver in (bob, carol):
        wait(driver, lambda d: "Turn 1" in find(d, "turn-indicator").text, "the game to start")
        assert not driver.find_elements("css selector", '[data-testid="vote-skip"]')  # Alice is here

    alice.close()
    for driver in (bob, carol):
        wait(driver, lambda d: shown(d, "offline-p1") == "offline", "Alice shown offline")
        wait(driver, lambda d: (shown(d, "vote-skip") or "").strip() == "Vote to skip (0 of 2)", "the vote button with its count")
        assert shown(driver, "skip-votes-p1") == "skip 0/2"

    click(bob, "vote-skip")
    wait(bob, lambda d: attribute(d, "vote-skip", "disabled") is not None and (shown(d, "vote-skip") or "").strip() == "Voted (1 of 2)",
         "Bob's button disabled once he voted")
    wait(carol, lambda d: (shown(d, "vote-skip") or "").strip() == "Vote to skip (1 of 2)", "Carol seeing Bob's vote")
    assert shown(carol, "skip-votes-p1") == "skip 1/2"
    assert "Bob voted to skip Alice's turn" in find(carol, "log").text
    assert "Turn 1" in find(bob, "turn-indicator").text  # still Alice's turn: 1 vote of the 2 needed

    click(carol, "vote-skip")
    # The bot plays Alice's turn at once (rolls 1+2, buys Baltic Avenue, ends it): Bob's turn.
    wait(bob, lambda d: "Your turn" in find(d, "turn-indicator").text, "Bob's turn after the bot played Alice's", timeout=30)
    wait(carol, lambda d: "Bob's turn" in find(d, "turn-indicator").text, "Bob's turn in Carol's view", timeout=30)
    for driver in (bob, carol):
        log = find(driver, "log").text
        assert "The vote passed: the bot plays Alice's turn now." in log
        assert attribute(driver, "square-3", "data-owner") == "p1"
        assert not driver.find_elements("css selector", '[data-testid="vote-skip"]')
        assert not driver.find_elements("css selector", '[data-testid="skip-votes-p1"]')
        assert shown(driver, "offline-p1") == "offline"
    assert_no_console_errors(bob, carol)
