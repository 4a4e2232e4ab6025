"""Two players in two headless Chromium sessions, one per gateway, play a scripted game.

Alice uses gateway 1, Bob gateway 2. Bob watches the live lobby list, joins through the invite
link, the host starts, and they play turns with the authority's dice script: purchases, rent, an
auction and chat are seen by both; Alice refreshes her page mid-game and keeps her seat.
"""
from selenium.webdriver.common.by import By

from conftest import ARTIFACTS
from helpers import (Console, assert_no_console_errors, attribute, both, click, css, find, gateway_args, open_page,
                     play_turn, start_two_player_game, text_of, wait, wait_attribute, wait_text)
from stack import wait_for_port

SCRIPT = [
    1, 2,   # Alice: GO -> 3 Baltic Avenue, buys ($60)
    2, 4,   # Bob: GO -> 6 Oriental Avenue, buys ($100)
    1, 2,   # Alice: 3 -> 6 Oriental Avenue, pays Bob $6 rent (later she buys it from him by trade)
    2, 3,   # Bob: 6 -> 11 St. Charles Place, buys ($140)
    3, 4,   # Alice (after a page refresh): 6 -> 13 States Avenue, buys ($140)
    3, 4,   # Bob: 11 -> 18 Tennessee Avenue, sends it to auction: Alice wins it for $10
]


def test_two_browsers_on_two_gateways_play_a_scripted_game(make_stack, make_browser):
    stack = make_stack(dice=SCRIPT, gateway_args=gateway_args())
    alice = make_browser()
    bob = make_browser()
    console = Console()
    url_1 = f"http://127.0.0.1:{stack.gateway_ports[0]}"
    url_2 = f"http://127.0.0.1:{stack.gateway_ports[1]}"

    # Bob waits in the lobby of gateway 2; Alice creates a game on gateway 1.
    open_page(bob, url_2 + "/")
    wait(bob, lambda d: find(d, "lobby-view").is_displayed(), "Bob's lobby")
    wait_attribute(bob, "connection-status", "data-status", "open")
    find(bob, "name-input").send_keys("Bob")

    open_page(alice, url_1 + "/")
    find(alice, "name-input").send_keys("Alice")
    click(alice, "create-game")
    wait(alice, lambda d: find(d, "game-view").is_displayed(), "Alice's game view")
    wait(alice, lambda d: find(d, "share-link").get_attribute("value"), "the invite link")
    link = find(alice, "share-link").get_attribute("value")
    game = text_of(alice, "game-code")
    assert link == f"{url_1}/?game={game}", link
    wait(alice, lambda d: d.find_elements(By.CSS_SELECTOR, css("player-p1")), "Alice in the player list")

    # The open games list is live: the new game appears in Bob's lobby without a reload.
    wait(bob, lambda d: d.find_elements(By.CSS_SELECTOR, css(f"game-{game}")), f"game {game} in Bob's lobby list")

    # Bob follows the invite link (on his own gateway) and joins.
    open_page(bob, link.replace(url_1, url_2))
    wait(bob, lambda d: find(d, "invite-box").is_displayed(), "the invitation")
    assert find(bob, "name-input").get_attribute("value") == "Bob"  # remembered locally
    click(bob, "invite-join")
    wait(bob, lambda d: find(d, "game-view").is_displayed(), "Bob's game view")
    both([alice, bob], lambda d: wait(d, lambda x: x.find_elements(By.CSS_SELECTOR, css("player-p2")), "Bob in the player list"))
    assert not find(bob, "start-game").is_displayed()  # only the host starts

    click(alice, "start-game")
    both([alice, bob], lambda d: wait(d, lambda x: "Turn 1" in find(x, "turn-indicator").text, "the game to start"))
    assert "Your turn" in find(alice, "turn-indicator").text
    assert "Alice" in find(bob, "turn-indicator").text
    both([alice, bob], lambda d: wait_text(d, "cash-p1", "$1,500"))
    assert not bob.find_elements(By.CSS_SELECTOR, css("roll"))  # not Bob's turn: no roll button

    # Alice buys Baltic Avenue; Bob sees the token move, the owner and the cash.
    play_turn(alice, [bob], "p1", 3)
    both([alice, bob], lambda d: wait_text(d, "cash-p1", "$1,440"))

    # Bob buys Oriental Avenue.
    play_turn(bob, [alice], "p2", 6)
    both([alice, bob], lambda d: wait_text(d, "cash-p2", "$1,400"))

    # Alice lands on Oriental Avenue and pays Bob $6 rent.
    play_turn(alice, [bob], "p1", 6, buy=False)
    both([alice, bob], lambda d: wait_text(d, "cash-p1", "$1,434"))
    both([alice, bob], lambda d: wait_text(d, "cash-p2", "$1,406"))
    assert any("rent" in li.text.lower() for li in bob.find_elements(By.CSS_SELECTOR, "#log li"))

    # Bob buys St. Charles Place.
    play_turn(bob, [alice], "p2", 11)
    both([alice, bob], lambda d: wait_text(d, "cash-p2", "$1,266"))

    # Alice refreshes the page: the stored token takes her seat back (a rejoin), nothing is lost.
    console.collect(alice, "alice")
    alice.refresh()
    wait(alice, lambda d: find(d, "game-view").is_displayed(), "Alice back in the game after a refresh")
    wait_text(alice, "cash-p1", "$1,434")
    wait(alice, lambda d: d.find_elements(By.CSS_SELECTOR, css("roll")), "Alice's roll button after the refresh")
    assert text_of(alice, "game-code") == game
    wait(bob, lambda d: any("is back" in li.text for li in d.find_elements(By.CSS_SELECTOR, "#log li")), "Bob to see Alice come back")

    # Alice buys States Avenue.
    play_turn(alice, [bob], "p1", 13)
    both([alice, bob], lambda d: wait_text(d, "cash-p1", "$1,294"))

    # Bob sends Tennessee Avenue to auction; Alice bids $10 in the auction panel, Bob passes.
    click(bob, "roll")
    both([alice, bob], lambda d: wait_attribute(d, "token-p2", "data-position", "18"))
    click(bob, "decline")
    both([alice, bob], lambda d: wait(d, lambda x: find(x, "auction-panel").is_displayed(), "the auction panel"))
    assert find(alice, "auction-timer").text.endswith("s")
    bid_input = wait(alice, lambda d: find(d, "bid-input"), "the bid input")
    bid_input.clear()
    bid_input.send_keys("10")
    click(alice, "bid")
    wait(bob, lambda d: "$10" in find(d, "auction-high").text, "Bob to see Alice's bid")
    click(bob, "pass")
    both([alice, bob], lambda d: wait_attribute(d, "square-18", "data-owner", "p1"))
    both([alice, bob], lambda d: wait_text(d, "cash-p1", "$1,284"))
    assert not find(bob, "auction-panel").is_displayed()

    # Chat reaches the other gateway.
    alice.find_element(By.ID, "tab-chat").click()
    find(alice, "chat-input").send_keys("good game, Bob")
    click(alice, "chat-send")
    bob.find_element(By.ID, "tab-chat").click()
    wait(bob, lambda d: "good game, Bob" in find(d, "chat-list").text, "the chat line at Bob's")
    bob.find_element(By.ID, "tab-log").click()

    # Alice offers Bob $150 for Oriental Avenue in the trade dialog; Bob accepts.
    click(bob, "end-turn")
    wait(alice, lambda d: d.find_elements(By.CSS_SELECTOR, css("roll")), "Alice's turn again")
    click(alice, "open-trade")
    wait(alice, lambda d: find(d, "trade-dialog").is_displayed(), "the trade dialog")
    cash = find(alice, "give-cash")
    cash.clear()
    cash.send_keys("150")
    click(alice, "get-prop-6")
    click(alice, "trade-send")
    wait(alice, lambda d: not find(d, "trade-dialog").is_displayed(), "the trade dialog to close")
    click(bob, "trade-accept-t1")
    both([alice, bob], lambda d: wait_attribute(d, "square-6", "data-owner", "p1"))
    both([alice, bob], lambda d: wait_text(d, "cash-p1", "$1,134"))
    both([alice, bob], lambda d: wait_text(d, "cash-p2", "$1,416"))

    # A rule the client cannot know in advance is refused by the server and shown as a toast.
    alice.execute_script("window.__monopoly.command('end_turn')")
    wait(alice, lambda d: d.find_elements(By.CSS_SELECTOR, css("toast-error")), "an error toast")

    # Both boards agree on every owner.
    owners = lambda d: [attribute(d, f"square-{i}", "data-owner") for i in range(40)]
    assert owners(alice) == owners(bob)
    assert owners(alice)[3] == "p1" and owners(alice)[6] == "p1" and owners(alice)[11] == "p2"

    # The board as players see it, desktop and phone sized.
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    alice.execute_script("document.querySelectorAll('.toast').forEach(t => t.remove())")
    alice.save_screenshot(str(ARTIFACTS / "board.png"))
    find(alice, "board").screenshot(str(ARTIFACTS / "board-only.png"))
    bob.set_window_size(390, 844)
    bob.execute_script("window.scrollTo(0, 0); document.querySelectorAll('.toast').forEach(t => t.remove())")
    wait(bob, lambda d: find(d, "board").size["width"] < 400, "the phone layout")
    square = find(bob, "square-13").rect
    token = find(bob, "token-p1").rect
    assert square["x"] <= token["x"] + token["width"] / 2 <= square["x"] + square["width"], (square, token)
    bob.save_screenshot(str(ARTIFACTS / "board-phone.png"))

    console.collect(alice, "alice")
    console.collect(bob, "bob")
    assert console.severe() == [], console.severe()


def test_a_lost_connection_shows_the_banner_and_rejoins_the_seat(make_stack, make_browser):
    """The gateway Bob uses goes away and comes back: Bob's page shows the reconnecting banner,
    reconnects with backoff and takes his seat back; a spectator on the other gateway watches."""
    stack = make_stack(dice=[1, 2, 2, 4], gateway_args=gateway_args())
    alice = make_browser()
    bob = make_browser()
    watcher = make_browser(900, 1000)
    url_1 = f"http://127.0.0.1:{stack.gateway_ports[0]}"
    url_2 = f"http://127.0.0.1:{stack.gateway_ports[1]}"

    open_page(alice, url_1 + "/")
    find(alice, "name-input").send_keys("Alice")
    click(alice, "create-game")
    wait(alice, lambda d: text_of(d, "game-code"), "the game code")
    game = text_of(alice, "game-code")

    # Bob types the code by hand; the watcher follows the link and chooses to watch.
    open_page(bob, url_2 + "/")
    find(bob, "name-input").send_keys("Bob")
    find(bob, "join-code-input").send_keys(game.lower())
    click(bob, "join-code")
    wait(bob, lambda d: find(d, "game-view").is_displayed(), "Bob's game view")
    click(alice, "start-game")
    open_page(watcher, f"{url_1}/?game={game}")
    click(watcher, "invite-watch")
    wait(watcher, lambda d: "Turn 1" in find(d, "turn-indicator").text, "the watcher to see the game")
    assert not watcher.find_elements(By.CSS_SELECTOR, css("open-trade"))  # spectators get no actions

    click(alice, "roll")
    wait_attribute(watcher, "token-p1", "data-position", "3")
    click(alice, "buy")
    wait_attribute(watcher, "square-3", "data-owner", "p1")

    # Gateway 2 goes down: Bob sees the banner while his page retries with backoff.
    stack.gateways[1].terminate()
    wait(bob, lambda d: find(d, "reconnect-banner").is_displayed(), "the reconnecting banner")
    click(alice, "end-turn")  # the game goes on meanwhile
    wait(watcher, lambda d: "Bob" in find(d, "turn-indicator").text, "Bob's turn at the watcher")
    stack.gateways[1].start()
    wait_for_port(stack.gateway_ports[1])
    stack.wait_for_gateway(1)
    wait(bob, lambda d: not find(d, "reconnect-banner").is_displayed(), "the banner to go away", timeout=30)
    wait(bob, lambda d: d.find_elements(By.CSS_SELECTOR, css("roll")), "Bob's roll button after the reconnect")
    wait_attribute(bob, "square-3", "data-owner", "p1")
    click(bob, "roll")
    wait_attribute(watcher, "token-p2", "data-position", "6")
    wait_attribute(alice, "token-p2", "data-position", "6")

    # Only the failed reconnect attempts may be logged while the gateway was down.
    for who, driver in (("alice", alice), ("watcher", watcher), ("bob", bob)):
        for entry in driver.get_log("browser"):
            if entry.get("level") != "SEVERE":
                continue
            assert who == "bob" and "WebSocket connection to" in entry["message"], f"{who}: {entry}"


def test_building_selling_and_mortgaging_from_the_title_deed(make_stack, make_browser):
    stack = make_stack(dice=[
        2, 4,   # Alice: Oriental Avenue
        1, 2,   # Bob: Baltic Avenue
        1, 1,   # Alice: Vermont Avenue (doubles)
        5, 6,   # Alice: New York Avenue
        2, 4,   # Bob: Connecticut Avenue, which Alice then buys from him by trade
    ], gateway_args=gateway_args())
    alice, bob = start_two_player_game(stack, make_browser)
    for driver, rolls in ((alice, 1), (bob, 1), (alice, 2), (bob, 1)):
        for _ in range(rolls):
            click(driver, "roll")
            click(driver, "buy")
        click(driver, "end-turn")
    wait(alice, lambda d: d.find_elements(By.CSS_SELECTOR, css("roll")), "Alice's turn")
    alice.execute_script("window.__monopoly.command('trade_propose', {to: 'p2', give: {cash: 300}, get: {properties: [9]}})")
    click(bob, "trade-accept-t1")
    both([alice, bob], lambda d: wait_attribute(d, "square-9", "data-owner", "p1"))

    # A house on Oriental Avenue from its title deed; building evenly is explained on the button.
    click(alice, "square-6")
    wait(alice, lambda d: find(d, "square-dialog").is_displayed(), "the title deed")
    click(alice, "square-build")
    both([alice, bob], lambda d: wait_attribute(d, "square-6", "data-houses", "1"))
    wait(alice, lambda d: not find(d, "square-build").is_enabled(), "build to be refused until the group is even")
    assert "evenly" in find(alice, "square-build").text
    click(alice, "square-sell")
    both([alice, bob], lambda d: wait_attribute(d, "square-6", "data-houses", "0"))
    click(alice, "square-close")

    # Mortgage and lift the mortgage on New York Avenue.
    click(alice, "square-19")
    click(alice, "square-mortgage")
    both([alice, bob], lambda d: wait_attribute(d, "square-19", "data-mortgaged", "true"))
    click(alice, "square-unmortgage")
    both([alice, bob], lambda d: wait_attribute(d, "square-19", "data-mortgaged", "false"))
    click(alice, "square-close")
    # Bob may look at Alice's deed but gets no buttons for it.
    click(bob, "square-19")
    wait(bob, lambda d: find(d, "square-dialog").is_displayed(), "the deed at Bob's")
    assert not bob.find_elements(By.CSS_SELECTOR, css("square-mortgage"))
    # Cash: 1500 - 100 - 100 - 200 - 300 (trade) - 50 + 25 (house) + 100 - 110 (mortgage and lift).
    both([alice, bob], lambda d: wait_text(d, "cash-p1", "$765"))
    assert_no_console_errors(alice, bob)


def test_a_debt_offers_raising_cash_then_bankruptcy_ends_the_game(make_stack, make_browser):
    stack = make_stack(dice=[1, 2, 1, 3], gateway_args=gateway_args())
    alice, bob = start_two_player_game(stack, make_browser, starting_cash=100)
    click(alice, "roll")
    click(alice, "buy")          # Baltic Avenue: $40 left
    click(alice, "end-turn")
    click(bob, "roll")           # Income Tax: $200 owed with $100
    wait(bob, lambda d: find(d, "debt-notice").is_displayed(), "the debt notice")
    assert "$200" in find(bob, "debt-notice").text
    wait(alice, lambda d: "raise cash" in find(d, "actions").text, "Alice waiting on Bob's debt")
    click(bob, "bankrupt")
    click(bob, "confirm-yes")    # declared in a dialog, never confirm()
    both([alice, bob], lambda d: wait(d, lambda x: "Alice wins" in find(x, "turn-indicator").text, "the game over"))
    wait(alice, lambda d: find(d, "game-over").is_displayed(), "the game over notice")
    # Back to the lobby from a finished game, with a new game possible right away.
    click(alice, "results-close")  # the results screen opens over a finished game
    click(alice, "back-to-lobby")
    wait(alice, lambda d: find(d, "lobby-view").is_displayed(), "the lobby")
    assert not find(alice, "invite-box").is_displayed()
    click(alice, "create-game")
    wait(alice, lambda d: find(d, "game-view").is_displayed() and find(d, "waiting-room").is_displayed(), "a new game")
    assert_no_console_errors(alice, bob)


def test_the_host_fills_a_seat_with_a_bot_that_plays_its_turns(make_stack, make_browser):
    stack = make_stack(dice=[1, 2, 2, 4], gateway_args=gateway_args())
    alice = make_browser()
    open_page(alice, f"http://127.0.0.1:{stack.gateway_ports[0]}/")
    find(alice, "name-input").send_keys("Alice")
    click(alice, "create-game")
    wait(alice, lambda d: find(d, "waiting-room").is_displayed(), "the waiting room")
    assert not find(alice, "start-game").is_enabled()  # alone: at least two players are needed
    click(alice, "add-bot")
    wait(alice, lambda d: "Bot 1" in find(d, "player-p2").text, "the bot in the player list")
    click(alice, "start-game")
    click(alice, "roll")
    click(alice, "buy")
    click(alice, "end-turn")
    # The bot rolls 2+4 to Oriental Avenue, buys it and ends its turn: Alice's turn again.
    wait_attribute(alice, "token-p2", "data-position", "6")
    wait_attribute(alice, "square-6", "data-owner", "p2", timeout=20)
    wait(alice, lambda d: d.find_elements(By.CSS_SELECTOR, css("roll")), "Alice's turn after the bot's", timeout=20)

    # An invitation to another game does not throw away the seat: the lobby offers the way back.
    open_page(alice, f"http://127.0.0.1:{stack.gateway_ports[0]}/?game=ZZZZZZ")
    wait(alice, lambda d: find(d, "invite-box").is_displayed(), "the other invitation")
    wait(alice, lambda d: find(d, "resume-box").is_displayed(), "the way back to the seat")
    click(alice, "resume-game")
    wait(alice, lambda d: d.find_elements(By.CSS_SELECTOR, css("roll")), "Alice back at her seat")
    assert_no_console_errors(alice)


def test_three_doubles_send_to_jail_and_paying_the_fine_gets_out(make_stack, make_browser):
    stack = make_stack(dice=[
        1, 1,   # Alice: Community Chest, whose first card sends her to GO
        2, 2,   # Alice: Income Tax
        3, 3,   # Alice: third doubles in a row: jail
        1, 2,   # Bob: Baltic Avenue
        2, 3,   # Alice, after paying the fine: 10 -> 15 Pennsylvania Railroad
    ], gateway_args=gateway_args())
    alice, bob = start_two_player_game(stack, make_browser)
    click(alice, "roll")
    wait(alice, lambda d: "Advance to Go" in find(d, "card-flash").text, "the drawn card on the board")
    wait(bob, lambda d: "Advance to Go" in find(d, "card-flash").text, "the drawn card at Bob's")
    click(alice, "roll")
    click(alice, "roll")
    both([alice, bob], lambda d: wait(d, lambda x: x.find_elements(By.CSS_SELECTOR, f'{css("player-p1")} {css("jailed")}'), "Alice in jail"))
    both([alice, bob], lambda d: wait_attribute(d, "token-p1", "data-position", "10"))
    assert "jailed" in find(bob, "token-p1").get_attribute("class")
    click(alice, "end-turn")
    click(bob, "roll")
    click(bob, "buy")
    click(bob, "end-turn")
    wait(alice, lambda d: "in jail" in find(d, "actions").text.lower(), "the jail options")
    assert not alice.find_elements(By.CSS_SELECTOR, css("jail-card"))  # no card held: not offered
    cash = text_of(alice, "cash-p1")
    click(alice, "jail-pay")
    both([alice, bob], lambda d: wait(d, lambda x: not x.find_elements(By.CSS_SELECTOR, f'{css("player-p1")} {css("jailed")}'), "Alice out of jail"))
    assert text_of(bob, "cash-p1") == "$" + f"{int(cash.strip('$').replace(',', '')) - 50:,}"
    click(alice, "roll")
    both([alice, bob], lambda d: wait_attribute(d, "token-p1", "data-position", "15"))
    assert_no_console_errors(alice, bob)
