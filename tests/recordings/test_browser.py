"""End to end, as a newcomer does it: a page on another site loads posthog-js from a real `burrow serve` with
the README's two script tags, a person clicks and types in headless Chromium, the recording arrives and is
listed with its counts, a share link is made through the API, and a second browser opens it and watches the
replay: the player's frame shows the recorded page's text. Then the same behind a share password."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.chromium import Browser, missing_browser
from tests.helpers import new_project, wait_for

PASSWORD = "watch the checkout"
# posthog-js counts headless Chromium as a bot and sends nothing unless told not to filter user agents.
PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Shop checkout</title>
<script src="{burrow}/static/array.js"></script>
<script>posthog.init("{token}", {{api_host: "{burrow}", opt_out_useragent_filter: true}});</script>
</head><body><h1>Checkout</h1><p id="total">Total: 42 EUR</p>
<label>Name <input id="name"></label>
<button id="pay" onclick="document.getElementById('total').textContent='Paid, thank you'">Pay</button>
</body></html>"""


@pytest.fixture(scope="module")
def project(burrow_server):
    return new_project(burrow_server, "shop@example.com", "Shop", "Web")


@pytest.fixture(scope="module")
def shop_page(burrow_server, project):
    """The recorded site: another origin than Burrow's, serving the page with the README's snippet."""
    page = PAGE.format(burrow=burrow_server.url, token=project[1]["api_token"]).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/checkout"
    server.shutdown()


def record_a_visit(shop_page: str, api: httpx.Client, tmp_path, label: str) -> dict:
    """A person visits the shop page, types a name and pays; returns the recording once Burrow lists it
    with the click and the typing."""
    visitor = Browser(tmp_path / f"visitor-{label}")
    try:
        driver = visitor.driver
        driver.get(shop_page)
        WebDriverWait(driver, 60).until(
            lambda d: d.execute_script("return !!(window.posthog && posthog.sessionRecordingStarted());")
        )
        session_id = driver.execute_script("return posthog.get_session_id();")
        driver.find_element(By.ID, "name").send_keys("Ada")
        driver.find_element(By.ID, "pay").click()
        assert driver.find_element(By.ID, "total").text == "Paid, thank you"

        def listed():
            results = api.get("session_recordings/", params={"date_from": "-1d"}).json()["results"]
            found = [r for r in results if r["id"] == session_id]
            return found and found[0]["click_count"] >= 1 and found[0]["keypress_count"] >= 1 and found[0]

        return wait_for(listed)
    finally:
        visitor.quit()


def watch(url: str, tmp_path, label: str, password: str | None = None) -> str:
    """Opens a share link in a fresh browser, unlocking it when asked; returns the replayed page's text."""
    viewer = Browser(tmp_path / f"viewer-{label}")
    try:
        driver = viewer.driver
        driver.get(url)
        if password:
            driver.find_element(By.NAME, "password").send_keys(password)
            driver.find_element(By.CSS_SELECTOR, "form button, form [type=submit]").click()
        WebDriverWait(driver, 60).until(
            lambda d: (
                d.find_element(By.CSS_SELECTOR, "[data-replay-snapshots]").get_attribute("data-replay-state")
                == "playing"
            )
        )
        frame = driver.find_element(By.CSS_SELECTOR, ".replayer-wrapper iframe")
        driver.switch_to.frame(frame)
        text = WebDriverWait(driver, 30).until(
            lambda d: (
                "Checkout" in d.find_element(By.TAG_NAME, "body").text
                and d.find_element(By.TAG_NAME, "body").text
            )
        )
        driver.switch_to.default_content()
        driver.save_screenshot(str(tmp_path / f"replay-{label}.png"))
        assert not viewer.foreign_requests(url), "the share page asked another host for something"
        return text
    finally:
        viewer.quit()


@pytest.fixture(autouse=True)
def browser_installed():
    reason = missing_browser()
    if reason:
        pytest.skip(reason)


def test_a_recorded_visit_is_listed_shared_and_replayed(burrow_server, project, shop_page, tmp_path):
    api, info = project
    recording = record_a_visit(shop_page, api, tmp_path, "open")
    assert recording["start_url"] == shop_page
    assert recording["recording_duration"] >= 0
    sources = api.get(f"session_recordings/{recording['id']}/snapshots/").json()["sources"]
    assert sources, "no snapshot sources"

    sharing = api.patch(f"session_recordings/{recording['id']}/sharing/", json={"enabled": True})
    assert sharing.status_code == 200, sharing.text
    text = watch(f"{burrow_server.url}/shared/{sharing.json()['access_token']}", tmp_path, "open")
    assert "Total: 42 EUR" in text or "Paid, thank you" in text


def test_a_password_protected_recording_replays_after_the_password(
    burrow_server, project, shop_page, tmp_path
):
    api, info = project
    recording = record_a_visit(shop_page, api, tmp_path, "locked")
    path = f"session_recordings/{recording['id']}/sharing/"
    sharing = api.patch(path, json={"enabled": True, "password_required": True})
    assert sharing.status_code == 200, sharing.text
    assert api.post(f"{path}passwords/", json={"raw_password": PASSWORD}).status_code == 201
    url = f"{burrow_server.url}/shared/{sharing.json()['access_token']}"

    assert httpx.get(f"{url}/snapshots").status_code == 401
    text = watch(url, tmp_path, "locked", password=PASSWORD)
    assert "Checkout" in text
