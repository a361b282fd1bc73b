"""Swagger UI and Redoc, opened in a real browser from a real `burrow serve`: the pages render the API's
operations from Burrow's own static files and ask no other host for anything."""

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait


def _wait_for(browser, selector: str):
    WebDriverWait(browser.driver, 60).until(lambda driver: driver.find_elements(By.CSS_SELECTOR, selector))
    return browser.driver.find_elements(By.CSS_SELECTOR, selector)


def _swagger_operations(browser) -> set[str]:
    """Every operation Swagger UI shows, read while scrolling the page one screen at a time: its newer
    releases draw only the operations near the viewport."""
    seen: set[str] = set()
    while True:
        for block in browser.driver.find_elements(By.CSS_SELECTOR, ".opblock-summary"):
            method = block.find_element(By.CSS_SELECTOR, ".opblock-summary-method").text
            seen.add(f"{method} {block.find_element(By.CSS_SELECTOR, '.opblock-summary-path').text}")
        at_bottom = browser.driver.execute_async_script(
            """const done = arguments[arguments.length - 1];
            const bottom = window.innerHeight + window.scrollY >= document.body.scrollHeight - 2;
            window.scrollBy(0, window.innerHeight * 0.8);
            requestAnimationFrame(() => requestAnimationFrame(() => done(bottom)));"""
        )
        if at_bottom:
            return seen


def test_swagger_ui_renders_the_operations_list(burrow_server, chromium, tmp_path):
    chromium.driver.get(f"{burrow_server.url}/api/schema/swagger-ui/")
    _wait_for(chromium, ".opblock")
    chromium.driver.save_screenshot(str(tmp_path / "swagger-ui.png"))

    operations = _swagger_operations(chromium)
    assert len(operations) > 20
    assert any(op.startswith("GET /api/projects/") and "subscriptions" in op for op in operations)
    assert "Burrow API" in chromium.driver.find_element(By.CSS_SELECTOR, ".info .title").text
    assert (tmp_path / "swagger-ui.png").stat().st_size > 10_000
    assert chromium.foreign_requests(burrow_server.url) == []
    assert chromium.console_errors() == []


def test_redoc_renders_the_operations(burrow_server, chromium, tmp_path):
    chromium.driver.get(f"{burrow_server.url}/api/schema/redoc/")
    operations = _wait_for(chromium, "[data-section-id^='operation/']")
    chromium.driver.save_screenshot(str(tmp_path / "redoc.png"))

    assert len(operations) > 20
    assert any(e.text.strip() for e in operations)
    assert chromium.foreign_requests(burrow_server.url) == []
    # Nothing refused by the page's policy either: the bundle Burrow serves asks no other host for anything.
    assert chromium.console_errors() == []
