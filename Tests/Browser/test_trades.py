"""Trades in the browser: a proposal rejected by its recipient, one withdrawn by its proposer, and
mortgaged properties received in a trade or from a bankrupt player (lift the mortgage now, or keep
it and pay the 10%)."""
from selenium.webdriver.common.by import By

from helpers import (assert_no_console_errors, both, click, create_game, css, find, gateway_args, play_turn, start_game,
                     start_two_player_game, text_of, wait, wait_attribute, wait_text)


def propose(alice, give_cash=0, give_props=(), get_cash=0, get_props=()):
    """Alice fills in the trade dialog and sends the offer (to Bob, the only other player)."""
    click(alice, "open-trade")
    wait(alice, lambda d: find(d, "trade-dialog").is_displayed(), "the trade dialog")
    for testid, amount in (("give-cash", give_cash), ("get-cash", get_cash)):
        if amount:
            field = find(alice, testid)
            field.clear()
            field.send_keys(str(amount))
    for square in give_props:
        click(alice, f"give-prop-{square}")
    for square in get_props:
        click(alice, f"get-prop-{square}")
    click(alice, "trade-send")
    wait(alice, lambda d: not find(d, "trade-dialog").is_displayed(), "the trade dialog to close")


def has(driver, testid):
    return bool(driver.find_elements(By.CSS_SELECTOR, css(testid)))


def words(driver, testid):
    """The element's text on one line (the chips of property names are laid out as their own boxes)."""
    return " ".join(find(driver, testid).text.split())


def logged(driver, words):
    return any(words in li.text for li in driver.find_elements(By.CSS_SELECTOR, "#log li"))


def test_a_trade_rejected_by_its_recipient_and_one_withdrawn_by_its_proposer(make_stack, make_browser):
    stack = make_stack(dice=[1, 2, 2, 4], gateway_args=gateway_args())
    alice, bob = start_two_player_game(stack, make_browser)
    play_turn(alice, [bob], "p1", 3)  # Baltic Avenue, $60
    play_turn(bob, [alice], "p2", 6)  # Oriental Avenue, $100
    wait(alice, lambda d: has(d, "roll"), "Alice's turn")

    # Alice offers $100 for Oriental Avenue; Bob sees the offer with its terms and rejects it.
    propose(alice, give_cash=100, get_props=[6])
    wait(bob, lambda d: has(d, "trade-reject-t1"), "the offer at Bob's")
    offer = words(bob, "trade-t1")
    assert "Alice offers Bob $100" in offer and "in exchange for Oriental Avenue" in offer, offer
    assert has(bob, "trade-accept-t1") and not has(bob, "trade-withdraw-t1")
    assert has(alice, "trade-withdraw-t1") and not has(alice, "trade-accept-t1")  # only the recipient accepts
    click(bob, "trade-reject-t1")
    both([alice, bob], lambda d: wait(d, lambda x: not has(x, "trade-t1"), "the rejected offer to go away"))
    both([alice, bob], lambda d: wait(d, lambda x: logged(x, "Bob rejected the trade."), "the rejection in the log"))

    # Alice offers Baltic Avenue for $80, then withdraws it before Bob answers.
    propose(alice, give_props=[3], get_cash=80)
    wait(bob, lambda d: has(d, "trade-accept-t2"), "the second offer at Bob's")
    assert "Alice offers Bob Baltic Avenue in exchange for $80" in words(bob, "trade-t2")
    click(alice, "trade-withdraw-t2")
    both([alice, bob], lambda d: wait(d, lambda x: not has(x, "trade-t2"), "the withdrawn offer to go away"))
    both([alice, bob], lambda d: wait(d, lambda x: logged(x, "Alice withdrew the trade."), "the withdrawal in the log"))
    assert not has(bob, "trades") or find(bob, "trades").text == ""

    # Nothing changed hands: owners and cash are as before either offer.
    for driver in (alice, bob):
        assert driver.execute_script("return window.__monopoly.state.trades") == []
        wait_attribute(driver, "square-3", "data-owner", "p1")
        wait_attribute(driver, "square-6", "data-owner", "p2")
        wait_text(driver, "cash-p1", "$1,440")
        wait_text(driver, "cash-p2", "$1,400")
    assert has(alice, "roll")  # the turn goes on
    assert_no_console_errors(alice, bob)


def test_mortgaged_properties_received_in_a_trade_are_lifted_or_kept(make_stack, make_browser):
    stack = make_stack(dice=[
        1, 2,   # Alice: Baltic Avenue ($60)
        3, 3,   # Bob: Oriental Avenue ($100), doubles
        1, 2,   # Bob: Connecticut Avenue ($120)
    ], gateway_args=gateway_args())
    alice, bob = start_two_player_game(stack, make_browser)
    play_turn(alice, [bob], "p1", 3)
    click(bob, "roll")
    click(bob, "buy")
    both([alice, bob], lambda d: wait_attribute(d, "square-6", "data-owner", "p2"))
    play_turn(bob, [alice], "p2", 9)

    # Bob mortgages both from their title deeds: 1500 - 100 - 120 + 50 + 60.
    for square in (6, 9):
        click(bob, f"square-{square}")
        click(bob, "square-mortgage")
        both([alice, bob], lambda d: wait_attribute(d, f"square-{square}", "data-mortgaged", "true"))
        click(bob, "square-close")
    both([alice, bob], lambda d: wait_text(d, "cash-p2", "$1,390"))

    # Alice buys both for $200; the dialog tells her they are mortgaged.
    wait(alice, lambda d: has(d, "roll"), "Alice's turn")
    click(alice, "open-trade")
    wait(alice, lambda d: "mortgaged" in find(d, "get-prop-6").find_element(By.XPATH, "..").text.lower(), "the mortgaged tag")
    click(alice, "trade-cancel")
    propose(alice, give_cash=200, get_props=[6, 9])
    click(bob, "trade-accept-t1")
    both([alice, bob], lambda d: wait_attribute(d, "square-6", "data-owner", "p1"))
    both([alice, bob], lambda d: wait_attribute(d, "square-9", "data-owner", "p1"))
    both([alice, bob], lambda d: wait_text(d, "cash-p1", "$1,240"))
    both([alice, bob], lambda d: wait_text(d, "cash-p2", "$1,590"))

    # The choice blocks play: Alice gets lift-or-keep for each, and no roll button; Bob waits.
    wait(alice, lambda d: has(d, "lift-6") and has(d, "keep-9"), "the mortgage choices")
    assert text_of(alice, "lift-6") == "Lift mortgage $55" and text_of(alice, "keep-6") == "Keep it, pay $5"
    assert text_of(alice, "lift-9") == "Lift mortgage $66" and text_of(alice, "keep-9") == "Keep it, pay $6"
    assert "You received mortgaged Oriental Avenue" in words(alice, "actions")
    assert not has(alice, "roll")
    wait(bob, lambda d: "Waiting for a mortgage decision" in find(d, "actions").text, "Bob waiting on the decision")
    assert alice.execute_script("return window.__monopoly.state.mortgage_choices") == [
        {"player": "p1", "square": 6}, {"player": "p1", "square": 9}]

    # Lift Oriental Avenue now: $50 + $5.
    click(alice, "lift-6")
    both([alice, bob], lambda d: wait_attribute(d, "square-6", "data-mortgaged", "false"))
    both([alice, bob], lambda d: wait_text(d, "cash-p1", "$1,185"))
    wait(alice, lambda d: not has(d, "lift-6") and has(d, "keep-9"), "only Connecticut Avenue left to decide")
    assert not has(alice, "roll")

    # Keep Connecticut Avenue mortgaged: pay the $6 interest now.
    click(alice, "keep-9")
    both([alice, bob], lambda d: wait_text(d, "cash-p1", "$1,179"))
    both([alice, bob], lambda d: wait_attribute(d, "square-9", "data-mortgaged", "true"))
    wait(alice, lambda d: has(d, "roll"), "the turn to go on")
    assert alice.execute_script("return window.__monopoly.state.mortgage_choices") == []
    assert "Waiting for a mortgage decision" not in find(bob, "actions").text
    # Lifting it later costs the value + 10% again.
    click(alice, "square-9")
    wait_text(alice, "square-unmortgage", "Unmortgage $66")
    click(alice, "square-close")
    assert_no_console_errors(alice, bob)


def test_mortgaged_properties_of_a_bankrupt_player_go_to_the_creditor_who_decides_in_the_title_deeds(
        make_stack, make_browser, make_scripted):
    """Alice plays in the browser; Bob and Carol are scripted players on plain WebSockets. Carol
    mortgages both her lots, gives all her cash to Bob, then owes Alice rent she cannot pay."""
    stack = make_stack(dice=[
        5, 6,   # Alice: St. Charles Place ($140)
        4, 6,   # Bob: just visiting
        3, 3,   # Carol: Oriental Avenue ($100), doubles
        1, 2,   # Carol: Connecticut Avenue ($120)
        4, 5,   # Alice: Free Parking
        4, 6,   # Bob: Free Parking
        1, 1,   # Carol: St. Charles Place, $10 rent to Alice with nothing left
    ], gateway_args=gateway_args())
    alice, game = create_game(stack, make_browser)
    bob = make_scripted(stack, 1, "bob")
    bob.ok("join", game=game, name="Bob")
    carol = make_scripted(stack, 0, "carol")
    carol.ok("join", game=game, name="Carol")
    start_game(alice, players=3)

    play_turn(alice, [], "p1", 11)
    bob.wait_turn()
    bob.ok("roll")
    bob.ok("end_turn")
    carol.wait_turn()
    for _ in range(2):
        carol.ok("roll")
        carol.ok("buy")
    carol.ok("end_turn")
    carol.ok("mortgage", square=6)
    carol.ok("mortgage", square=9)
    carol.ok("trade_propose", to="p2", give={"cash": 1390, "properties": [], "jail_cards": 0},
             get={"cash": 0, "properties": [], "jail_cards": 0})
    bob.ok("trade_accept", trade="t1")
    wait_text(alice, "cash-p3", "$0")

    play_turn(alice, [], "p1", 20, buy=False)
    bob.wait_turn()
    bob.ok("roll")
    bob.ok("end_turn")
    carol.wait_turn()
    carol.ok("roll")
    assert carol.state["debts"] == [{"debtor": "p3", "creditor": "p1", "amount": 10, "reason": "rent for St. Charles Place"}]
    carol.ok("bankrupt")

    # Alice takes over Carol's lots, both mortgaged: she must decide on each before anyone plays on.
    wait(alice, lambda d: "bankrupt" in find(d, "player-p3").text.lower(), "Carol bankrupt in Alice's player list")
    for square in (6, 9):
        wait_attribute(alice, f"square-{square}", "data-owner", "p1")
        wait_attribute(alice, f"square-{square}", "data-mortgaged", "true")
    wait(alice, lambda d: has(d, "lift-6") and has(d, "keep-9"), "the mortgage choices")
    assert alice.execute_script("return window.__monopoly.state.mortgage_choices") == [
        {"player": "p1", "square": 6}, {"player": "p1", "square": 9}]
    assert not has(alice, "roll")
    wait_text(alice, "cash-p1", "$1,360")  # her cash before: the rent died with Carol's $0
    refused = "return window.__monopoly.conn.request('roll').then(() => 'accepted', (e) => e.code)"
    assert alice.execute_script(refused) == "decision_pending"  # nor does the server take a roll

    # From the title deeds: lift Oriental Avenue ($50 + $5), keep Connecticut Avenue ($6 interest).
    click(alice, "square-6")
    wait_text(alice, "square-lift", "Lift mortgage $55")
    assert not has(alice, "square-unmortgage")
    click(alice, "square-lift")
    wait_attribute(alice, "square-6", "data-mortgaged", "false")
    wait_text(alice, "cash-p1", "$1,305")
    wait(alice, lambda d: not has(d, "square-lift"), "the deed without the choice")
    click(alice, "square-close")
    click(alice, "square-9")
    wait_text(alice, "square-keep", "Keep, pay $6")
    click(alice, "square-keep")
    wait_text(alice, "cash-p1", "$1,299")
    wait_text(alice, "square-unmortgage", "Unmortgage $66")
    click(alice, "square-close")
    assert alice.execute_script("return window.__monopoly.state.squares[9].mortgaged") is True
    state = bob.wait_for(lambda s: s["squares"][9]["owner"] == "p1" and not s["mortgage_choices"], "the decisions")
    assert [p["cash"] for p in state["players"]] == [1299, 2890, 0]
    wait(alice, lambda d: has(d, "roll"), "Alice's turn to go on")
    assert_no_console_errors(alice)


def test_an_offer_waits_for_the_auction_to_end_before_it_can_be_accepted(make_stack, make_browser):
    stack = make_stack(dice=[1, 2, 2, 4], gateway_args=gateway_args())
    alice, bob = start_two_player_game(stack, make_browser)
    play_turn(alice, [bob], "p1", 3)  # Baltic Avenue, $60
    click(bob, "roll")
    both([alice, bob], lambda d: wait_attribute(d, "token-p2", "data-position", "6"))
    click(bob, "decline")  # Oriental Avenue goes to auction

    # Meanwhile Bob offers $100 for Baltic Avenue: Alice sees it, but the rules settle trades after
    # the auction, so Accept waits (Reject does not).
    wait(bob, lambda d: find(d, "auction-panel").is_displayed(), "the auction")
    click(bob, "open-trade")
    wait(bob, lambda d: find(d, "trade-dialog").is_displayed(), "the trade dialog")
    find(bob, "give-cash").clear()
    find(bob, "give-cash").send_keys("100")
    click(bob, "get-prop-3")
    click(bob, "trade-send")
    wait(alice, lambda d: has(d, "trade-accept-t1"), "the offer at Alice's")
    accept = find(alice, "trade-accept-t1")
    assert not accept.is_enabled() and "after the auction" in accept.get_attribute("title")
    assert find(alice, "trade-reject-t1").is_enabled()

    # Bob bids $10, Alice passes: Bob owns Oriental Avenue and Alice can accept the offer.
    bid = wait(bob, lambda d: find(d, "bid-input"), "Bob's bid input")
    bid.clear()
    bid.send_keys("10")
    click(bob, "bid")
    click(alice, "pass")
    both([alice, bob], lambda d: wait_attribute(d, "square-6", "data-owner", "p2"))
    wait(alice, lambda d: find(d, "trade-accept-t1").is_enabled(), "Accept once the auction is over")
    click(alice, "trade-accept-t1")
    both([alice, bob], lambda d: wait_attribute(d, "square-3", "data-owner", "p2"))
    both([alice, bob], lambda d: wait_text(d, "cash-p1", "$1,540"))
    both([alice, bob], lambda d: wait_text(d, "cash-p2", "$1,390"))
    assert [t for t in alice.execute_script("return window.__monopoly.toasts") if t.startswith("error")] == []
    assert_no_console_errors(alice, bob)
