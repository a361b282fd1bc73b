"""Connecting Slack in a real browser (headless Chromium) against a real `burrow serve`: Burrow's `authorize`
redirects to Slack's consent page (a fake served over TLS as slack.com: Chromium resolves slack.com and the
site's host to loopback), the person clicks Allow, Slack sends them back to `/integrations/slack/callback`,
which exchanges the code server to server (the fake Slack Web API on BURROW_SLACK_API_URL), connects, and
shows the result or lands on `next`."""

import html
import json
import ssl
from urllib.parse import urlencode

import httpx
import pytest
from pytest_httpserver import HTTPServer
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from werkzeug.wrappers import Request, Response

from tests.browser import chromium as chromium_module
from tests.browser.chromium import Browser, missing_browser
from tests.fakes.slack_workspace import CLIENT_ID, CLIENT_SECRET
from tests.fakes.tls import self_signed, write_pem_files

SITE = "burrow.test"  # BURROW_SITE_URL's host; Chromium maps it to the served port
# Skipped before a server starts, saying what to install, where Debian's chromium is missing.
pytestmark = pytest.mark.skipif(missing_browser() is not None, reason=missing_browser() or "")


def _certificate(tmp_path, host: str) -> ssl.SSLContext:
    cert_file, key_file = write_pem_files(*self_signed(host, (host,)), tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return context


@pytest.fixture
def slack_consent_page(tmp_path, fake_slack_workspace):
    """slack.com's authorize page over TLS: shows the request and an Allow button that sends the browser
    back to the redirect URI with a code the fake Web API will exchange."""
    requests: list[dict] = []

    def consent(request: Request) -> Response:
        requests.append(dict(request.args))
        back = f"{request.args['redirect_uri']}?" + urlencode(
            {"code": fake_slack_workspace.connect_code(), "state": request.args["state"]}
        )
        page = (
            "<!doctype html><title>Slack</title><h1>Burrow is requesting permission</h1>"
            f"<p id='scopes'>{html.escape(request.args.get('scope', ''))}</p>"
            f"<a id='allow' href='{html.escape(back)}'>Allow</a>"
        )
        return Response(page, content_type="text/html")

    server = HTTPServer(host="127.0.0.1", port=0, ssl_context=_certificate(tmp_path, "slack.com"))
    server.expect_request("/oauth/v2/authorize").respond_with_handler(consent)
    server.start()
    yield server, requests
    server.clear()
    if server.is_running():
        server.stop()


@pytest.fixture(scope="module")
def served(serve_burrow, make_httpserver):
    """One `burrow serve` for the module, configured through its environment as an operator would; its
    Slack Web API is the fake on the suite's HTTP server (each test's `fake_slack_workspace` answers there)."""
    server = serve_burrow(
        BURROW_SITE_URL=f"http://{SITE}",
        BURROW_SLACK_CLIENT_ID=CLIENT_ID,
        BURROW_SLACK_CLIENT_SECRET=CLIENT_SECRET,
        BURROW_SLACK_API_URL=make_httpserver.url_for("/api").rstrip("/"),
    )
    boot = server.burrow(
        "bootstrap", "--email", "owner@example.com", "--organization", "Acme", "--project", "Web", "--json"
    )
    assert boot.returncode == 0, boot.stderr
    return server, json.loads(boot.stdout.strip().splitlines()[-1])


@pytest.fixture
def browser(tmp_path, served, slack_consent_page, monkeypatch):
    server, _ = served
    consent, _ = slack_consent_page
    rules = f"MAP slack.com 127.0.0.1:{consent.port}, MAP {SITE} 127.0.0.1:{server.url.rsplit(':', 1)[1]}"
    flags = (
        f"--host-resolver-rules={rules}",
        "--ignore-certificate-errors",  # the fake slack.com's certificate is self-signed
        "--disable-features=HttpsUpgrades,HttpsFirstBalancedModeAutoEnable",
    )
    monkeypatch.setattr(chromium_module, "FLAGS", chromium_module.FLAGS + flags)
    started = Browser(tmp_path / "profile")
    yield started
    started.quit()


def test_connecting_slack_in_a_browser_from_authorize_to_the_connected_page(
    served, slack_consent_page, browser, fake_slack_workspace, tmp_path
):
    server, info = served
    _, consent_requests = slack_consent_page
    driver, wait = browser.driver, WebDriverWait(browser.driver, 60)
    project = info["project_id"]
    start = f"http://{SITE}/api/projects/{project}/integrations/authorize/?" + urlencode(
        {"kind": "slack", "personal_api_key": info["personal_api_key"]}
    )
    driver.get(start)
    allow = wait.until(lambda d: d.find_elements(By.ID, "allow"))[0]
    assert driver.current_url.startswith("https://slack.com/oauth/v2/authorize?")
    assert (
        driver.find_element(By.ID, "scopes").text
        == "channels:read,groups:read,chat:write,chat:write.customize"
    )
    [asked] = consent_requests
    assert (
        asked["client_id"] == CLIENT_ID
        and asked["redirect_uri"] == f"http://{SITE}/integrations/slack/callback"
    )
    driver.save_screenshot(str(tmp_path / "consent.png"))

    allow.click()
    result = wait.until(lambda d: d.find_elements(By.ID, "result"))[0]
    driver.save_screenshot(str(tmp_path / "connected.png"))
    assert result.text == "Slack connected"
    assert "Acme Workspace" in driver.find_element(By.ID, "detail").text
    assert driver.current_url.startswith(f"http://{SITE}/integrations/slack/callback?code=")
    assert [c.form["code"] for c in fake_slack_workspace.calls_to("oauth.v2.access")]  # exchanged server side

    api = httpx.Client(
        base_url=f"{server.url}/api/projects/{project}/",
        headers={"Authorization": f"Bearer {info['personal_api_key']}", "Host": SITE},
        timeout=30,
    )
    [integration] = api.get("integrations/").json()["results"]
    assert integration["kind"] == "slack" and integration["display_name"] == "Acme Workspace"
    assert integration["created_by"]["email"] == "owner@example.com"
    channels = api.get(f"integrations/{integration['id']}/channels/").json()["channels"]
    assert [c["name"] for c in channels] == ["general", "marketing", "random", "secret-plans"]

    # Reloading the callback (its state is spent) changes nothing and says why.
    driver.refresh()
    assert "Invalid or expired state token" in wait.until(lambda d: d.find_elements(By.ID, "detail"))[0].text
    assert len(api.get("integrations/").json()["results"]) == 1


def test_the_browser_lands_on_next_after_connecting(
    served, slack_consent_page, browser, fake_slack_workspace
):
    server, info = served
    driver, wait = browser.driver, WebDriverWait(browser.driver, 60)
    start = f"http://{SITE}/api/projects/{info['project_id']}/integrations/authorize/?" + urlencode(
        {"kind": "slack", "next": "/api/schema/swagger-ui/", "personal_api_key": info["personal_api_key"]}
    )
    driver.get(start)
    wait.until(lambda d: d.find_elements(By.ID, "allow"))[0].click()
    wait.until(lambda d: d.current_url == f"http://{SITE}/api/schema/swagger-ui/")
    assert "code=" not in driver.current_url and "state=" not in driver.current_url


def test_a_callback_replayed_in_another_browser_connects_nothing(
    served, slack_consent_page, browser, fake_slack_workspace, tmp_path
):
    """The consent link of a flow started in one browser, followed in another (a victim sent an attacker's
    link): the other browser has no flow cookie and nobody signed in, so it is sent to sign in; the code
    is not exchanged and the first browser can still finish its own flow."""
    _, info = served
    driver, wait = browser.driver, WebDriverWait(browser.driver, 60)
    start = f"http://{SITE}/api/projects/{info['project_id']}/integrations/authorize/?" + urlencode(
        {"kind": "slack", "personal_api_key": info["personal_api_key"]}
    )
    driver.get(start)
    allow = wait.until(lambda d: d.find_elements(By.ID, "allow"))[0]
    callback_url = allow.get_attribute("href")
    assert callback_url.startswith(f"http://{SITE}/integrations/slack/callback?code=")

    other = Browser(tmp_path / "other-profile")
    try:
        other.driver.get(callback_url)
        WebDriverWait(other.driver, 60).until(
            lambda d: d.find_elements(By.ID, "password") or d.find_elements(By.ID, "result")
        )
        assert other.driver.find_elements(By.ID, "password"), other.driver.page_source
        assert other.driver.current_url.startswith(f"http://{SITE}/login?next=%2Fintegrations%2Fslack")
    finally:
        other.quit()
    assert fake_slack_workspace.calls_to("oauth.v2.access") == []  # the code never reached Slack

    allow.click()
    assert wait.until(lambda d: d.find_elements(By.ID, "result"))[0].text == "Slack connected"
    assert len(fake_slack_workspace.calls_to("oauth.v2.access")) == 1
