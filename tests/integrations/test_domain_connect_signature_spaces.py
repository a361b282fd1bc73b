"""An apply URL whose values hold spaces (two SPF mechanisms, a redirect back with a query of its own), read
the way a Domain Connect provider reads it: the signature checked over the raw bytes of the query before
`&sig=`, then the query parsed with a standard form decoder. Signing one encoding of the values (`%20`) and
sending another (`+`) passes every check that has no space in it."""

import base64
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tests.integrations.sender_domains import create_sender_domain

pytestmark = pytest.mark.django_db

TWO_MECHANISMS = "include:a.example include:b.example"


def provider_reads(url: str, public_key: rsa.RSAPublicKey) -> dict[str, list[str]]:
    """The query's values, once the signature has been checked over exactly the bytes before `&sig=`."""
    raw_query = urlsplit(url).query
    signed, marker, trailer = raw_query.partition("&sig=")
    assert marker, f"no signature in {url}"
    signature, _, key_name = trailer.partition("&key=")
    assert key_name == "_dcpubkeyv1"
    try:
        public_key.verify(
            base64.b64decode(unquote(signature)), signed.encode(), padding.PKCS1v15(), hashes.SHA256()
        )
    except InvalidSignature:
        pytest.fail(f"the signature does not cover the query as sent: {signed}")
    return parse_qs(signed, keep_blank_values=True, strict_parsing=True)


def email_apply_url(tenant, **body) -> tuple[dict, str]:
    """(the new sender domain, the apply URL of its email template)."""
    integration = create_sender_domain(tenant).json()
    response = tenant.client.post(
        tenant.url("integrations/domain-connect/apply-url/"),
        {"context": "email", "integration_id": integration["id"], **body},
        format="json",
    )
    assert response.status_code == 200, response.content
    return integration, response.json()["url"]


def test_spf_rules_with_a_space_verify_and_decode_to_the_published_mechanisms(
    tenant, fake_domain_connect, domain_connect_key, settings
):
    settings.EMAIL_SPF = TWO_MECHANISMS
    fake_domain_connect.host("example.com")
    integration, url = email_apply_url(tenant)
    values = provider_reads(url, domain_connect_key)
    assert values["spfRules"] == [TWO_MECHANISMS]
    # What the provider writes is the record Burrow later checks for.
    spf_record = next(r for r in integration["config"]["dns_records"] if r["purpose"] == "spf")
    assert spf_record["value"] == f"v=spf1 {values['spfRules'][0]} ~all"


def test_a_redirect_uri_with_spaces_and_escapes_comes_back_unchanged(
    tenant, fake_domain_connect, domain_connect_key
):
    fake_domain_connect.host("example.com")
    redirect = "https://burrow.example.com/settings?next=%2Fintegrations%3Fq%3Dmail%20domains&tag=a+b c"
    _, url = email_apply_url(tenant, redirect_uri=redirect)
    values = provider_reads(url, domain_connect_key)
    assert values["redirect_uri"] == [redirect]
