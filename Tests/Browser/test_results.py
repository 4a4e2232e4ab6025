"""The results screen of a finished game: a short game (turn limit 6) between a browser player and
a bot, watched by a spectator, ends with the ranking, the figures and the net-worth chart drawn
for both, with a link to the game's command log that downloads and replays; a screenshot is kept
in .build/artifacts/results-screen.png."""
import json
import subprocess
from pathlib import Path

from selenium.webdriver.common.by import By

from conftest import ARTIFACTS
from helpers import assert_no_console_errors, click, find, gateway_args, open_page, text_of, wait, wait_attribute


def test_a_finished_game_shows_every_viewer_the_results_and_the_net_worth_chart(make_stack, make_browser):
    # Alice 1+2 Baltic (buys), bot 2+4 Oriental, Alice 1+2 Oriental (rent $6), bot 1+2 Connecticut,
    # Alice 1+2 Connecticut (rent $8), bot 3+4 St. Charles... the turn limit ends the game after turn 6.
    stack = make_stack(dice=[1, 2, 2, 4, 1, 2, 1, 2, 1, 2, 3, 4], gateway_args=gateway_args())
    alice = make_browser()
    open_page(alice, f"http://127.0.0.1:{stack.gateway_ports[0]}/")
    find(alice, "name-input").send_keys("Alice")
    limit = alice.find_element(By.ID, "opt-turn-limit")
    limit.clear()
    limit.send_keys("6")
    click(alice, "create-game")
    wait(alice, lambda d: text_of(d, "game-code"), "the game code")
    game = text_of(alice, "game-code")
    click(alice, "add-bot")
    wait(alice, lambda d: "Bot 1" in find(d, "player-p2").text, "the bot in the player list")
    carol = make_browser()
    open_page(carol, f"http://127.0.0.1:{stack.gateway_ports[1]}/?game={game}")
    click(carol, "invite-watch")
    wait(carol, lambda d: find(d, "game-view").is_displayed(), "Carol watching")
    click(alice, "start-game")

    for position, buy in [(3, True), (6, False), (9, False)]:
        click(alice, "roll", timeout=30)
        wait_attribute(alice, "token-p1", "data-position", str(position), timeout=30)
        if buy:
            click(alice, "buy")
        click(alice, "end-turn")

    for viewer in (alice, carol):
        wait(viewer, lambda d: find(d, "results").is_displayed(), "the results screen", timeout=60)
        wait(viewer, lambda d: len(d.find_elements(By.CSS_SELECTOR, '[data-testid="results-row"]')) == 2, "two ranked players")
        rows = [r.text for r in viewer.find_elements(By.CSS_SELECTOR, '[data-testid="results-row"]')]
        assert "Alice" in "".join(rows) and "Bot 1" in "".join(rows)
        alice_row = next(r for r in rows if "Alice" in r)
        assert "$14" in alice_row  # rent paid: Oriental $6 + Connecticut $8
        lines = viewer.find_elements(By.CSS_SELECTOR, '[data-testid="net-worth-chart"] polyline')
        assert len(lines) == 2
        for line in lines:
            points = line.get_attribute("points").split()
            assert len(points) >= 2
        assert line.size["width"] > 100  # drawn, not collapsed
        assert "Longest-held monopoly" in find(viewer, "longest-monopoly").text
    state = alice.execute_script("return window.__monopoly && window.__monopoly.state")
    assert state["phase"] == "finished" and state["end_reason"] == "turn_limit"
    assert state["results"]["sample_turns"][-1] == 6
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    alice.save_screenshot(str(ARTIFACTS / "results-screen.png"))
    carol.save_screenshot(str(ARTIFACTS / "results-screen-spectator.png"))
    # Closed, it opens again from the Results button.
    click(alice, "results-close")
    wait(alice, lambda d: not find(d, "results").is_displayed(), "the results closed")
    click(alice, "results-button")
    wait(alice, lambda d: find(d, "results").is_displayed(), "the results again")
    # The results screen links the game's command log; it downloads, and replays to the same states.
    assert find(carol, "results-log").get_attribute("href").endswith(f"/games/{game}/log.json")
    downloads = Path(stack.dir) / "downloads"
    downloads.mkdir()
    alice.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    click(alice, "results-log")
    log = downloads / f"monopoly-{game}-log.json"
    wait(alice, lambda d: log.exists() and log.read_text().endswith("]}\n"), "the downloaded command log", timeout=30)
    document = json.loads(log.read_text())
    assert document["game"] == game and document["last"]["state"]["phase"] == "finished"
    assert document["entries"][0]["msg"]["type"] == "create"
    replayed = subprocess.run([stack.binary, "replay", "--file", str(log)], capture_output=True, text=True, timeout=60)
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr
    assert_no_console_errors(alice, carol)
