"""A member follows a report mail's links in a real browser (headless Chromium) served by a real `burrow serve`
that mailed the report to a real SMTP server: signs in at `/login`, sees the dashboard with its charts drawn,
opens the insight and the subscription page, sends the report now (a new row in the delivery log) and
unsubscribes (the API no longer lists the address), and signs out. Each page's screenshot is saved under the test's tmp dir."""

import json
import os
import re
import time
from html.parser import HTMLParser

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.charts import INSIGHTS, PAINTED_PIXELS
from tests.fakes.smtp import start_sink
from tests.recordings.helpers import gzip_json, rrweb_session, snapshot_event

EMAIL = "ana@example.com"
PASSWORD = "a long sign-in password"
TEAMMATE = "bo@example.com"
# Where the screenshots land for docs/ when BURROW_SCREENSHOTS_DIR is set (refreshing them is a deliberate act).
SCREENSHOTS = os.environ.get("BURROW_SCREENSHOTS_DIR")


class Links(HTMLParser):
    """The links of a mail's HTML part, by their text."""

    def __init__(self) -> None:
        super().__init__()
        self.links: dict[str, str] = {}
        self._href: str | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self._href = dict(attrs).get("href")

    def handle_data(self, data):
        if self._href and data.strip():
            self.links.setdefault(data.strip(), self._href)

    def handle_endtag(self, tag):
        if tag == "a":
            self._href = None


@pytest.fixture(scope="module")
def mailbox():
    sink, controller = start_sink()
    yield sink
    controller.stop()


@pytest.fixture(scope="module")
def server(serve_burrow, mailbox):
    return serve_burrow(BURROW_EMAIL_URL=mailbox.url)


@pytest.fixture(scope="module")
def api(server) -> httpx.Client:
    boot = server.burrow(
        "bootstrap",
        "--email",
        EMAIL,
        "--password",
        PASSWORD,
        "--organization",
        "Acme",
        "--project",
        "Web",
        "--json",
    )
    assert boot.returncode == 0, boot.stderr
    info = json.loads(boot.stdout.strip().splitlines()[-1])
    return httpx.Client(
        base_url=f"{server.url}/api/projects/{info['project_id']}/",
        headers={"Authorization": f"Bearer {info['personal_api_key']}"},
        timeout=60,
    )


@pytest.fixture(scope="module")
def report_links(server, api, mailbox) -> tuple[dict[str, str], int]:
    """The links of the report mail the server sent for a new dashboard subscription (test delivery), on the
    test server's address (mails carry BURROW_SITE_URL, left at its default), and the subscription's id."""
    dashboard = api.post("dashboards/", json={"name": "Growth", "description": "For the board"}).json()
    ids = [
        api.post("insights/", json={**i, "dashboards": [dashboard["id"]]}).json()["id"] for i in INSIGHTS[:2]
    ]
    subscription = api.post(
        "subscriptions/",
        json={
            "dashboard": dashboard["id"],
            "dashboard_export_insights": ids,
            "target_type": "email",
            "target_value": f"{EMAIL},{TEAMMATE}",
            "frequency": "weekly",
            "byweekday": ["monday"],
            "interval": 1,
            "start_date": "2030-01-07T09:00:00Z",
            "title": "Weekly growth",
        },
    )
    assert subscription.status_code == 201, subscription.text
    sid = subscription.json()["id"]
    # The invitation goes out first; a test delivery asked for while it runs would be refused (409).
    _wait(lambda: _all_finished(api.get(f"subscriptions/{sid}/deliveries/").json()["results"]))
    assert api.post(f"subscriptions/{sid}/test-delivery/").status_code == 202
    report = _wait(lambda: [m for m in mailbox.to(EMAIL) if "report" in m["Subject"]])[0]
    parser = Links()
    parser.feed(report.get_body(("html",)).get_content())
    site = "http://127.0.0.1:8000"
    return {text: href.replace(site, server.url, 1) for text, href in parser.links.items()}, sid


def _all_finished(deliveries: list[dict]) -> bool:
    return bool(deliveries) and all(d["status"] != "starting" for d in deliveries)


def _wait(condition, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while not (found := condition()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)
    return found


def _shot(driver, tmp_path, name: str) -> None:
    path = tmp_path / f"{name}.png"
    driver.save_screenshot(str(path))
    assert path.stat().st_size > 10_000
    if SCREENSHOTS:
        driver.save_screenshot(os.path.join(SCREENSHOTS, f"{name}.png"))


def sign_in_at_login(driver, site: str) -> None:
    """Signs in at `/login` with no page to go back to, and waits for the home it leads to."""
    wait = WebDriverWait(driver, 60)
    driver.get(f"{site}/login")
    form = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "form.signin-card"))[0]
    form.find_element(By.NAME, "email").send_keys(EMAIL)
    form.find_element(By.NAME, "password").send_keys(PASSWORD)
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait.until(lambda d: d.find_elements(By.ID, "home-dashboards"))


def _log_rows(driver) -> list:
    return driver.find_elements(By.CSS_SELECTOR, "#delivery-log tr.log-row")


def test_a_member_follows_the_report_mail_to_the_pages(server, api, report_links, chromium, tmp_path):
    links, subscription_id = report_links
    driver = chromium.driver
    wait = WebDriverWait(driver, 60)
    assert re.search(r"/project/\d+/dashboard/\d+\?utm_", links["View dashboard"])

    # Not signed in: the dashboard link asks to sign in first, then comes back.
    driver.get(links["View dashboard"])
    form = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "form input[name=password]"))[
        0
    ].find_element(By.XPATH, "./ancestor::form")
    assert "/login?next=" in driver.current_url
    _shot(driver, tmp_path, "login")
    form.find_element(By.NAME, "email").send_keys(EMAIL)
    form.find_element(By.NAME, "password").send_keys(PASSWORD)
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".chart[data-rendered='true']")) == 2)
    assert driver.current_url == links["View dashboard"]
    assert driver.find_element(By.CSS_SELECTOR, ".page-title").text == "Growth"
    painted = driver.execute_script(PAINTED_PIXELS)
    assert len(painted) == 2 and all(count > 2000 for count in painted), painted
    _shot(driver, tmp_path, "dashboard")

    driver.get(links["Weekly signups"])
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".chart[data-rendered='true']"))
    assert driver.find_element(By.CSS_SELECTOR, ".page-title").text == "Weekly signups"
    assert driver.find_elements(By.CSS_SELECTOR, ".chart-values td")
    _shot(driver, tmp_path, "insight")

    driver.get(links["Manage subscription"])
    wait.until(lambda d: d.find_elements(By.ID, "delivery-log"))
    before = len(_log_rows(driver))
    assert before >= 2  # the invitation and the test delivery
    assert "Sent every week" in driver.page_source or "sent every week" in driver.page_source
    driver.find_element(By.ID, "send-now").click()
    wait.until(lambda d: len(_log_rows(d)) == before + 1)
    assert "on its way" in driver.find_element(By.CSS_SELECTOR, ".notice").text
    # The new row finishes: reload until the report has gone out.
    for _ in range(60):
        if "completed" in _log_rows(driver)[0].text:
            break
        time.sleep(1)
        driver.refresh()
    assert "completed" in _log_rows(driver)[0].text and EMAIL in _log_rows(driver)[0].text
    _shot(driver, tmp_path, "subscription")

    driver.find_element(By.ID, "unsubscribe-me").click()
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".notice"))
    assert "no longer receive" in driver.find_element(By.CSS_SELECTOR, ".notice").text
    assert not driver.find_elements(By.ID, "unsubscribe-me")
    assert api.get(f"subscriptions/{subscription_id}/").json()["target_value"] == TEAMMATE

    driver.find_element(By.LINK_TEXT, "Subscriptions").click()
    wait.until(lambda d: "Weekly growth" in d.page_source)
    _shot(driver, tmp_path, "subscriptions")

    # Home: the project's dashboards, insights and subscriptions, linked onward.
    driver.find_element(By.LINK_TEXT, "Home").click()
    wait.until(lambda d: d.find_elements(By.ID, "home-dashboards"))
    assert "Growth" in driver.find_element(By.ID, "home-dashboards").text
    assert "Weekly signups" in driver.find_element(By.ID, "home-insights").text
    assert "Weekly growth" in driver.find_element(By.ID, "home-subscriptions").text
    _shot(driver, tmp_path, "home")

    # Signing out (a CSRF-protected POST from the page's header) ends the session: the pages ask to sign in.
    driver.find_element(By.CSS_SELECTOR, ".member-signout button").click()
    wait.until(lambda d: "/login" in d.current_url)
    driver.get(links["View dashboard"])
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "form input[name=password]"))
    assert "/login?next=" in driver.current_url

    # Signing in with nowhere to go next lands on the home, not on a dead end.
    sign_in_at_login(driver, server.url)
    assert re.fullmatch(rf"{re.escape(server.url)}/project/\d+", driver.current_url)

    assert chromium.foreign_requests(server.url) == []
    assert chromium.console_errors() == []


OVERFLOW = """
function scrollsItself(e) {  // inside a box that scrolls sideways on its own (a wide table in its card)
  for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
    const x = getComputedStyle(a).overflowX;
    if (x === 'auto' || x === 'scroll') return true;
  }
  return false;
}
const wide = [];
for (const e of document.querySelectorAll('body *')) {
  const r = e.getBoundingClientRect();
  if (r.width && r.right > window.innerWidth + 1 && !scrollsItself(e)) {
    wide.push(e.tagName.toLowerCase() + (e.className ? '.' + String(e.className).split(' ')[0] : ''));
  }
}
return {page: document.documentElement.scrollWidth, viewport: window.innerWidth, wide: wide.slice(0, 5)};
"""


def recorded_session(server, api: httpx.Client) -> str:
    """A short recording sent to the server as posthog-js sends it; its session id."""
    token = api.get("").json()["api_token"]
    body = gzip_json([snapshot_event(token, "phone-check", rrweb_session(start_ms=int(time.time() * 1000)))])
    assert (
        httpx.post(f"{server.url}/s/", content=body, headers={"Content-Type": "text/plain"}).status_code
        == 200
    )
    return "phone-check"


@pytest.mark.parametrize("width, height", [(390, 844), (1280, 800)])
def test_every_page_fits_a_phone_and_a_desktop(server, api, report_links, chromium, tmp_path, width, height):
    """Signed out: the sign-in, unsubscribe and share pages; signed in: every member page."""
    links, subscription_id = report_links
    driver = chromium.driver
    driver.set_window_size(width, height)
    wait = WebDriverWait(driver, 60)
    dashboard_id = api.get(f"subscriptions/{subscription_id}/").json()["dashboard"]
    sharing = api.patch(f"dashboards/{dashboard_id}/sharing/", json={"enabled": True}).json()
    overflowing = {}

    def measure(name: str, url: str, charts: bool = False, replay: bool = False) -> None:
        driver.get(url)
        wait.until(lambda d: d.execute_script("return document.readyState") == "complete")
        if charts:
            wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".chart[data-rendered='true']"))
        if replay:
            wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "[data-replay-state='playing']"))
        measured = driver.execute_script(OVERFLOW)
        if measured["page"] > measured["viewport"] or measured["wide"]:
            overflowing[name] = measured
        driver.save_screenshot(str(tmp_path / f"{name}-{width}.png"))
        if SCREENSHOTS:
            driver.save_screenshot(os.path.join(SCREENSHOTS, f"{name}-{width}.png"))

    recording = recorded_session(server, api)
    shared_recording = api.patch(f"session_recordings/{recording}/sharing/", json={"enabled": True}).json()

    measure("login", f"{server.url}/login")
    measure("unsubscribe", links["Unsubscribe"])
    measure("share", f"{server.url}/shared/{sharing['access_token']}", charts=True)
    measure("recording-share", f"{server.url}/shared/{shared_recording['access_token']}", replay=True)
    sign_in_at_login(driver, server.url)
    home = driver.current_url
    measure("home", home)
    measure("dashboard", links["View dashboard"], charts=True)
    measure("insight", links["Weekly signups"], charts=True)
    measure("subscription", links["Manage subscription"])
    measure("subscriptions", f"{home}/subscriptions")
    measure("replay", f"{home}/replay/{recording}", replay=True)
    measure("not-found", f"{home}/dashboard/999999")
    assert overflowing == {}
