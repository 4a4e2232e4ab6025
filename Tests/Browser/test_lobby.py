"""The lobby lists running games too: a visitor opens one from the list as a spectator and sees the
players' turn clock (counted down to the state's deadline, not from when the page saw the turn)."""
import re
import time

from selenium.webdriver.common.by import By

from helpers import (ScriptedPlayer, assert_no_console_errors, attribute, click, css, find, gateway_args, open_page,
                     text_of, wait)


def seconds_left(driver):
    match = re.search(r"(\d+) s left", text_of(driver, "turn-clock") or "")
    return int(match.group(1)) if match else None


def test_a_running_game_in_the_lobby_opens_the_spectator_view_with_the_players_turn_clock(make_stack, make_browser):
    stack = make_stack(gateway_args=gateway_args())
    alice = ScriptedPlayer(stack.ws_url(0), "alice")
    bob = ScriptedPlayer(stack.ws_url(0), "bob")
    game = alice.ok("create", name="Alice", options={"turn_seconds": 60})["game"]
    bob.ok("join", game=game, name="Bob")
    carol = make_browser()
    open_page(carol, f"http://127.0.0.1:{stack.gateway_ports[1]}/")
    wait(carol, lambda d: attribute(d, f"game-{game}", "data-phase") == "lobby", "the open game in the list")
    assert find(carol, f"join-{game}").is_enabled()

    alice.ok("start")
    started = time.time()
    deadline = alice.state["turn_deadline"]
    assert abs(deadline - (started + 60)) < 2
    # The list follows the game into play: Watch only (no more seats), with the players' names.
    wait(carol, lambda d: attribute(d, f"game-{game}", "data-phase") == "playing", "the game listed as playing")
    assert "Alice, Bob" in text_of(carol, f"game-{game}")
    assert carol.find_elements(By.CSS_SELECTOR, css(f"join-{game}")) == []

    # A few seconds into the turn, Carol starts watching: her clock shows what is left of it.
    time.sleep(max(0, started + 3 - time.time()))
    click(carol, f"watch-{game}")
    wait(carol, lambda d: find(d, "game-view").is_displayed() and "Turn 1" in find(d, "turn-indicator").text, "the spectator view")
    assert carol.execute_script("return window.__monopoly.player") is None
    assert carol.execute_script("return window.__monopoly.watching") == game
    assert carol.find_elements(By.CSS_SELECTOR, css("roll")) == []  # spectators get no actions
    wait(carol, lambda d: seconds_left(d) is not None, "the turn clock")
    shown, expected = seconds_left(carol), deadline - time.time()
    assert abs(shown - expected) <= 1.5 and shown <= 57, f"the clock shows {shown} s, {expected:.1f} s are left"

    # The game ends (Bob leaves: Alice wins) and leaves the list.
    bob.ok("leave")
    wait(carol, lambda d: find(d, "game-over").is_displayed(), "the game over notice")
    click(carol, "results-close")  # the results screen opens over a finished game
    click(carol, "back-to-lobby")
    wait(carol, lambda d: d.find_element(By.ID, "games-empty").is_displayed(), "an empty list")
    assert carol.find_elements(By.CSS_SELECTOR, css(f"game-{game}")) == []
    assert_no_console_errors(carol)
    alice.close()
    bob.close()
