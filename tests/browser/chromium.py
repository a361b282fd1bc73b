"""Headless Chromium from Debian (`chromium`, `chromium-driver`) driven by Selenium, for tests of what a person
sees in a page: it renders, its scripts run, and it asks no other host for anything."""

import json
import os
from pathlib import Path
from urllib.parse import urlsplit

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
INSTALL_HINT = "apt-get install chromium chromium-driver"
# The machine has no network beyond loopback: without the background-networking flags Chromium keeps trying
# Google's hosts; the sandbox does not run as root.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,1000",
)


def missing_browser() -> str | None:
    """Why the browser tests cannot run here, with what to install; None when they can."""
    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not os.access(path, os.X_OK)]
    if not missing:
        return None
    return f"no browser: {' and '.join(missing)} not installed; install them with `{INSTALL_HINT}`"


class Browser:
    """A fresh Chromium with its own profile; `driver` is the Selenium WebDriver."""

    def __init__(self, profile: Path) -> None:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in (*FLAGS, f"--user-data-dir={profile}"):
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
        self.driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
        self.driver.set_page_load_timeout(60)

    def requested_urls(self) -> list[str]:
        """Every URL the browser sent a request for since the last call (Chromium's network log), leaving
        out those the page's Content-Security-Policy stopped before they left the browser."""
        sent, blocked = [], set()
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message["method"] == "Network.requestWillBeSent":
                sent.append((message["params"]["requestId"], message["params"]["request"]["url"]))
            elif (
                message["method"] == "Network.loadingFailed"
                and message["params"].get("blockedReason") == "csp"
            ):
                blocked.add(message["params"]["requestId"])
        return [url for request, url in sent if request not in blocked]

    def foreign_requests(self, own_url: str) -> list[str]:
        """The requests since the last call that went to a host other than `own_url`'s."""
        own = urlsplit(own_url).netloc
        return [
            url
            for url in self.requested_urls()
            if urlsplit(url).scheme in {"http", "https", "ws", "wss"} and urlsplit(url).netloc != own
        ]

    def console_errors(self) -> list[str]:
        return [entry["message"] for entry in self.driver.get_log("browser") if entry["level"] == "SEVERE"]

    def quit(self) -> None:
        self.driver.quit()
