"""`core/urlsafety.py`: outbound URLs must be public http(s) endpoints, names resolved through DNS, and the
connection pinned to the address that was checked."""

import pytest

from burrow.core.urlsafety import check_url_allowed, pinned_target

BLOCKED = [
    ("ftp://example.com/hook", "URL must start with http:// or https://"),
    ("example.com/hook", "URL must start with http:// or https://"),
    ("http:///hook", "Missing host"),
    ("http://localhost:8000/hook", "Local/Loopback host not allowed"),
    ("http://127.0.0.1/hook", "Local/Loopback host not allowed"),
    ("http://[::1]/hook", "Local/Loopback host not allowed"),
    ("http://169.254.169.254/latest/meta-data", "Local/metadata host"),
    ("http://metadata.google.internal/computeMetadata", "Local/metadata host"),
    ("http://printer.local/hook", "Internal domain pattern blocked: .local"),
    ("http://api.internal/hook", "Internal domain pattern blocked: .internal"),
    ("http://nas.lan/hook", "Internal domain pattern blocked: .lan"),
    ("http://db.corp./hook", "Internal domain pattern blocked: .corp"),
    ("http://10.1.2.3/hook", "Private IP address not allowed"),
    ("http://192.168.0.10/hook", "Private IP address not allowed"),
    ("http://172.16.5.4/hook", "Private IP address not allowed"),
    ("http://169.254.10.10/hook", "Private IP address not allowed"),
    ("http://100.64.0.1/hook", "Private IP address not allowed"),
    ("http://0.0.0.0/hook", "Private IP address not allowed"),
    ("http://224.0.0.1/hook", "Private IP address not allowed"),
    ("http://[fd00::1]/hook", "Private IP address not allowed"),
    ("http://[::ffff:10.0.0.1]/hook", "Private IP address not allowed"),
    ("http://2130706433/hook", "Private IP address not allowed"),
    ("http://[2002:a00:1::1]/hook", "Private IP address not allowed"),  # 6to4 of 10.0.0.1
    ("http://[2002:7f00:1::]/hook", "Private IP address not allowed"),  # 6to4 of 127.0.0.1
    ("http://[2001:0:4136:e378:8000:63bf:f5ff:fffe]/hook", "Private IP address not allowed"),  # Teredo
    ("http://[64:ff9b::a9fe:a9fe]/hook", "Private IP address not allowed"),  # NAT64 of 169.254.169.254
    ("http://[64:ff9b:1::c0a8:1]/hook", "Private IP address not allowed"),  # local NAT64 of 192.168.0.1
    ("http://[::10.0.0.1]/hook", "Private IP address not allowed"),  # IPv4-compatible
    ("http://host/x\r\nHost: evil", "Invalid URL: contains whitespace or control characters"),
    ("http://host/x\nfoo", "Invalid URL: contains whitespace or control characters"),
    ("http://host/a b", "Invalid URL: contains whitespace or control characters"),
    ("http://host/\x00", "Invalid URL: contains whitespace or control characters"),
    ("http://0x7f.1/hook", "Private IP address not allowed"),
    ("http://127.1/hook", "Private IP address not allowed"),
    ("http://example.com\\@10.0.0.1/hook", "Invalid URL: ambiguous authority"),
    ("http://example.com%5c@10.0.0.1/hook", "Invalid URL: ambiguous authority"),
    ("http://example.com:99999/hook", "Invalid URL"),
]


@pytest.mark.parametrize("url, reason", BLOCKED)
def test_blocked_urls(url, reason, fake_dns):
    assert check_url_allowed(url) == reason
    assert fake_dns.queries == []  # refused on sight, without asking DNS


def test_public_ip_literal_needs_no_dns(fake_dns):
    assert check_url_allowed("https://93.184.216.34/hook") is None
    assert check_url_allowed("https://[2002:5db8:d822::1]/hook") is None  # 6to4 of a public address
    assert check_url_allowed("https://[64:ff9b::5db8:d822]/hook") is None  # NAT64 of a public address
    assert fake_dns.queries == []


def test_host_names_must_resolve_to_public_addresses_only(fake_dns):
    fake_dns.add("hooks.example.com", "A", "93.184.216.34")
    fake_dns.add("sneaky.example.com", "A", "10.0.0.5")
    fake_dns.add("mixed.example.com", "A", "93.184.216.34")
    fake_dns.add("mixed.example.com", "AAAA", "fd00::7")
    fake_dns.add("alias.example.com", "CNAME", "sneaky.example.com")
    assert check_url_allowed("https://hooks.example.com/x") is None
    assert check_url_allowed("https://sneaky.example.com/x") == "Disallowed target IP: 10.0.0.5"
    assert check_url_allowed("https://mixed.example.com/x") == "Disallowed target IP: fd00::7"
    assert check_url_allowed("https://alias.example.com/x") == "Disallowed target IP: 10.0.0.5"
    assert check_url_allowed("https://nowhere.example.com/x") == "Could not resolve host"


def test_dns_failures_block(fake_dns):
    fake_dns.fail("broken.example.com", "SERVFAIL")
    assert check_url_allowed("https://broken.example.com/x") == "Could not resolve host"


def test_allow_private_setting_lifts_network_checks(settings, fake_dns):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    assert check_url_allowed("http://localhost:8000/hook") is None
    assert check_url_allowed("http://10.0.0.5/hook") is None
    assert check_url_allowed("ftp://localhost/hook") == "URL must start with http:// or https://"


def test_requests_are_pinned_to_the_address_that_was_checked(fake_dns):
    """The host is resolved once; the connection goes to that address, so a second DNS answer (rebinding
    to a private address) is never used."""
    fake_dns.add("hooks.example.com", "A", "93.184.216.34")
    reason, target = pinned_target("https://hooks.example.com:8443/x?a=1")
    assert reason is None
    assert target.url == "https://93.184.216.34:8443/x?a=1"
    assert target.headers == {"host": "hooks.example.com:8443"}
    assert target.extensions == {"sni_hostname": "hooks.example.com"}
    assert len([q for q in fake_dns.queries if q[0].startswith("hooks")]) <= 2  # one A and one AAAA look-up
    fake_dns.add("rebind.example.com", "A", "10.0.0.9")
    assert pinned_target("http://rebind.example.com/x") == ("Disallowed target IP: 10.0.0.9", None)
    assert pinned_target("http://[2606:4700::1]/x")[1].url == "http://[2606:4700::1]/x"
