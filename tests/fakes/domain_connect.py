"""A fake Domain Connect DNS provider on loopback (pytest-httpserver): the settings document
`<endpoint>/v2/<domain>/settings` for the domains it hosts (404 for others), failures switched on per test
like the other fake providers (`fake_domain_connect.fail["settings"] = 503`, "slow", "huge", "garbage"; and
"padded": a valid document over Burrow's size cap).

`fake_domain_connect.host(domain)` makes the fake host `domain` and publishes the `_domainconnect` TXT record
that names it in the fake DNS; the allow-list (BURROW_DOMAIN_CONNECT_PROVIDERS) names the fake as "FakeDNS".
`domain_connect_key` configures a fresh signing key and returns its public key, to check signatures with."""

import re
from dataclasses import dataclass, field

import pytest
from werkzeug.wrappers import Request, Response

from tests.fakes.provider import HUGE_BYTES, FakeProvider, json_response

SYNC_UX = "https://connect.fakedns.example"
ABSENT = object()
NAME = "FakeDNS"


@dataclass
class FakeDomainConnect(FakeProvider):
    endpoint: str = ""  # as published in DNS: host:port/path, no scheme
    domains: set[str] = field(default_factory=set)
    dns: object = None
    sync_ux: object = SYNC_UX  # the document's urlSyncUX; ABSENT leaves it out

    def settings_document(self, request: Request) -> Response:
        domain = request.path.split("/v2/", 1)[1].split("/", 1)[0]
        if domain not in self.domains:
            return Response("not hosted here", status=404)
        document = {
            "providerId": "fakedns.example",
            "providerName": NAME,
            "providerDisplayName": "Fake DNS",
            "urlSyncUX": self.sync_ux,
            "urlAPI": "https://api.fakedns.example",
        }
        if self.sync_ux is ABSENT:
            del document["urlSyncUX"]
        if self.fail.get("settings") == "padded":  # a valid document, but larger than Burrow reads
            document["padding"] = "x" * HUGE_BYTES
        return json_response(document)

    def host(self, domain: str) -> None:
        self.domains.add(domain)
        self.dns.set(f"_domainconnect.{domain}", "TXT", self.endpoint)


@pytest.fixture
def fake_domain_connect(httpserver, settings, fake_dns):
    provider = FakeDomainConnect(prefix="/domainconnect", dns=fake_dns)
    provider.route(
        httpserver, "settings", re.compile(r"/v2/[^/]+/settings"), "GET", provider.settings_document
    )
    base = provider.base_url(httpserver)
    provider.endpoint = base.removeprefix("http://")
    settings.DOMAIN_CONNECT_PROVIDERS = (
        f"{base}={NAME},api.cloudflare.com/client/v4/dns/domainconnect=Cloudflare"
    )
    yield provider
    provider.wait_idle()


@pytest.fixture(scope="session")
def _domain_connect_keypair():
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return pem, key.public_key()


@pytest.fixture
def domain_connect_key(settings, _domain_connect_keypair):
    pem, public_key = _domain_connect_keypair
    settings.DOMAIN_CONNECT_PRIVATE_KEY = pem
    return public_key
