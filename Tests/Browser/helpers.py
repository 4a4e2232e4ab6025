"""What the browser tests share: finding and clicking elements by `data-testid`, waiting for what
the user sees, and starting a game in two browsers."""
import contextlib
import itertools
import json
import os
import time

from selenium.common.exceptions import ElementClickInterceptedException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait


def gateway_args():
    """MONOPOLY_STATIC_DIR=Sources/Gateway/Public serves the files from disk (no rebuild while iterating)."""
    static = os.environ.get("MONOPOLY_STATIC_DIR")
    return ["--static-dir", static] if static else []


def css(testid):
    return f'[data-testid="{testid}"]'


def find(driver, testid):
    return driver.find_element(By.CSS_SELECTOR, css(testid))


def wait(driver, predicate, what, timeout=15):
    def check(d):
        try:
            return predicate(d)
        except StaleElementReferenceException:
            return False
    return WebDriverWait(driver, timeout, poll_frequency=0.1).until(check, message=f"timed out waiting for {what}")


def text_of(driver, testid):
    try:
        elements = driver.find_elements(By.CSS_SELECTOR, css(testid))
        return elements[0].text if elements else None
    except StaleElementReferenceException:  # re-rendered meanwhile
        return None


def wait_text(driver, testid, expected, timeout=15):
    wait(driver, lambda d: text_of(d, testid) == expected, f"{testid} == {expected!r} (now {text_of(driver, testid)!r})", timeout)


def click(driver, testid, timeout=15):
    """Clicks the visible, enabled element; a re-render between finding and clicking retries."""
    def attempt(d):
        for element in d.find_elements(By.CSS_SELECTOR, css(testid)):
            if element.is_displayed() and element.is_enabled():
                try:
                    element.click()
                    return True
                except ElementClickInterceptedException:
                    return False
        return False
    wait(driver, attempt, f"{testid} to be clickable", timeout)


def attribute(driver, testid, name):
    try:
        elements = driver.find_elements(By.CSS_SELECTOR, css(testid))
        return elements[0].get_attribute(name) if elements else None
    except StaleElementReferenceException:  # re-rendered meanwhile
        return None


def wait_attribute(driver, testid, name, expected, timeout=15):
    wait(driver, lambda d: attribute(d, testid, name) == expected,
         f"{testid}[{name}] == {expected!r} (now {attribute(driver, testid, name)!r})", timeout)


def open_page(driver, url):
    """Loads the page and waits for its WebSocket to be open."""
    driver.get(url)
    wait_attribute(driver, "connection-status", "data-status", "open")


def both(drivers, check):
    for driver in drivers:
        check(driver)


class Console:
    """Collects every browser console entry; SEVERE ones fail the test."""

    def __init__(self):
        self.entries = []

    def collect(self, driver, who):
        for entry in driver.get_log("browser"):
            self.entries.append((who, entry))

    def severe(self):
        return [f"{who}: {entry['message']}" for who, entry in self.entries if entry.get("level") == "SEVERE"]


def assert_no_console_errors(*drivers):
    for driver in drivers:
        assert [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"] == []


def play_turn(driver, others, player, position, buy=True):
    """The player rolls (the dice script decides), optionally buys, then ends the turn."""
    click(driver, "roll")
    for d in [driver, *others]:
        wait_attribute(d, f"token-{player}", "data-position", str(position))
    if buy:
        click(driver, "buy")
        for d in [driver, *others]:
            wait_attribute(d, f"square-{position}", "data-owner", player)
    click(driver, "end-turn")


def create_game(stack, make_browser, starting_cash=None):
    """Alice creates a game on gateway 1 (optionally with another starting cash); returns her and its code."""
    alice = make_browser()
    open_page(alice, f"http://127.0.0.1:{stack.gateway_ports[0]}/")
    find(alice, "name-input").send_keys("Alice")
    if starting_cash is not None:
        field = alice.find_element(By.ID, "opt-starting-cash")
        field.clear()
        field.send_keys(str(starting_cash))
    click(alice, "create-game")
    wait(alice, lambda d: text_of(d, "game-code"), "the game code")
    return alice, text_of(alice, "game-code")


def start_game(alice, players=2):
    """The host starts once every seat shows in her player list."""
    wait(alice, lambda d: d.find_elements(By.CSS_SELECTOR, css(f"player-p{players}")), f"player p{players} in the player list")
    click(alice, "start-game")
    wait(alice, lambda d: "Turn 1" in find(d, "turn-indicator").text, "the game to start")


def start_two_player_game(stack, make_browser, starting_cash=None):
    """Alice creates a game on gateway 1 (optionally with another starting cash), Bob joins on gateway 2."""
    alice, game = create_game(stack, make_browser, starting_cash)
    bob = make_browser()
    open_page(bob, f"http://127.0.0.1:{stack.gateway_ports[1]}/?game={game}")
    find(bob, "name-input").send_keys("Bob")
    click(bob, "invite-join")
    start_game(alice)
    wait(bob, lambda d: "Turn 1" in find(d, "turn-indicator").text, "the game to start")
    return alice, bob


class ScriptedPlayer:
    """A player on a plain WebSocket (the `websockets` package's blocking client), for setting up what
    would take the browsers too long; it keeps the latest state of its game."""

    def __init__(self, url, name):
        from websockets.sync.client import connect
        self.name = name
        self.exit = contextlib.ExitStack()
        self.ws = self.exit.enter_context(connect(url, max_size=2 ** 22))
        self.ids = itertools.count(1)
        self.state = None
        self.seq = 0
        self.epoch = 0
        self.game = None
        self.player = None

    def _receive(self, timeout):
        message = json.loads(self.ws.recv(timeout=timeout))
        if message.get("type") == "state" and message.get("game") == self.game:
            # A newer epoch (README, "Epochs") whatever its seq, else a newer seq.
            epoch = message.get("epoch", 0)
            if epoch > self.epoch or (epoch == self.epoch and message["seq"] > self.seq):
                self.seq, self.epoch, self.state = message["seq"], epoch, message["state"]
        return message

    def request(self, type_, timeout=10, **fields):
        """Sends a command and returns its answer (ack, welcome or error), states read meanwhile kept."""
        request_id = f"{self.name}-{next(self.ids)}"
        self.ws.send(json.dumps({"type": type_, "id": request_id, **fields}))
        deadline = time.time() + timeout
        while True:
            message = self._receive(max(0.01, deadline - time.time()))
            if message.get("re") == request_id:
                return message

    def ok(self, type_, **fields):
        """A command that must be accepted; returns once the state it produced has arrived."""
        answer = self.request(type_, **fields)
        assert answer["type"] in ("ack", "welcome"), f"{self.name} {type_} {fields}: {answer}"
        if answer["type"] == "welcome":
            self.game, self.player = answer["game"], answer["player"]
        if "seq" in answer:
            self.wait_for(lambda s: self.seq >= answer["seq"], f"state {answer['seq']}")
        return answer

    def wait_for(self, predicate, what, timeout=15):
        """Reads messages until the game state satisfies the predicate."""
        deadline = time.time() + timeout
        while not (self.state is not None and predicate(self.state)):
            remaining = deadline - time.time()
            assert remaining > 0, f"{self.name}: timed out waiting for {what}"
            try:
                self._receive(remaining)
            except TimeoutError:
                pass
        return self.state

    def wait_turn(self):
        """Until it is this player's turn to roll."""
        return self.wait_for(lambda s: s["current"] == self.player and s["turn_stage"] == "roll", f"{self.name}'s turn")

    def close(self):
        self.exit.close()
