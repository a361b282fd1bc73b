"""HTTPS deployments: with an https `BURROW_SITE_URL` browsers are told to use https only
(`Strict-Transport-Security`, `BURROW_HSTS_SECONDS`), on requests that are https — directly, or behind a
TLS-terminating proxy whose `X-Forwarded-Proto` is believed only when the proxy is in
`BURROW_TRUSTED_PROXIES`. A visitor's own header never makes a plain-http request count as https."""

import subprocess
import sys
from ipaddress import ip_network

import httpx
import pytest
from django.test import Client

from tests.shell.test_cli import production_env, run_burrow
from tests.shell.test_settings import fresh_env

HSTS = "Strict-Transport-Security"
PROXY = "10.0.0.1"
ONE_YEAR = 365 * 24 * 3600


def hsts_seconds_for(**env: str) -> str:
    """SECURE_HSTS_SECONDS as an installation with `env` loads it."""
    done = subprocess.run(
        [sys.executable, "-c", "import burrow.settings as s; print(s.SECURE_HSTS_SECONDS)"],
        env=fresh_env(**env),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_an_https_site_asks_for_hsts_for_a_year_unless_configured():
    assert hsts_seconds_for(BURROW_SITE_URL="https://burrow.example.com") == str(ONE_YEAR)
    assert hsts_seconds_for(BURROW_SITE_URL="https://burrow.example.com", BURROW_HSTS_SECONDS="600") == "600"
    assert hsts_seconds_for(BURROW_SITE_URL="http://burrow.example.com", BURROW_HSTS_SECONDS="600") == "0"
    assert hsts_seconds_for() == "0"  # the default site URL is plain http


def test_a_bad_hsts_setting_is_named_with_what_it_accepts(tmp_path):
    env = {**production_env(tmp_path), "BURROW_HSTS_SECONDS": "a year"}
    env.pop("DATABASE_URL", None)

    done = run_burrow(["migrate"], env)

    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "BURROW_HSTS_SECONDS must be a whole number of at least 0, not 'a year'" in done.stderr


@pytest.fixture
def https_site(settings, db):
    settings.SITE_URL = "https://burrow.example.com"
    settings.SECURE_HSTS_SECONDS = 600
    settings.TRUSTED_PROXIES = (ip_network(PROXY),)
    return settings


def get(peer: str, forwarded_proto: str | None = None, secure: bool = False):
    headers = {"HTTP_X_FORWARDED_PROTO": forwarded_proto} if forwarded_proto else {}
    return Client().get("/_health", REMOTE_ADDR=peer, secure=secure, **headers)


def test_an_https_request_gets_hsts_with_the_configured_seconds(https_site):
    assert get("192.0.2.7", secure=True)[HSTS] == "max-age=600"


def test_a_trusted_proxys_forwarded_https_counts_as_https(https_site):
    assert get(PROXY, "https")[HSTS] == "max-age=600"
    assert HSTS not in get(PROXY, "http")  # the proxy says the visitor came over plain http
    assert HSTS not in get(PROXY)


@pytest.mark.parametrize("peer", ["192.0.2.7", "10.0.0.2"])
def test_forwarded_https_from_anyone_else_is_ignored(https_site, peer):
    assert HSTS not in get(peer, "https")


def test_forwarded_https_is_read_as_the_trusted_proxy_wrote_it(https_site):
    # A proxy that appends to the visitor's header: only the last value, the proxy's own, is believed.
    assert HSTS not in get(PROXY, "https, http")
    assert get(PROXY, "http, https")[HSTS] == "max-age=600"


def test_a_plain_http_site_sends_no_hsts(settings, db):
    settings.TRUSTED_PROXIES = (ip_network(PROXY),)
    assert settings.SECURE_HSTS_SECONDS == 0  # the suite's site URL is plain http

    assert HSTS not in get("192.0.2.7", secure=True)
    assert HSTS not in get(PROXY, "https")


def test_a_served_https_site_behind_a_trusted_proxy_sends_hsts(serve_burrow):
    served = serve_burrow(
        BURROW_SITE_URL="https://burrow.example.com",
        BURROW_TRUSTED_PROXIES="127.0.0.1",
        BURROW_HSTS_SECONDS="900",
    )

    behind_tls = httpx.get(f"{served.url}/_health", headers={"X-Forwarded-Proto": "https"}, timeout=10)
    plain = httpx.get(f"{served.url}/_health", timeout=10)

    assert behind_tls.headers.get(HSTS) == "max-age=900"
    assert HSTS not in plain.headers
