"""Who the client is (`burrow.core.clients`): the connection's address, unless it is a trusted proxy's; then
X-Forwarded-For read from the right, past trusted proxies. A visitor's own header is never believed. The
throttles that count clients are tested through HTTP in tests/sharing/test_throttle.py and
tests/domains/signin/test_api.py."""

from ipaddress import ip_network

import pytest
from django.test import RequestFactory
from rest_framework.request import Request

from burrow.config import ConfigError, env_networks
from burrow.core.clients import client_address
from burrow.core.throttling import BurstRateThrottle, SustainedRateThrottle
from tests.shell.test_cli import production_env, run_burrow

PROXY = "10.0.0.1"


@pytest.fixture
def trusted(settings):
    """Trusts the proxies (addresses or networks) it is called with, as BURROW_TRUSTED_PROXIES would."""

    def trust(*networks: str) -> None:
        settings.TRUSTED_PROXIES = tuple(ip_network(network) for network in networks)

    return trust


def client_of(peer: str | None = PROXY, forwarded_for: str | None = None) -> str:
    meta = {"HTTP_X_FORWARDED_FOR": forwarded_for} if forwarded_for is not None else {}
    request = RequestFactory().get("/", **meta)
    if peer is None:
        del request.META["REMOTE_ADDR"]
    else:
        request.META["REMOTE_ADDR"] = peer
    return client_address(request)


def test_without_trusted_proxies_the_header_is_ignored(settings):
    assert settings.TRUSTED_PROXIES == ()
    assert client_of("198.51.100.7", "203.0.113.5") == "198.51.100.7"
    assert client_of(PROXY, "203.0.113.5") == PROXY


def test_a_trusted_proxy_names_the_client(trusted):
    trusted(PROXY)
    assert client_of(PROXY, "203.0.113.5") == "203.0.113.5"
    assert client_of(PROXY, " 203.0.113.6 ") == "203.0.113.6"


def test_an_untrusted_peer_cannot_name_another_client(trusted):
    trusted(PROXY)
    assert client_of("198.51.100.7", "203.0.113.5") == "198.51.100.7"
    assert client_of("198.51.100.7", f"203.0.113.5, {PROXY}") == "198.51.100.7"


def test_what_the_visitor_wrote_before_the_proxy_appended_is_never_read(trusted):
    trusted(PROXY)
    # The visitor sent `X-Forwarded-For: 192.0.2.1`; the proxy appended the address it saw.
    assert client_of(PROXY, "192.0.2.1, 203.0.113.5") == "203.0.113.5"
    assert client_of(PROXY, "not an address, 203.0.113.5") == "203.0.113.5"


def test_trusted_proxies_in_a_chain_are_skipped(trusted):
    trusted("10.0.0.0/8", "192.168.1.1")
    assert client_of("10.0.0.1", "192.0.2.1, 203.0.113.5, 192.168.1.1, 10.2.3.4") == "203.0.113.5"


def test_when_every_hop_is_trusted_the_farthest_is_the_client(trusted):
    trusted("10.0.0.0/8")
    assert client_of("10.0.0.1", "10.9.9.9, 10.2.3.4") == "10.9.9.9"


def test_a_trusted_proxy_without_the_header_is_the_client(trusted):
    trusted(PROXY)
    assert client_of(PROXY) == PROXY
    assert client_of(PROXY, "") == PROXY


def test_a_malformed_entry_leaves_the_hop_that_wrote_it_as_the_client(trusted):
    trusted("10.0.0.0/8")
    assert client_of("10.0.0.1", "203.0.113.5, unknown") == "10.0.0.1"
    assert client_of("10.0.0.1", "203.0.113.5, unknown, 10.2.3.4") == "10.2.3.4"


@pytest.mark.parametrize(
    "header",
    [
        ",",
        " , ",
        "unknown",
        "_hidden",
        "999.1.1.1",
        "1.2.3",
        "203.0.113.5:",
        "203.0.113.5:http",
        "203.0.113.5:9999999",
        "[2001:db8::1",
        "[2001:db8::1]x",
        "[]",
        "2001:db8::1:80:",
        "203.0.113.5/24",
        "\x00",
        "٣.٣.٣.٣",
        "203.0.113.5:٣",
        "a" * 10_000,
        "203.0.113.5;for=1.2.3.4",
    ],
)
def test_malformed_headers_from_a_trusted_proxy_fall_back_to_the_proxy(trusted, header):
    trusted(PROXY)
    assert client_of(PROXY, header) == PROXY


def test_ipv6_clients_and_proxies(trusted):
    trusted("2001:db8:ffff::/48")
    assert client_of("2001:db8:ffff::1", "2001:0DB8:0000::0007") == "2001:db8::7"
    assert client_of("2001:db8:ffff::1", "[2001:db8::7]:4711") == "2001:db8::7"
    assert client_of("2001:db8:ffff::1", "[2001:db8::7]") == "2001:db8::7"
    assert client_of("2001:db8:ffff::1", "203.0.113.5:4711") == "203.0.113.5"
    assert client_of("2001:db8:fffe::1", "203.0.113.5") == "2001:db8:fffe::1"  # not trusted


def test_ipv4_mapped_addresses_count_as_ipv4(trusted):
    trusted(PROXY)
    assert client_of(f"::ffff:{PROXY}", "::ffff:203.0.113.5") == "203.0.113.5"
    assert client_of("::FFFF:198.51.100.7") == "198.51.100.7"


def test_a_request_without_a_peer_address_is_unknown(trusted):
    trusted(PROXY)
    assert client_of(None, "203.0.113.5") == "unknown"
    assert client_of("", "203.0.113.5") == "unknown"


def test_drf_throttles_count_the_same_client(trusted):
    """DRF's own `get_ident` believes any X-Forwarded-For when NUM_PROXIES is unset; Burrow's throttles don't."""
    trusted(PROXY)
    factory = RequestFactory()
    proxied = Request(factory.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.5"))
    spoofed = Request(factory.get("/", REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="203.0.113.5"))
    for throttle in (BurstRateThrottle(), SustainedRateThrottle()):
        assert throttle.get_ident(proxied) == "203.0.113.5"
        assert throttle.get_ident(spoofed) == "198.51.100.7"


def test_the_setting_takes_addresses_and_networks(monkeypatch):
    monkeypatch.setenv("BURROW_TRUSTED_PROXIES", " 127.0.0.1, 10.0.0.0/8,,2001:db8::/32 ,::1")
    assert env_networks("BURROW_TRUSTED_PROXIES") == (
        ip_network("127.0.0.1/32"),
        ip_network("10.0.0.0/8"),
        ip_network("2001:db8::/32"),
        ip_network("::1/128"),
    )
    monkeypatch.delenv("BURROW_TRUSTED_PROXIES")
    assert env_networks("BURROW_TRUSTED_PROXIES") == ()


@pytest.mark.parametrize("value", ["nginx", "10.0.0.0/33", "10.0.0.1 10.0.0.2", "*"])
def test_a_bad_setting_is_an_error_naming_the_variable(monkeypatch, value):
    monkeypatch.setenv("BURROW_TRUSTED_PROXIES", f"127.0.0.1,{value}")
    with pytest.raises(ConfigError, match=r"BURROW_TRUSTED_PROXIES must be comma-separated IP addresses"):
        env_networks("BURROW_TRUSTED_PROXIES")


def test_a_bad_setting_stops_burrow_at_start_up(tmp_path):
    env = {**production_env(tmp_path), "BURROW_TRUSTED_PROXIES": "10.0.0.0/8,my-proxy"}
    done = run_burrow(["users", "list"], env)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert (
        "BURROW_TRUSTED_PROXIES must be comma-separated IP addresses or networks such as 10.0.0.0/8, "
        "not 'my-proxy'"
    ) in done.stderr
