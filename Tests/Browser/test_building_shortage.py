"""Building shortage: the bank has one house left and two players can build, so the house Alice asks
for in her title deed is auctioned; she wins it in the auction panel and places it from the deed.

Alice plays in the browser. Bob is a scripted player on a plain WebSocket: he buys his lots, trades
Alice the one she lacks and builds 31 houses, which would take the browser minutes of clicking.
"""
from selenium.webdriver.common.by import By

from helpers import (assert_no_console_errors, click, create_game, find, gateway_args, play_turn, start_game,
                     text_of, wait, wait_attribute, wait_text)

# Alice and Bob take turns; each buys the lot he lands on ($10,000 starting cash).
ALICE_ROLLS = [(2, 4, 6), (1, 2, 9), (1, 3, 13), (1, 2, 16), (1, 2, 19), (4, 6, 29), (4, 6, 39)]
BOB_ROLLS = [(3, 5, 8), (1, 2, 11), (1, 2, 14), (1, 3, 18), (4, 6, 28), (4, 5, 37)]
LIGHT_BLUE, PINK, DARK_BLUE, ORANGE = [6, 8, 9], [11, 13, 14], [37, 39], [16, 18, 19]


def script():
    dice = []
    for turn in range(len(ALICE_ROLLS)):
        dice += ALICE_ROLLS[turn][:2]
        if turn < len(BOB_ROLLS):
            dice += BOB_ROLLS[turn][:2]
    return dice


def deed_refuses(driver, square, testid, reason):
    """The title deed offers the action disabled, saying why (the rules would refuse it now)."""
    click(driver, f"square-{square}")
    wait(driver, lambda d: not find(d, testid).is_enabled() and reason in find(d, testid).text,
         f"{testid} on square {square} disabled: {reason} (now {text_of(driver, testid)!r})")
    click(driver, "square-close")


def test_a_house_short_in_the_bank_is_auctioned_and_the_winner_places_it(make_stack, make_browser, make_scripted):
    # The scripted player sends its set-up faster than the default 20 messages per second.
    stack = make_stack(dice=script(), gateway_args=[*gateway_args(), "--rate-limit", "500"])
    alice, game = create_game(stack, make_browser, starting_cash=10000)
    bob = make_scripted(stack, 1, "bob")
    bob.ok("join", game=game, name="Bob")
    start_game(alice)

    for turn, (a, b, square) in enumerate(ALICE_ROLLS):
        play_turn(alice, [], "p1", square)
        if turn < len(BOB_ROLLS):
            bob.wait_turn()
            bob.ok("roll")
            assert bob.state["players"][1]["position"] == BOB_ROLLS[turn][2]
            bob.ok("buy")
            bob.ok("end_turn")

    # Bob offers Tennessee Avenue for the lots that complete his groups; Alice accepts in her page.
    bob.ok("trade_propose", to="p1", give={"cash": 0, "properties": [18], "jail_cards": 0},
           get={"cash": 0, "properties": [6, 9, 13, 39], "jail_cards": 0})
    click(alice, "trade-accept-t1")
    wait_attribute(alice, "square-18", "data-owner", "p1")
    bob.wait_for(lambda s: all(s["squares"][k]["owner"] == "p2" for k in LIGHT_BLUE + PINK + DARK_BLUE), "Bob's groups")

    # Bob builds evenly until the bank has one house left: 12 + 12 + 7.
    for level in range(1, 5):
        for square in LIGHT_BLUE + PINK + DARK_BLUE:
            if not (square == 39 and level == 4):
                bob.ok("build", square=square)
    assert bob.state["bank"]["houses"] == 1
    wait(alice, lambda d: "Bank: 1 house ·" in find(d, "bank-stock").text, "the bank's last house on the board")
    wait_attribute(alice, "square-39", "data-houses", "3")
    cash = alice.execute_script("return window.__monopoly.state.players[0].cash")

    # Alice asks for a house on St. James Place: Bob could build too, so it goes to auction.
    click(alice, "square-16")
    wait(alice, lambda d: find(d, "square-dialog").is_displayed(), "the title deed")
    click(alice, "square-build")
    wait(alice, lambda d: find(d, "auction-panel").is_displayed(), "the auction panel")
    click(alice, "square-close")
    assert "A house (building shortage)" in find(alice, "auction-panel").text
    deed_refuses(alice, 29, "square-mortgage", "Not during the building auction")
    wait(alice, lambda d: d.find_elements(By.CSS_SELECTOR, '[data-testid="bidder-p2"]'), "Bob among the bidders")
    auction = bob.wait_for(lambda s: s["auction"] is not None, "the house auction")["auction"]
    assert (auction["kind"], auction["square"], sorted(auction["bidders"])) == ("house", None, ["p1", "p2"])

    # Alice bids $25 in the panel, Bob passes: she wins the house and must place it.
    bid = wait(alice, lambda d: find(d, "bid-input"), "the bid input")
    bid.clear()
    bid.send_keys("25")
    click(alice, "bid")
    bob.wait_for(lambda s: s["auction"]["high_bidder"] == "p1", "Alice's bid")
    bob.ok("pass")
    state = bob.wait_for(lambda s: s["turn_stage"] == "placement", "the placement step")
    assert state["placement"] == {"player": "p1", "kind": "house"}
    wait(alice, lambda d: not find(d, "auction-panel").is_displayed(), "the auction to end")
    wait(alice, lambda d: "You won a house" in find(d, "actions").text, "the placement notice")
    assert bob.request("build", square=39)["code"] == "must_place_building"  # nothing else meanwhile
    deed_refuses(alice, 29, "square-mortgage", "Place the house you won first")
    wait_text(alice, "cash-p1", f"${cash - 25:,}")

    # She places it from the deed of St. James Place: no further charge, the board shows the house.
    click(alice, "square-16")
    wait_text(alice, "square-build", "Place the house here")
    click(alice, "square-build")
    wait_attribute(alice, "square-16", "data-houses", "1")
    click(alice, "square-close")
    wait(alice, lambda d: "Bank: 0 houses ·" in find(d, "bank-stock").text, "the bank out of houses")
    state = bob.wait_for(lambda s: s["placement"] is None and s["squares"][16]["houses"] == 1, "the house placed")
    assert state["turn_stage"] == "roll" and state["bank"]["houses"] == 0
    assert state["players"][0]["cash"] == cash - 25
    assert text_of(alice, "cash-p1") == f"${cash - 25:,}"
    assert "You won a house" not in find(alice, "actions").text

    # Bob sells a house: one in the bank again. Alice asks for one on Tennessee Avenue, Bob wins it
    # this time; until he has placed it, Alice's deeds refuse building and mortgaging.
    bob.ok("sell", square=14)
    wait(alice, lambda d: "Bank: 1 house ·" in find(d, "bank-stock").text, "the house back in the bank")
    click(alice, "square-18")
    click(alice, "square-build")
    wait(alice, lambda d: find(d, "auction-panel").is_displayed(), "the second auction")
    click(alice, "square-close")
    bob.wait_for(lambda s: s["auction"] is not None, "the second auction")
    bob.ok("bid", amount=30)
    wait(alice, lambda d: "High bid $30 by Bob" in find(d, "auction-high").text, "Bob's bid at Alice's")
    click(alice, "pass")
    wait(alice, lambda d: "Waiting for Bob to place a building" in find(d, "actions").text, "Bob's placement")
    deed_refuses(alice, 18, "square-build", "Bob is placing a house")
    deed_refuses(alice, 29, "square-mortgage", "Bob is placing a house")
    bob.ok("build", square=14)
    wait_attribute(alice, "square-14", "data-houses", "4")
    wait(alice, lambda d: "Bank: 0 houses ·" in find(d, "bank-stock").text, "the bank out of houses again")
    deed_refuses(alice, 18, "square-build", "The bank is out of buildings")
    assert text_of(alice, "cash-p1") == f"${cash - 25:,}"
    assert_no_console_errors(alice)
