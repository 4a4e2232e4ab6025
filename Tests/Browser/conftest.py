"""Browser tests: a real headless Chromium (Debian's chromium + chromium-driver) driven by selenium
against a real stack (redis-server, authority, two gateways) from Tests/EndToEnd/stack.py."""
import importlib.util
import os
import shutil
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "EndToEnd"))

from stack import ROOT  # noqa: E402

# The end-to-end suite's fixtures (make_stack: a stack per test, logs printed on failure) and its
# report hook, loaded under another name: both folders call their file conftest.py.
_spec = importlib.util.spec_from_file_location("e2e_conftest", HERE.parent / "EndToEnd" / "conftest.py")
_e2e = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_e2e)
make_stack = _e2e.make_stack
pytest_runtest_makereport = _e2e.pytest_runtest_makereport

ARTIFACTS = ROOT / ".build" / "artifacts"


def chromium_paths():
    browser = os.environ.get("CHROMIUM_BIN") or shutil.which("chromium") or shutil.which("chromium-browser")
    driver = os.environ.get("CHROMEDRIVER_BIN") or shutil.which("chromedriver")
    if not browser or not driver:
        pytest.fail("chromium and chromium-driver are needed (scripts/bootstrap installs them)")
    return browser, driver


@pytest.fixture
def make_browser(request):
    """Starts headless Chromium sessions (each with its own profile, so its own localStorage)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    browser, driver_path = chromium_paths()
    drivers = []

    def make(width=1400, height=1000):
        options = webdriver.ChromeOptions()
        options.binary_location = browser
        for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                         f"--window-size={width},{height}", "--force-device-scale-factor=1",
                         "--disable-features=Translate,MediaRouter", "--no-first-run"):
            options.add_argument(argument)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        driver = webdriver.Chrome(service=Service(driver_path), options=options)
        driver.set_page_load_timeout(30)
        drivers.append(driver)
        return driver

    yield make
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for index, driver in enumerate(drivers):
        try:
            if failed:
                driver.save_screenshot(str(ARTIFACTS / f"failure-{request.node.name}-{index + 1}.png"))
                for entry in driver.get_log("browser"):
                    print(f"browser {index + 1}: {entry}")
                print(f"browser {index + 1} toasts:", driver.execute_script("return window.__monopoly && window.__monopoly.toasts"))
                print(f"browser {index + 1} sent:", driver.execute_script("return window.__monopoly && window.__monopoly.conn.sent"))
        except Exception as error:  # the session may already be gone
            print(f"browser {index + 1}: {error}")
        finally:
            driver.quit()


@pytest.fixture
def make_scripted():
    """Players on plain WebSockets (helpers.ScriptedPlayer), closed after the test."""
    from helpers import ScriptedPlayer

    players = []

    def make(stack, gateway_index, name):
        player = ScriptedPlayer(stack.ws_url(gateway_index), name)
        players.append(player)
        return player

    yield make
    for player in players:
        player.close()
