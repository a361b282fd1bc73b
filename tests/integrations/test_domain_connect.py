"""Domain Connect: discovery (`check`) against a real DNS server and a fake DNS provider on loopback, and the
signed apply URLs for both contexts, checked with the public key as a DNS provider checks them."""

import base64
from urllib.parse import parse_qsl, unquote, urlsplit

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from burrow.integrations.domain_connect import APPLY_URL_ERROR, REDIRECT_INVALID
from tests.factories import make
from tests.fakes.domain_connect import ABSENT, SYNC_UX
from tests.helpers import error
from tests.integrations.sender_domains import create_sender_domain

pytestmark = pytest.mark.django_db

UNSUPPORTED = {"supported": False, "provider_name": None}


def check(tenant, domain, client=None):
    query = "" if domain is None else f"?domain={domain}"
    return (client or tenant.client).get(tenant.url(f"integrations/domain-connect/check/{query}"))


def apply_url(tenant, client=None, **body):
    return (client or tenant.client).post(
        tenant.url("integrations/domain-connect/apply-url/"), body, format="json"
    )


def signed_parts(url: str, public_key) -> tuple[str, list[tuple[str, str]]]:
    """(path before the query, signed parameters) of an apply URL whose signature the public key accepts."""
    parts = urlsplit(url)
    signed, _, rest = parts.query.partition("&sig=")
    sig, _, key = rest.partition("&key=")
    assert key == "_dcpubkeyv1"
    public_key.verify(base64.b64decode(unquote(sig)), signed.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{parts.scheme}://{parts.netloc}{parts.path}", parse_qsl(signed, keep_blank_values=True)


def test_a_domain_hosted_by_an_allowed_provider_is_supported(tenant, fake_domain_connect):
    fake_domain_connect.host("example.co.uk")
    response = check(tenant, "ph.example.co.uk")
    assert response.status_code == 200
    assert response.json() == {"supported": True, "provider_name": "FakeDNS", "available_providers": []}
    [call] = fake_domain_connect.calls_to("settings")
    assert call.path == "/domainconnect/v2/example.co.uk/settings"


def test_without_a_domainconnect_record_the_allowed_providers_are_listed(tenant, fake_domain_connect):
    body = check(tenant, "example.com").json()
    assert body == {
        **UNSUPPORTED,
        "available_providers": [
            {"endpoint": f"http://{fake_domain_connect.endpoint}", "name": "FakeDNS"},
            {"endpoint": "api.cloudflare.com/client/v4/dns/domainconnect", "name": "Cloudflare"},
        ],
    }
    assert not fake_domain_connect.calls


def test_a_provider_outside_the_allow_list_is_never_called(tenant, fake_domain_connect, fake_dns):
    fake_domain_connect.domains.add("example.com")
    fake_dns.add(
        "_domainconnect.example.com", "TXT", fake_domain_connect.endpoint.replace("domainconnect", "dc")
    )
    assert check(tenant, "example.com").json()["supported"] is False
    assert not fake_domain_connect.calls


def test_a_provider_that_does_not_host_the_domain_is_unsupported(tenant, fake_domain_connect):
    fake_domain_connect.host("example.com")
    fake_domain_connect.domains.clear()
    assert check(tenant, "example.com").json()["supported"] is False


@pytest.mark.parametrize("failure", [503, "slow", "huge", "garbage", "padded"])
def test_provider_failures_answer_unsupported(tenant, fake_domain_connect, failure):
    fake_domain_connect.host("example.com")
    fake_domain_connect.fail["settings"] = failure
    response = check(tenant, "example.com")
    assert response.status_code == 200 and response.json()["supported"] is False


@pytest.mark.parametrize("how", ["TIMEOUT", "SERVFAIL"])
def test_dns_failures_answer_unsupported(tenant, fake_domain_connect, fake_dns, monkeypatch, how):
    from burrow.integrations import domain_connect

    monkeypatch.setattr(domain_connect, "LOOKUP_LIFETIME_SECONDS", 0.5)
    fake_domain_connect.host("example.com")
    fake_dns.fail("_domainconnect.example.com", how)
    response = check(tenant, "example.com")
    assert response.status_code == 200 and response.json()["supported"] is False


def test_answers_are_cached_per_root_domain(tenant, fake_domain_connect, fake_dns):
    fake_domain_connect.host("example.com")
    assert check(tenant, "a.example.com").json()["supported"] is True
    assert check(tenant, "b.example.com").json()["supported"] is True
    assert len(fake_domain_connect.calls_to("settings")) == 1
    assert fake_dns.queries.count(("_domainconnect.example.com", "TXT")) == 1
    assert check(tenant, "example.org").json()["supported"] is False  # another root: its own answer


@pytest.mark.parametrize(
    "domain, message",
    [
        (None, "domain query parameter is required"),
        ("", "domain query parameter is required"),
        ("co.uk", "co.uk is not a registrable domain name, such as example.com or ph.example.co.uk."),
        ("localhost", None),
        ("exa mple.com", None),
        ("x" * 300 + ".com", None),
    ],
)
def test_check_refuses_what_is_not_a_domain(tenant, fake_domain_connect, domain, message):
    body = error(check(tenant, domain))
    if message:
        assert body["detail"] == message
    assert not fake_domain_connect.calls


def test_an_email_apply_url_carries_the_sender_domain_records_and_a_valid_signature(
    tenant, fake_domain_connect, domain_connect_key
):
    fake_domain_connect.host("example.com")
    integration = create_sender_domain(tenant, domain="mail.example.com").json()
    response = apply_url(
        tenant, context="email", integration_id=integration["id"], redirect_uri="https://app.example/done?x=1"
    )
    assert response.status_code == 200, response.content
    assert len(fake_domain_connect.calls_to("settings")) == 1  # discovery's answer is used, not asked again
    base, params = signed_parts(response.json()["url"], domain_connect_key)
    assert base == f"{SYNC_UX}/v2/domainTemplates/providers/burrow/services/email-verification/apply"
    config = integration["config"]
    dkim = next(r for r in config["dns_records"] if r["purpose"] == "dkim")
    assert params == [
        ("domain", "example.com"),
        ("host", "mail"),
        ("verifyToken", config["ownership_token"]),
        ("dkimSelector", config["dkim_selector"]),
        ("dkimKey", dkim["value"].split("p=", 1)[1]),
        ("mailFromSub", "feedback"),
        ("spfRules", config["spf_mechanisms"]),
        ("redirect_uri", "https://app.example/done?x=1"),
    ]


def test_a_proxy_apply_url_points_the_subdomain_at_the_target(
    tenant, fake_domain_connect, domain_connect_key, settings
):
    settings.SITE_URL = "https://burrow.example.net"
    settings.DOMAIN_CONNECT_PROVIDER_ID = "burrow.example.net"
    fake_domain_connect.host("example.com")
    records = {}
    for host in ("e", "f"):  # two records of the organization: the link is for the one named
        record = tenant.client.post(
            tenant.org_url("proxy_records/"), {"domain": f"{host}.example.com"}, format="json"
        )
        assert record.status_code == 201, record.content
        records[host] = record.json()["id"]
    for host, record_id in records.items():
        response = apply_url(tenant, context="proxy", proxy_record_id=record_id)
        assert response.status_code == 200, response.content
        base, params = signed_parts(response.json()["url"], domain_connect_key)
        assert (
            base == f"{SYNC_UX}/v2/domainTemplates/providers/burrow.example.net/services/reverse-proxy/apply"
        )
        assert params == [("domain", "example.com"), ("host", host), ("target", "burrow.example.net")]


def test_a_template_value_with_a_space_is_signed_exactly_as_sent(
    tenant, fake_domain_connect, domain_connect_key, settings
):
    """Two SPF mechanisms make `spfRules` hold a space: the signature must cover the query as it is sent
    (`%20`), not another encoding of it (`+`), or the provider refuses the link."""
    settings.EMAIL_SPF = "include:amazonses.com include:_spf.relay.example"
    fake_domain_connect.host("example.com")
    integration = create_sender_domain(tenant).json()
    url = apply_url(tenant, context="email", integration_id=integration["id"]).json()["url"]
    assert "spfRules=include%3Aamazonses.com%20include%3A_spf.relay.example&" in url
    _, params = signed_parts(url, domain_connect_key)
    assert dict(params)["spfRules"] == "include:amazonses.com include:_spf.relay.example"


def test_a_changed_query_no_longer_matches_the_signature(tenant, fake_domain_connect, domain_connect_key):
    fake_domain_connect.host("example.com")
    integration = create_sender_domain(tenant).json()
    url = apply_url(tenant, context="email", integration_id=integration["id"]).json()["url"]
    tampered = url.replace("mailFromSub=feedback", "mailFromSub=elsewhere")
    with pytest.raises(InvalidSignature):
        signed_parts(tampered, domain_connect_key)


def test_an_allowed_provider_endpoint_may_be_named_instead_of_discovered(
    tenant, fake_domain_connect, domain_connect_key
):
    fake_domain_connect.domains.add("example.com")  # hosted, but DNS does not say so
    integration = create_sender_domain(tenant).json()
    response = apply_url(
        tenant,
        context="email",
        integration_id=integration["id"],
        provider_endpoint=f"http://{fake_domain_connect.endpoint}/",
    )
    assert response.status_code == 200, response.content
    _, params = signed_parts(response.json()["url"], domain_connect_key)
    assert "host" not in dict(params)  # the domain's apex: no host at all, not an empty one
    integration = create_sender_domain(tenant, domain="example.org").json()  # not one the provider hosts
    refused = apply_url(
        tenant,
        context="email",
        integration_id=integration["id"],
        provider_endpoint=f"http://{fake_domain_connect.endpoint}/",
    )
    assert (
        error(refused)["detail"] == "Error generating apply URL. Please try again later or contact support."
    )


@pytest.mark.parametrize(
    "body, message",
    [
        ({}, "context must be 'email' or 'proxy'"),
        ({"context": "sms"}, "context must be 'email' or 'proxy'"),
        ({"context": "email"}, "integration_id is required for email context"),
        ({"context": "email", "integration_id": ""}, "integration_id is required for email context"),
        ({"context": "proxy"}, "proxy_record_id is required for proxy context"),
        (
            {"context": "email", "integration_id": "not-an-id"},
            "Validation error resolving email context. Please try again later or contact support.",
        ),
        (
            {"context": "email", "integration_id": 2**63},
            "Validation error resolving email context. Please try again later or contact support.",
        ),
        (
            {"context": "proxy", "proxy_record_id": "not-a-uuid"},
            "Validation error resolving proxy context. Please try again later or contact support.",
        ),
        (
            {"context": "proxy", "proxy_record_id": "0190c5b1-0000-7000-8000-000000000000"},
            "Validation error resolving proxy context. Please try again later or contact support.",
        ),
        # The provider is checked before anything else.
        ({"context": "sms", "provider_endpoint": "evil.example/dc"}, "Unsupported provider endpoint"),
        ({"provider_endpoint": "https://api.cloudflare.com.evil.example/client/v4/dns/domainconnect"}, None),
    ],
)
def test_apply_url_refuses_bad_input_with_the_reference_messages(
    tenant, fake_domain_connect, domain_connect_key, body, message
):
    body = error(apply_url(tenant, **body))
    assert body["detail"] == (message or "Unsupported provider endpoint")
    assert not fake_domain_connect.calls


def test_another_kind_or_another_projects_integration_is_no_email_context(
    tenant, other_tenant, fake_providers, fake_domain_connect, domain_connect_key
):
    message = "Validation error resolving email context. Please try again later or contact support."
    twilio = fake_providers.connected(tenant, "twilio")
    assert error(apply_url(tenant, context="email", integration_id=twilio.id))["detail"] == message
    theirs = create_sender_domain(other_tenant).json()
    assert error(apply_url(tenant, context="email", integration_id=theirs["id"]))["detail"] == message


def test_a_sibling_projects_sender_domain_is_no_email_context(
    tenant, fake_domain_connect, domain_connect_key
):
    """Same organization, another project: the apply URL signs only for the project's own sender domains."""
    from burrow.core.models import Project

    fake_domain_connect.host("example.com")
    sibling = Project.objects.create_with_environment(tenant.organization, "Second")
    body = {"kind": "email", "config": {"domain": "mail.example.com"}}
    theirs = tenant.client.post(f"/api/projects/{sibling.id}/integrations/", body, format="json")
    assert theirs.status_code == 201, theirs.content
    response = apply_url(tenant, context="email", integration_id=theirs.json()["id"])
    assert error(response)["detail"] == (
        "Validation error resolving email context. Please try again later or contact support."
    )
    assert not fake_domain_connect.calls


def test_another_organizations_proxy_record_is_no_proxy_context(
    tenant, other_tenant, fake_domain_connect, domain_connect_key
):
    theirs = make("integrations.ProxyRecord", other_tenant)
    body = error(apply_url(tenant, context="proxy", proxy_record_id=str(theirs.id)))
    assert (
        body["detail"]
        == "Validation error resolving proxy context. Please try again later or contact support."
    )


def test_without_a_signing_key_the_operator_is_told_what_to_set(tenant, fake_domain_connect, settings):
    settings.DOMAIN_CONNECT_PRIVATE_KEY = ""
    fake_domain_connect.host("example.com")
    integration = create_sender_domain(tenant).json()
    body = error(apply_url(tenant, context="email", integration_id=integration["id"]))
    assert body["detail"].startswith(
        "Automatic DNS configuration is temporarily unavailable for this provider. Please configure your DNS "
        "records manually."
    )
    assert "BURROW_DOMAIN_CONNECT_PRIVATE_KEY" in body["detail"]
    settings.DOMAIN_CONNECT_PRIVATE_KEY = "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----"
    assert (
        "BURROW_DOMAIN_CONNECT_PRIVATE_KEY"
        in error(apply_url(tenant, context="email", integration_id=integration["id"]))["detail"]
    )


def test_a_domain_with_no_supported_provider_gets_no_apply_url(
    tenant, fake_domain_connect, domain_connect_key
):
    integration = create_sender_domain(tenant).json()
    body = error(apply_url(tenant, context="email", integration_id=integration["id"]))
    assert body["detail"] == "Error generating apply URL. Please try again later or contact support."


def test_a_provider_that_cannot_be_reached_is_a_502_naming_it(
    tenant, fake_domain_connect, domain_connect_key
):
    fake_domain_connect.domains.add("example.com")
    fake_domain_connect.fail["settings"] = 503
    integration = create_sender_domain(tenant).json()
    response = apply_url(
        tenant,
        context="email",
        integration_id=integration["id"],
        provider_endpoint=f"http://{fake_domain_connect.endpoint}",
    )
    body = error(response, 502)
    assert body["detail"] == "FakeDNS answered 503. Try again in a few minutes."


def test_domain_connect_takes_scoped_keys(tenant, key_client, fake_domain_connect, domain_connect_key):
    fake_domain_connect.host("example.com")
    integration = create_sender_domain(tenant).json()
    reader, writer = key_client(["integration:read"]), key_client(["integration:write"])
    other = key_client(["subscription:write"])
    assert check(tenant, "example.com", client=reader).status_code == 200
    assert error(check(tenant, "example.com", client=other), 403)["detail"] == (
        "API key missing required scope 'integration:read'"
    )
    body = {"context": "email", "integration_id": integration["id"]}
    assert error(apply_url(tenant, client=reader, **body), 403)["detail"] == (
        "API key missing required scope 'integration:write'"
    )
    assert apply_url(tenant, client=writer, **body).status_code == 200


@pytest.mark.parametrize("context", ["email", "proxy"])
def test_the_shipped_templates_take_exactly_the_variables_the_apply_url_sends(
    tenant, fake_domain_connect, domain_connect_key, settings, context
):
    """A provider applies a template with the variables of the link: one the template names and the link
    lacks would leave `%name%` in a record; one the link sends and the template ignores is a record missing."""
    import json
    import re
    from pathlib import Path

    from burrow.integrations.domain_connect import SERVICES

    settings.SITE_URL = "https://burrow.example.net"
    fake_domain_connect.host("example.com")
    if context == "email":
        body = {"integration_id": create_sender_domain(tenant, domain="mail.example.com").json()["id"]}
    else:
        record = tenant.client.post(
            tenant.org_url("proxy_records/"), {"domain": "e.example.com"}, format="json"
        )
        body = {"proxy_record_id": record.json()["id"]}
    url = apply_url(tenant, context=context, **body).json()["url"]
    _, params = signed_parts(url, domain_connect_key)
    sent = {name for name, _ in params} - {"domain", "host", "redirect_uri"}

    path = Path(__file__).parents[2] / "docs" / "domain-connect" / f"burrow.{SERVICES[context]}.json"
    template = json.loads(path.read_text())
    assert template["providerId"] == settings.DOMAIN_CONNECT_PROVIDER_ID
    assert template["serviceId"] == SERVICES[context]
    assert f"/services/{template['serviceId']}/apply?" in url
    named = set(re.findall(r"%(\w+)%", json.dumps(template["records"])))
    assert named == sent


def test_a_signing_key_squeezed_onto_one_line_signs_alike(
    tenant, fake_domain_connect, domain_connect_key, settings
):
    """An environment file holds the PEM on one line, its line ends written `\\n`."""
    settings.DOMAIN_CONNECT_PRIVATE_KEY = (
        settings.DOMAIN_CONNECT_PRIVATE_KEY.strip().replace("\n", "\\n") + "\n"
    )
    fake_domain_connect.host("example.com")
    integration = create_sender_domain(tenant).json()
    response = apply_url(tenant, context="email", integration_id=integration["id"])
    assert response.status_code == 200, response.content
    signed_parts(response.json()["url"], domain_connect_key)  # raises unless the signature verifies


def test_the_email_context_is_the_sender_domain_named_and_nothing_else(
    tenant, fake_domain_connect, domain_connect_key, fake_providers
):
    fake_domain_connect.host("example.com")
    fake_domain_connect.host("example.org")
    ids = {
        domain: create_sender_domain(tenant, domain=domain).json()["id"]
        for domain in ("example.com", "example.org")
    }
    for domain, integration_id in ids.items():
        url = apply_url(tenant, context="email", integration_id=integration_id).json()["url"]
        assert ("domain", domain) in signed_parts(url, domain_connect_key)[1]
    unreadable = make("integrations.Integration", tenant, kind="email", config={"domain": "example.net"})
    not_email = fake_providers.connected(tenant, "twilio")
    for integration_id in (not_email.id, unreadable.id):
        assert error(apply_url(tenant, context="email", integration_id=integration_id))["detail"] == (
            "Validation error resolving email context. Please try again later or contact support."
        )


@pytest.mark.parametrize(
    "redirect_uri", ["javascript:alert(1)", "https://", "ftp://files.example/x", "//app.example/x"]
)
def test_a_redirect_uri_must_be_a_web_address(tenant, fake_domain_connect, domain_connect_key, redirect_uri):
    fake_domain_connect.host("example.com")
    integration = create_sender_domain(tenant).json()
    body = error(
        apply_url(tenant, context="email", integration_id=integration["id"], redirect_uri=redirect_uri)
    )
    assert (body["attr"], body["detail"]) == ("redirect_uri", REDIRECT_INVALID)


def test_a_plain_http_redirect_uri_is_a_web_address_too(tenant, fake_domain_connect, domain_connect_key):
    fake_domain_connect.host("example.com")
    integration = create_sender_domain(tenant).json()
    url = apply_url(
        tenant, context="email", integration_id=integration["id"], redirect_uri="http://localhost:8000/done"
    ).json()["url"]
    assert ("redirect_uri", "http://localhost:8000/done") in signed_parts(url, domain_connect_key)[1]


LONGEST_SYNC_UX = SYNC_UX + "/" + "x" * (2000 - len(SYNC_UX) - 1)


@pytest.mark.parametrize(
    ("sync_ux", "base"),
    [
        (SYNC_UX + "/", SYNC_UX),  # a trailing slash is not doubled
        (LONGEST_SYNC_UX, LONGEST_SYNC_UX),
        (LONGEST_SYNC_UX + "x", None),  # longer than Burrow follows
        (ABSENT, None),
        (42, None),
        ("javascript:alert(1)", None),
        ("https:///no-host", None),
    ],
)
def test_the_providers_sync_ux_address_is_followed_only_when_it_is_a_web_address(
    tenant, fake_domain_connect, domain_connect_key, sync_ux, base
):
    fake_domain_connect.host("example.com")
    fake_domain_connect.sync_ux = sync_ux
    integration = create_sender_domain(tenant).json()
    response = apply_url(tenant, context="email", integration_id=integration["id"])
    if base is None:
        assert error(response)["detail"] == APPLY_URL_ERROR
    else:
        assert response.status_code == 200, response.content
        url = response.json()["url"]
        assert url.startswith(f"{base}/v2/domainTemplates/providers/"), url
        signed_parts(url, domain_connect_key)


@pytest.mark.parametrize(
    ("endpoint", "name"),
    [
        ("api.cloudflare.com/client/v4/dns/domainconnect", "Cloudflare"),
        ("https://api.cloudflare.com/client/v4/dns/domainconnect", "Cloudflare"),
        (
            " HTTPS://API.Cloudflare.COM/client/v4/dns/domainconnect/ ",
            "Cloudflare",
        ),  # host and scheme: any case
        ("api.cloudflare.com/client/V4/dns/domainconnect", None),  # a path is compared as written
        ("api.cloudflare.com", None),
        ("", None),
        (5, None),
    ],
)
def test_a_provider_endpoint_is_matched_by_host_in_any_case_and_exact_path(settings, endpoint, name):
    from burrow.integrations.domain_connect import find_provider

    settings.DOMAIN_CONNECT_PROVIDERS = "api.cloudflare.com/client/v4/dns/domainconnect=Cloudflare"
    provider = find_provider(endpoint)
    assert (provider.name if provider else None) == name
