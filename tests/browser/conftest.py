"""The `chromium` fixture: a headless browser for tests of pages (docs, sharing pages, …)."""

import pytest

from tests.browser.chromium import Browser, missing_browser


@pytest.fixture
def chromium(tmp_path):
    """A fresh headless Chromium (profile in the test's tmp_path) as a `Browser`; skipped, saying what to
    install, where Debian's chromium and chromium-driver are not installed."""
    reason = missing_browser()
    if reason:
        pytest.skip(reason)
    browser = Browser(tmp_path / "chromium-profile")
    yield browser
    browser.quit()
