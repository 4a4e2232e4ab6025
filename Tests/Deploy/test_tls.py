"""TLS at the load balancer (deploy/local-twin --tls: HAProxy with a self-signed certificate made by
openssl): players over wss://, the browser client over https:// and wss://, plain HTTP refused on the
public port, HSTS on the answers, the container's health probe still on plain HTTP (loopback)."""
import asyncio
import os
import shutil
import ssl
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
import websockets

from game import cash, open_game, pay_one
from wire import http_status

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "Tests" / "Browser"))  # helpers.py: finding and clicking by data-testid


def test_players_play_over_wss_and_plain_http_is_not_served(make_twin):
    twin = make_twin("--tls")
    assert twin.info["lb"].startswith("https://127.0.0.1:") and twin.ws.startswith("wss://127.0.0.1:")
    assert os.path.exists(twin.info["tls"]["cert"]) and os.path.exists(twin.info["tls"]["ca"])
    asyncio.run(play_over_wss(twin))

    with urllib.request.urlopen(twin.info["lb"], context=twin.ssl_context, timeout=10) as page:
        assert page.status == 200 and "<html" in page.read().decode().lower()
        assert page.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert twin.http("lb", "/healthz")[0] == 200

    # Plain HTTP on the public port gets no HTTP answer: the TLS handshake fails and HAProxy closes.
    assert http_status(twin.info["lb_port"], "/") == "closed"

    # The container's probe (deploy/healthcheck) speaks plain HTTP to the LB's loopback health port.
    probe = subprocess.run(["bash", str(ROOT / "deploy" / "healthcheck")], capture_output=True, text=True, timeout=10,
                           env={**os.environ, "HEALTHCHECK_PORT": str(twin.info["lb_health_port"])})
    assert probe.returncode == 0 and '"status":"ok"' in probe.stdout, probe


async def play_over_wss(twin):
    clients = await open_game(twin.ws, ["alice", "bob"], twin.ssl_context)
    alice, bob = clients
    await pay_one(alice, bob, clients)
    assert cash(bob.state, alice.player) == 1500 - 1
    # The certificate is really checked: a client that does not trust it does not get in.
    with pytest.raises(ssl.SSLCertVerificationError):
        await websockets.connect(twin.ws)
    # ws:// (no TLS) to the same port: no HTTP answer, so no upgrade.
    with pytest.raises(websockets.InvalidMessage):
        await websockets.connect(twin.ws.replace("wss://", "ws://", 1))
    for client in clients:
        await client.close()


@pytest.fixture
def chromium():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    browser = os.environ.get("CHROMIUM_BIN") or shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = os.environ.get("CHROMEDRIVER_BIN") or shutil.which("chromedriver")
    if not browser or not driver_path:
        pytest.fail("chromium and chromium-driver are needed (scripts/bootstrap installs them)")
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    # The twin's certificate is self-signed: the browser takes it, the page must still choose wss:.
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--ignore-certificate-errors", "--no-first-run"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def test_the_browser_client_loads_over_https_and_plays_over_wss(make_twin, chromium):
    from helpers import click, find, open_page, text_of, wait

    twin = make_twin("--tls")
    open_page(chromium, twin.info["lb"])
    assert chromium.execute_script("return location.protocol") == "https:"
    assert chromium.execute_script("return window.__monopoly.conn.url") == twin.ws
    find(chromium, "name-input").send_keys("Alice")
    click(chromium, "create-game")
    # The game code shows once the gateway's welcome has come back over wss (the authority commits
    # the new game's snapshot in the script that publishes the welcome).
    code = wait(chromium, lambda d: text_of(d, "game-code"), "the game code", timeout=30)
    assert code and twin.redis_cli("EXISTS", f"monopoly:{{{code}}}:snapshot") == "1"
