"""Lifting a mortgage from the title deed while another player is in debt: the rules refuse it only
during an auction, a building auction or placement, or to a debtor, so a player who owes nothing
may lift hers while someone else raises money.

Alice plays in the browser; Bob is a scripted player on a plain WebSocket who lands on Income Tax
without the cash for it."""
from helpers import (assert_no_console_errors, click, create_game, find, gateway_args, start_game, text_of, wait,
                     wait_attribute, wait_text)


def test_a_player_not_in_debt_unmortgages_from_the_deed_while_another_is_in_debt(make_stack, make_browser, make_scripted):
    stack = make_stack(dice=[
        1, 2,   # Alice: Baltic Avenue ($60)
        1, 3,   # Bob: Income Tax ($200), with $100
    ], gateway_args=gateway_args())
    alice, game = create_game(stack, make_browser, starting_cash=100)
    bob = make_scripted(stack, 1, "bob")
    bob.ok("join", game=game, name="Bob")
    start_game(alice)

    # Alice buys Baltic Avenue and mortgages it from its deed: 100 - 60 + 30.
    click(alice, "roll")
    wait_attribute(alice, "token-p1", "data-position", "3")
    click(alice, "buy")
    wait_attribute(alice, "square-3", "data-owner", "p1")
    click(alice, "square-3")
    click(alice, "square-mortgage")
    wait_attribute(alice, "square-3", "data-mortgaged", "true")
    click(alice, "square-close")
    wait_text(alice, "cash-p1", "$70")
    click(alice, "end-turn")

    # Bob cannot pay the Income Tax: the game waits on his debt.
    bob.wait_turn()
    bob.ok("roll")
    state = bob.wait_for(lambda s: s["turn_stage"] == "debt", "Bob's debt")
    assert [(d["debtor"], d["amount"]) for d in state["debts"]] == [("p2", 200)]
    wait(alice, lambda d: alice.execute_script("return window.__monopoly.state.turn_stage") == "debt", "the debt at Alice's")

    # Alice owes nothing: her deed offers the unmortgage, and it goes through.
    click(alice, "square-3")
    wait(alice, lambda d: find(d, "square-unmortgage").is_enabled(),
         f"Unmortgage enabled (now {text_of(alice, 'square-unmortgage')!r})")
    assert text_of(alice, "square-unmortgage") == "Unmortgage $33"
    click(alice, "square-unmortgage")
    wait_attribute(alice, "square-3", "data-mortgaged", "false")
    wait_text(alice, "cash-p1", "$37")
    click(alice, "square-close")
    state = bob.wait_for(lambda s: not s["squares"][3]["mortgaged"], "Baltic Avenue unmortgaged")
    assert state["squares"][3]["owner"] == "p1" and state["players"][0]["cash"] == 37
    assert state["turn_stage"] == "debt" and [d["debtor"] for d in state["debts"]] == ["p2"]  # Bob still owes
    # Alice's browser asked for patches and followed the game through them (Bob takes whole
    # states): what it made of them is, value for value, the state Bob got whole. Chromium offered
    # permessage-deflate and the gateway accepted it, so the states came compressed.
    assert alice.execute_script("return window.__monopoly.conn.socket.extensions").startswith("permessage-deflate")
    wait(alice, lambda d: alice.execute_script("return window.__monopoly.seq") == bob.seq, f"Alice at seq {bob.seq}")
    assert alice.execute_script("return window.__monopoly.conn.patches.applied") > 5
    assert alice.execute_script("return window.__monopoly.state") == bob.state
    assert_no_console_errors(alice)
