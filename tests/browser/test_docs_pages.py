"""Swagger UI and Redoc, opened in a real browser from a real `burrow serve`: the pages render the API's
operations from Burrow's own static files and ask no other host for anything."""

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait


def _wait_for(browser, selector: str, at_least: int = 1):
    """The elements once at least `at_least` are drawn: the pages draw their operations a few at a time."""
    WebDriverWait(browser.driver, 60).until(
        lambda driver: len(driver.find_elements(By.CSS_SELECTOR, selector)) >= at_least
    )
    return browser.driver.find_elements(By.CSS_SELECTOR, selector)


def test_swagger_ui_renders_the_operations_list(burrow_server, chromium, tmp_path):
    chromium.driver.get(f"{burrow_server.url}/api/schema/swagger-ui/")
    operations = _wait_for(chromium, ".opblock", at_least=21)
    chromium.driver.save_screenshot(str(tmp_path / "swagger-ui.png"))

    assert len(operations) > 20
    paths = [e.text for e in chromium.driver.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")]
    assert any(path.startswith("/api/projects/") and "subscriptions" in path for path in paths), paths[:5]
    assert "PostHog API" in chromium.driver.find_element(By.CSS_SELECTOR, ".info .title").text
    assert (tmp_path / "swagger-ui.png").stat().st_size > 10_000
    assert chromium.foreign_requests(burrow_server.url) == []
    assert chromium.console_errors() == []


def test_redoc_renders_the_operations(burrow_server, chromium, tmp_path):
    chromium.driver.get(f"{burrow_server.url}/api/schema/redoc/")
    operations = _wait_for(chromium, "[data-section-id^='operation/']", at_least=21)
    chromium.driver.save_screenshot(str(tmp_path / "redoc.png"))

    assert len(operations) > 20
    assert any(e.text.strip() for e in operations)
    assert chromium.foreign_requests(burrow_server.url) == []
    # The page's policy refuses the Redocly logo that Redoc's bundle asks cdn.redoc.ly for; nothing else fails.
    errors = chromium.console_errors()
    assert [e for e in errors if "Content Security Policy" not in e] == []
    assert all("cdn.redoc.ly" in e for e in errors), errors
