"""Building shortage: the bank has one house (hotel) left and two players can build, so the one
Alice asks for in her title deed is auctioned; she wins it in the auction panel and places it from
the deed.

Alice plays in the browser. Bob is a scripted player on a plain WebSocket: he buys his lots, trades
Alice what completes her group and builds 31 houses (10 hotels), which would take the browser
minutes of clicking.
"""
from selenium.webdriver.common.by import By

from helpers import (assert_no_console_errors, click, create_game, css, find, gateway_args, start_game, text_of, wait,
                     wait_attribute, wait_text)

# Turns in order, each a list of rolls (die, die, square landed on); every lot landed on is bought
# ($10,000 starting cash). The hotel game plays two more turns, for the brown lots.
HOUSE_ROUTE = [
    ("alice", [(2, 4, 6)]), ("bob", [(3, 5, 8)]), ("alice", [(1, 2, 9)]), ("bob", [(1, 2, 11)]),
    ("alice", [(1, 3, 13)]), ("bob", [(1, 2, 14)]), ("alice", [(1, 2, 16)]), ("bob", [(1, 3, 18)]),
    ("alice", [(1, 2, 19)]), ("bob", [(4, 6, 28)]), ("alice", [(4, 6, 29)]), ("bob", [(4, 5, 37)]),
    ("alice", [(4, 6, 39)]),
]
HOTEL_ROUTE = HOUSE_ROUTE + [("bob", [(2, 4, 3)]), ("alice", [(1, 1, 1), (1, 2, 4)])]  # 4: Income Tax
NOT_FOR_SALE = {4}
BROWN, LIGHT_BLUE, PINK, ORANGE, DARK_BLUE = [1, 3], [6, 8, 9], [11, 13, 14], [16, 18, 19], [37, 39]


def script(route):
    return [die for _, rolls in route for roll in rolls for die in roll[:2]]


def start(stack, make_browser, make_scripted, route):
    """Alice (browser) and Bob (scripted) play the route's turns; returns them."""
    alice, game = create_game(stack, make_browser, starting_cash=10000)
    bob = make_scripted(stack, 1, "bob")
    bob.ok("join", game=game, name="Bob")
    start_game(alice)
    for who, rolls in route:
        if who == "bob":
            bob.wait_turn()
        for _, _, square in rolls:
            if who == "alice":
                click(alice, "roll")
                wait_attribute(alice, "token-p1", "data-position", str(square))
                if square not in NOT_FOR_SALE:
                    click(alice, "buy")
                    wait_attribute(alice, f"square-{square}", "data-owner", "p1")
            else:
                bob.ok("roll")
                assert bob.state["players"][1]["position"] == square
                if square not in NOT_FOR_SALE:
                    bob.ok("buy")
        if who == "alice":
            click(alice, "end-turn")
        else:
            bob.ok("end_turn")
    return alice, bob


def trade(alice, bob, give, get):
    """Bob offers Alice lots for lots; she accepts in her page."""
    bob.ok("trade_propose", to="p1", give={"cash": 0, "properties": give, "jail_cards": 0},
           get={"cash": 0, "properties": get, "jail_cards": 0})
    click(alice, "trade-accept-t1")
    wait_attribute(alice, f"square-{give[0]}", "data-owner", "p1")
    bob.wait_for(lambda s: all(s["squares"][k]["owner"] == "p2" for k in get), "Bob's new lots")


def drawn(driver, square, building):
    """How many houses (hotels) the board draws on the square."""
    return len(driver.find_elements(By.CSS_SELECTOR, f'{css(f"square-{square}")} .buildings .{building}'))


def deed_refuses(driver, square, testid, reason):
    """The title deed offers the action disabled, saying why (the rules would refuse it now)."""
    click(driver, f"square-{square}")
    wait(driver, lambda d: not find(d, testid).is_enabled() and reason in find(d, testid).text,
         f"{testid} on square {square} disabled: {reason} (now {text_of(driver, testid)!r})")
    click(driver, "square-close")


def win_auction(alice, bob, amount, kind):
    """Alice bids in the auction panel, Bob passes: she must place what she won."""
    bid = wait(alice, lambda d: find(d, "bid-input"), "the bid input")
    bid.clear()
    bid.send_keys(str(amount))
    click(alice, "bid")
    bob.wait_for(lambda s: s["auction"]["high_bidder"] == "p1", "Alice's bid")
    bob.ok("pass")
    state = bob.wait_for(lambda s: s["turn_stage"] == "placement", "the placement step")
    assert state["placement"] == {"player": "p1", "kind": kind}
    wait(alice, lambda d: not find(d, "auction-panel").is_displayed(), "the auction to end")
    wait(alice, lambda d: f"You won a {kind}" in find(d, "actions").text, "the placement notice")


def test_a_house_short_in_the_bank_is_auctioned_and_the_winner_places_it(make_stack, make_browser, make_scripted):
    # The scripted player sends its set-up faster than the default 20 messages per second.
    stack = make_stack(dice=script(HOUSE_ROUTE), gateway_args=[*gateway_args(), "--rate-limit", "500"])
    alice, bob = start(stack, make_browser, make_scripted, HOUSE_ROUTE)
    # Tennessee Avenue completes Alice's orange group; Bob completes light blue, pink and dark blue.
    trade(alice, bob, give=[18], get=[6, 9, 13, 39])

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
    win_auction(alice, bob, 25, "house")
    assert bob.request("build", square=39)["code"] == "must_place_building"  # nothing else meanwhile
    deed_refuses(alice, 29, "square-mortgage", "Place the house you won first")
    wait_text(alice, "cash-p1", f"${cash - 25:,}")

    # She places it from the deed of St. James Place: no further charge, the board shows the house.
    click(alice, "square-16")
    wait_text(alice, "square-build", "Place the house here")
    click(alice, "square-build")
    wait_attribute(alice, "square-16", "data-houses", "1")
    assert drawn(alice, 16, "house") == 1
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


def test_a_hotel_short_in_the_bank_is_auctioned_and_the_winner_places_it(make_stack, make_browser, make_scripted):
    stack = make_stack(dice=script(HOTEL_ROUTE), gateway_args=[*gateway_args(), "--rate-limit", "500"])
    alice, bob = start(stack, make_browser, make_scripted, HOTEL_ROUTE)
    # Baltic Avenue completes Alice's brown group; Bob gets light blue, pink, orange and dark blue.
    trade(alice, bob, give=[3], get=[6, 9, 13, 16, 19, 39])

    # Alice builds four houses on each brown lot and a hotel on Mediterranean Avenue (set-up through
    # the page's command function; building from the deed has its own test).
    for square in BROWN * 4 + [1]:
        assert alice.execute_script("return window.__monopoly.command('build', {square: arguments[0]})"
                                    ".then((answer) => answer && answer.type)", square) == "ack"
    # Bob: hotels on every lot but Boardwalk, which keeps four houses.
    for group in (LIGHT_BLUE, PINK, ORANGE, DARK_BLUE):
        for square in group * 4 + group[:-1 if group == DARK_BLUE else None]:
            bob.ok("build", square=square)
    assert (bob.state["bank"]["houses"], bob.state["bank"]["hotels"]) == (24, 1)
    wait(alice, lambda d: "Bank: 24 houses · 1 hotel" in find(d, "bank-stock").text, "the bank's last hotel")
    cash = alice.execute_script("return window.__monopoly.state.players[0].cash")

    # Alice asks for a hotel on Baltic Avenue: Bob could build one too, so it goes to auction.
    click(alice, "square-3")
    wait_text(alice, "square-build", "Build hotel $50")
    click(alice, "square-build")
    wait(alice, lambda d: find(d, "auction-panel").is_displayed(), "the auction panel")
    click(alice, "square-close")
    assert "A hotel (building shortage)" in find(alice, "auction-panel").text
    auction = bob.wait_for(lambda s: s["auction"] is not None, "the hotel auction")["auction"]
    assert (auction["kind"], sorted(auction["bidders"])) == ("hotel", ["p1", "p2"])
    win_auction(alice, bob, 5, "hotel")

    # Only a lot with four houses takes it: Mediterranean Avenue has its hotel, Baltic Avenue gets it.
    deed_refuses(alice, 1, "square-build", "Already has a hotel")
    click(alice, "square-3")
    wait_text(alice, "square-build", "Place the hotel here")
    click(alice, "square-build")
    wait_attribute(alice, "square-3", "data-houses", "5")
    assert drawn(alice, 3, "hotel") == 1 and drawn(alice, 3, "house") == 0
    click(alice, "square-close")
    wait(alice, lambda d: "Bank: 28 houses · 0 hotels" in find(d, "bank-stock").text, "the four houses back in the bank")
    state = bob.wait_for(lambda s: s["placement"] is None and s["squares"][3]["houses"] == 5, "the hotel placed")
    assert state["bank"]["hotels"] == 0 and state["players"][0]["cash"] == cash - 5
    wait_text(alice, "cash-p1", f"${cash - 5:,}")
    assert_no_console_errors(alice)
