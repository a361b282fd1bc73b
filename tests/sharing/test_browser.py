"""A person opens a password-protected dashboard share link in a real browser (headless Chromium) served by a
real `burrow serve`: the unlock form, a wrong then the right password, then the tiles with their charts
drawn (pixels on each chart's canvas), with nothing asked of any other host and no console error."""

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.charts import INSIGHTS, PAINTED_PIXELS
from tests.helpers import new_project

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def api(burrow_server) -> httpx.Client:
    """The API of the running server, as the owner of a new project."""
    return new_project(burrow_server, "owner@example.com", "Acme", "Web")[0]


@pytest.fixture(scope="module")
def shared_dashboard(burrow_server, api):
    """A password-protected dashboard of three charts, made through the API of the running server."""
    dashboard = api.post(
        "dashboards/", json={"name": "Growth <weekly>", "description": "Shared with the board"}
    )
    assert dashboard.status_code == 201, dashboard.text
    dashboard_id = dashboard.json()["id"]
    for insight in INSIGHTS:
        assert api.post("insights/", json={**insight, "dashboards": [dashboard_id]}).status_code == 201
    sharing = api.patch(
        f"dashboards/{dashboard_id}/sharing/", json={"enabled": True, "password_required": True}
    )
    assert sharing.status_code == 200, sharing.text
    assert (
        api.post(f"dashboards/{dashboard_id}/sharing/passwords/", json={"raw_password": PASSWORD}).status_code
        == 201
    )
    return f"{burrow_server.url}/shared/{sharing.json()['access_token']}"


def test_a_password_protected_dashboard_opens_with_its_charts_drawn(shared_dashboard, chromium, tmp_path):
    driver = chromium.driver
    wait = WebDriverWait(driver, 60)
    driver.get(shared_dashboard)
    form = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "form.unlock-form"))[0]
    assert "Growth" not in driver.page_source
    driver.save_screenshot(str(tmp_path / "unlock.png"))

    form.find_element(By.NAME, "password").send_keys("wrong password")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    error = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".unlock-error"))[0]
    assert error.text == "Incorrect password"

    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".chart[data-rendered='true']")) == 3)
    screenshot = tmp_path / "share-dashboard.png"
    driver.save_screenshot(str(screenshot))

    assert driver.find_element(By.CSS_SELECTOR, ".share-title").text == "Growth <weekly>"
    titles = [e.text for e in driver.find_elements(By.CSS_SELECTOR, ".tile-title")]
    assert titles == ["Weekly signups", "Pageviews by browser", "Logins"]
    painted = driver.execute_script(PAINTED_PIXELS)
    assert len(painted) == 3 and all(count > 2000 for count in painted), painted
    assert screenshot.stat().st_size > 20_000
    # The session cookie is HttpOnly: the page's scripts cannot read it.
    assert driver.execute_script("return document.cookie") == ""
    assert chromium.foreign_requests(shared_dashboard) == []
    # The one failed load is the wrong password's answer (401).
    errors = chromium.console_errors()
    assert len(errors) == 1 and "status of 401" in errors[0], errors


def open_drawn(chromium, url: str, screenshot):
    """Opens a share page, waits until its charts are drawn and saves a screenshot; returns the driver."""
    driver = chromium.driver
    driver.get(url)
    WebDriverWait(driver, 60).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, ".chart[data-rendered='true']")
    )
    driver.save_screenshot(str(screenshot))
    return driver


def test_an_embedded_dark_insight_draws_its_legend_and_values(burrow_server, api, chromium, tmp_path):
    insight = api.post("insights/", json=INSIGHTS[2]).json()
    settings = {"theme": "dark", "legend": True, "detailed": True, "whitelabel": True}
    sharing = api.patch(f"insights/{insight['id']}/sharing/", json={"enabled": True, "settings": settings})
    url = f"{burrow_server.url}/embedded/{sharing.json()['access_token']}"
    driver = open_drawn(chromium, url, tmp_path / "embedded-dark.png")

    legend = [e.text for e in driver.find_elements(By.CSS_SELECTOR, ".u-legend .u-series .u-label")]
    assert "Web" in legend and "Mobile" in legend
    assert driver.find_elements(By.CSS_SELECTOR, ".chart-values td")
    background = driver.execute_script("return getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(21, 22, 27)"  # the dark theme
    assert "Shared with Burrow" not in driver.page_source
    assert all(count > 2000 for count in driver.execute_script(PAINTED_PIXELS))
    assert chromium.foreign_requests(url) == []
    assert chromium.console_errors() == []


def test_a_shared_live_insight_draws_what_its_query_computes(burrow_server, chromium, tmp_path):
    """An insight whose query is SQL over the project's warehouse (loaded with the CLI while the server
    runs): its share page draws the computed numbers and says so in words."""
    api, info = new_project(burrow_server, "live@example.com", "Live", "Data")
    rows = tmp_path / "signups.csv"
    rows.write_text("day,signups\n2026-01-01,5\n2026-01-02,8\n2026-01-03,6\n")
    environment = str(info["environment_id"])
    loaded = burrow_server.burrow("warehouse", "load", "--environment", environment, "signups", str(rows))
    assert loaded.returncode == 0, loaded.stderr
    sql = "SELECT day, signups FROM signups ORDER BY day"
    query = {
        "kind": "DataVisualizationNode",
        "source": {"kind": "HogQLQuery", "query": sql},
        "display": "ActionsBar",
    }
    insight = api.post("insights/", json={"name": "Live signups", "query": query})
    assert insight.status_code == 201, insight.text
    sharing = api.patch(f"insights/{insight.json()['id']}/sharing/", json={"enabled": True})
    url = f"{burrow_server.url}/shared/{sharing.json()['access_token']}"
    driver = open_drawn(chromium, url, tmp_path / "live-insight.png")
    summary = [e.text for e in driver.find_elements(By.CSS_SELECTOR, ".tile-summary li")]
    assert summary == ["signups: 6 on 2026-01-03 (▼ -25% vs 2026-01-02)"]
    assert driver.find_element(By.CSS_SELECTOR, ".tile-computed").text == "Computed less than a minute ago"
    assert all(count > 2000 for count in driver.execute_script(PAINTED_PIXELS))
    assert chromium.foreign_requests(url) == []
    assert chromium.console_errors() == []
