"""The page under its Content-Security-Policy in real Chromium: the gateway's headers are there, the
client works with no policy violation (colours reach the board, the players and the chat through
data attributes, not style attributes), and the policy is enforced: an injected inline script does
not run and a style attribute is ignored."""
from selenium.webdriver.common.by import By

from helpers import assert_no_console_errors, click, create_game, find, gateway_args, wait

TRANSPARENT = "rgba(0, 0, 0, 0)"


def computed(driver, selector, property_name):
    return driver.execute_script(
        "const el = document.querySelector(arguments[0]); return el && getComputedStyle(el)[arguments[1]];",
        selector, property_name)


def test_the_page_works_under_its_content_security_policy_and_the_policy_is_enforced(make_stack, make_browser):
    stack = make_stack(gateways=1, gateway_args=gateway_args())
    alice, _ = create_game(stack, make_browser)

    # Colours set from data attributes: the board's bands, the player's avatar, a chat line's name.
    assert computed(alice, ".band", "backgroundColor") not in (None, TRANSPARENT)
    wait(alice, lambda d: computed(d, ".avatar", "backgroundColor") not in (None, TRANSPARENT), "the avatar's colour")
    alice.find_element(By.ID, "tab-chat").click()
    find(alice, "chat-input").send_keys("hello")
    click(alice, "chat-send")
    wait(alice, lambda d: computed(d, ".chat-name", "color") == "rgb(239, 71, 111)", "the chat name in Alice's colour")
    assert_no_console_errors(alice)

    # Enforced: neither an inline script nor a style attribute takes effect.
    alice.execute_script("""
        window.__inlineRan = false;
        const script = document.createElement('script');
        script.textContent = 'window.__inlineRan = true';
        document.body.appendChild(script);
        const probe = document.createElement('div');
        probe.id = 'csp-probe';
        probe.setAttribute('style', 'position: absolute; width: 123px');
        document.body.appendChild(probe);
    """)
    assert alice.execute_script("return window.__inlineRan") is False
    assert computed(alice, "#csp-probe", "width") != "123px"
    violations = [e["message"] for e in alice.get_log("browser") if "Content Security Policy" in e["message"]]
    assert len(violations) >= 2, violations
