"""The checks of `monopoly bench chaos` (scripts/chaos/checks.py), table-tested with made-up
histories: each kind of fault the chaos run hunts for is reported, and a clean history is not."""
import sys

import pytest

from stack import ROOT

sys.path.insert(0, str(ROOT / "scripts" / "chaos"))
from checks import (Ack, Refusal, applied_but_refused, check_streams, conflicting_states, lost_acknowledged,  # noqa: E402
                    memory_growth, money_leaks, percentile, stuck_games, unconverged)

LOG = {"G1": {5: {"seq": 5, "by": "p1", "msg": {"type": "roll"}}, 6: {"seq": 6, "by": "p2", "msg": {"type": "buy"}}}}


@pytest.mark.parametrize("acks, lost", [
    ([Ack("G1", "p1", "roll", "a-1", 5), Ack("G1", "p2", "buy", "b-1", 6)], []),
    # A retry answered with the first answer: the same seq twice is one command.
    ([Ack("G1", "p1", "roll", "a-1", 5), Ack("G1", "p1", "roll", "a-1", 5)], []),
    ([Ack("G1", "p1", "end_turn", "a-2", 7)], ["game G1: p1's end_turn (id a-2) acknowledged with seq 7, which the log does not hold"]),
    ([Ack("G1", "p2", "roll", "b-2", 5)], ["game G1: p2's roll (id b-2) acknowledged with seq 5, but the log's seq 5 is p1's roll"]),
    ([Ack("G2", "p1", "roll", "c-1", 1)], ["game G2: p1's roll (id c-1) acknowledged with seq 1, which the log does not hold"]),
])
def test_an_acknowledged_command_missing_from_the_log_is_lost(acks, lost):
    assert lost_acknowledged(acks, LOG) == lost


@pytest.mark.parametrize("events, divergences, resyncs", [
    ([("enter", "G"), ("state", "G", 0, 3, "d3"), ("patch", "G", 0, 3, 4, "d4"), ("patch", "G", 0, 4, 5, "d5")], [], 0),
    # A seq gap in a patch chain: the patch does not apply to what the client holds.
    ([("enter", "G"), ("state", "G", 0, 3, "d3"), ("patch", "G", 0, 4, 5, "d5")],
     ["c: game G epoch 0: patch 4->5 while holding epoch 0 seq 3"], 0),
    ([("enter", "G"), ("state", "G", 0, 3, "d3"), ("patch", "G", 0, 3, 4, None)], ["c: game G epoch 0: patch 3->4 did not apply"], 0),
    # Going back or repeating within an epoch.
    ([("enter", "G"), ("state", "G", 0, 3, "d3"), ("state", "G", 0, 3, "d3")], ["c: game G epoch 0: seq 3 after seq 3"], 0),
    ([("enter", "G"), ("state", "G", 1, 9, "x"), ("state", "G", 0, 10, "y")], ["c: game G went back from epoch 1 to 0"], 0),
    # The gateway resynchronised the member (a state sent whole, skipping ahead), a new epoch
    # (a lower seq is fine there), a rejoin: resyncs, not divergences.
    ([("enter", "G"), ("state", "G", 0, 3, "d3"), ("state", "G", 0, 7, "d7"), ("state", "G", 1, 6, "e6"),
      ("enter", "G"), ("state", "G", 1, 6, "e6"), ("patch", "G", 1, 6, 7, "e7")], [], 3),
])
def test_a_seq_gap_or_a_step_back_is_a_divergence(events, divergences, resyncs):
    report = check_streams({"c": events})
    assert report.divergences == divergences
    assert report.resyncs == resyncs


def test_two_clients_that_saw_different_content_under_one_seq_diverged():
    same = [("a", "G", 0, 4, "d4"), ("b", "G", 0, 4, "d4"), ("b", "G", 1, 4, "other epoch")]
    assert conflicting_states(same) == []
    assert conflicting_states([*same, ("c", "G", 0, 4, "x")]) == ["game G epoch 0 seq 4: a and c saw different states"]


def test_a_client_left_behind_the_last_state_has_not_converged():
    assert unconverged({"a": ("G", 9), "b": ("G", 8)}, {"G": 9}) == ["b: holds seq 8 of game G, whose last state is seq 9"]


def state(cash, bank=0, jackpot=0, supply=3000, phase="playing"):
    return {"phase": phase, "players": [{"cash": c} for c in cash], "bank": {"cash": bank}, "jackpot": jackpot,
            "money_supply": supply, "options": {"starting_cash": 1500}}


@pytest.mark.parametrize("observed, leaks", [
    (state([1500, 1500]), []),
    (state([1700, 1100], bank=200), []),       # paid 200 to the bank... and the bank's ledger shows it
    (state([1600, 1300], bank=-100, jackpot=200), []),
    (state([1700, 1300]), []),                 # paid 200 to another player
    (state([1700, 1350]), ["game G seq 1: cash 3050 + jackpot 0 + bank 0 = 3050, money supply 3000"]),   # a leak
    (state([1700, 1350], supply=3050), ["game G seq 1: money supply 3050 is not 1500 x 2 seats"]),
    (state([1, 2], phase="lobby"), []),
])
def test_money_appearing_or_vanishing_is_a_leak(observed, leaks):
    assert money_leaks([("G", 1, observed)]) == leaks


def test_a_game_without_a_state_for_longer_than_the_limit_is_stuck():
    progress = {"moving": [(0, "playing"), (8, "playing"), (16, "finished")],
                "paused": [(0, "playing"), (31, "playing")],
                "frozen": [(0, "playing"), (5, "playing")],
                "over": [(0, "finished")]}
    assert stuck_games(progress, limit=20, end=40) == [
        "game frozen: no state for 35.0 s (from t=5.0 s; limit 20 s)",
        "game paused: no state for 31.0 s (from t=0.0 s; limit 20 s)",
    ]


def test_memory_that_keeps_growing_in_one_process_is_reported():
    samples = {"gateway-1": (10, 40, 10, 60), "gateway-2": (11, 40, 11, 400), "gateway-3": (12, 40, 99, 400)}
    assert memory_growth(samples) == ["gateway-2: 40 MiB after warm-up, 400 MiB at the end"]


@pytest.mark.parametrize("values, p, expected", [([], 50, None), ([3.0], 99, 3.0), ([1, 2, 3, 4], 50, 2), ([1, 2, 3, 4], 99, 4)])
def test_percentiles_are_nearest_rank(values, p, expected):
    assert percentile(values, p) == expected


APPLIED = {"G1": {7: {"seq": 7, "by": "p1", "id": "gw1.ab12-9", "at": 105.0, "msg": {"type": "end_turn"}},
                  8: {"seq": 8, "by": "p1", "id": None, "at": 106.0, "msg": {"type": "end_turn"}}}}


@pytest.mark.parametrize("refusal, acks, found", [
    # Sent at 100, resent until 110 and refused: the log shows it applied at 105 (a gateway's envelope).
    (Refusal("G1", "p1", "end_turn", "a-3", "not_your_turn", 100, 110), [],
     ["game G1: p1's end_turn (id a-3) was applied at seq 7, yet its resend was answered not_your_turn"]),
    # The seq 7 entry was another command of ours, acknowledged: not this one.
    (Refusal("G1", "p1", "end_turn", "a-3", "not_your_turn", 100, 110), [Ack("G1", "p1", "end_turn", "a-2", 7)], []),
    # Applied before the command was sent, or by the authority itself (the turn clock ran out): refused rightly.
    (Refusal("G1", "p1", "end_turn", "a-3", "not_your_turn", 105.5, 110), [], []),
    (Refusal("G1", "p2", "end_turn", "b-3", "not_your_turn", 100, 110), [], []),
])
def test_a_resend_refused_although_the_first_send_was_applied_is_reported(refusal, acks, found):
    assert applied_but_refused([refusal], acks, APPLIED) == found
