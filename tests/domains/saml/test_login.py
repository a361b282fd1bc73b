"""SAML sign-in end to end against a fake identity provider that signs with its own throwaway key: the start
redirect and its AuthnRequest, sign-in of existing people, just-in-time provisioning, the refusal without
JIT, landing on `next`, the SP metadata. Refused responses are in test_saml_refusals.py."""

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from lxml import etree
from onelogin.saml2.xml_utils import OneLogin_Saml2_XML

from burrow.core.models import OrganizationMembership, User
from burrow.domains.models import SAMLAssertionUse
from burrow.links import saml_acs_url, saml_metadata_url
from tests.fakes.idp import AuthnRequest, FakeIdP

pytestmark = pytest.mark.django_db

ACS = "/complete/saml/"
DOMAIN = "acme.example.com"


@pytest.fixture(scope="module")
def idp() -> FakeIdP:
    return FakeIdP()


@pytest.fixture
def saml_domain(verified_domain, idp):
    def make(name: str = DOMAIN, **fields):
        fields = {
            "saml_entity_id": idp.entity_id,
            "saml_acs_url": idp.sso_url,
            "saml_x509_cert": idp.cert_pem,
            **fields,
        }
        return verified_domain(name, **fields)

    return make


def answer(idp: FakeIdP, domain, **overrides) -> str:
    """A good response for `domain`, as its identity provider sends it; `overrides` spoil one part."""
    fields = {"audience": saml_metadata_url(domain.id), "acs_url": saml_acs_url(), **overrides}
    return idp.response(**fields)


def post_answer(client: Client, domain, saml_response: str, relay_state: str | None = None):
    relay_state = str(domain.id) if relay_state is None else relay_state
    return client.post(ACS, {"SAMLResponse": saml_response, "RelayState": relay_state})


def start_sign_in(client: Client, idp: FakeIdP, domain_name: str = DOMAIN, **query: str) -> AuthnRequest:
    """What this browser's click on "Continue with SSO" sends to the identity provider; the browser keeps the
    pending sign-in's cookie."""
    response = client.get("/login/saml/", {"email": f"someone@{domain_name}", **query})
    assert response.status_code == 302, response.content
    return idp.read_request(response["Location"])


def sign_in(client: Client, idp: FakeIdP, domain, **overrides):
    """A whole SP-initiated sign-in in `client`: started here, answered by the IdP (`overrides` spoil one part
    of the answer), posted to the ACS."""
    request = start_sign_in(client, idp, domain.domain)
    return post_answer(client, domain, answer(idp, domain, in_response_to=request.id, **overrides))


def signed_in_as(client: Client) -> User | None:
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


def test_start_redirects_to_the_identity_provider_with_an_authn_request(saml_domain, idp):
    domain = saml_domain()
    client = Client()

    response = client.get("/login/saml/", {"email": f"alice@{DOMAIN}"})

    assert response.status_code == 302
    request = idp.read_request(response["Location"])
    assert request.relay_state == str(domain.id)
    assert request.acs_url == saml_acs_url() == "http://127.0.0.1:8000/complete/saml/"
    assert request.issuer == saml_metadata_url(domain.id)
    assert request.destination == idp.sso_url
    binding = request.xml.get("ProtocolBinding")
    assert binding == "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
    # Valid against the SAML 2.0 protocol schema, as an IdP parses it.
    assert not isinstance(OneLogin_Saml2_XML.validate_xml(request.xml, "saml-schema-protocol-2.0.xsd"), str)
    assert request.id and "burrow_saml_request" in response.cookies
    assert response["Cache-Control"] == "no-store"


def test_start_keeps_the_query_of_an_sso_url_that_has_one(saml_domain, idp):
    saml_domain(saml_acs_url=f"{idp.sso_url}?idpid=C01abc")

    location = Client().get("/login/saml/", {"email": f"alice@{DOMAIN}"})["Location"]

    query = parse_qs(urlsplit(location).query)
    assert query["idpid"] == ["C01abc"] and "SAMLRequest" in query and "RelayState" in query


@pytest.mark.parametrize(
    "email",
    ["", "not-an-address", f"alice@{DOMAIN}", "alice@unverified.example.com", "alice@no-saml.example.com"],
)
def test_start_without_saml_for_the_address_says_so(verified_domain, tenant, email):
    from burrow.domains.models import OrganizationDomain

    verified_domain("no-saml.example.com")
    OrganizationDomain.objects.create(organization=tenant.organization, domain="unverified.example.com")

    response = Client().get("/login/saml/", {"email": email})

    assert response.status_code == 400
    assert "SAML not configured for this user." in response.content.decode()
    assert response["Content-Security-Policy"].startswith("default-src 'none'")


def test_an_unverified_domain_with_saml_settings_cannot_start_or_complete(tenant, idp):
    from burrow.domains.models import OrganizationDomain

    domain = OrganizationDomain.objects.create(
        organization=tenant.organization,
        domain=DOMAIN,
        saml_entity_id=idp.entity_id,
        saml_acs_url=idp.sso_url,
        saml_x509_cert=idp.cert_pem,
        jit_provisioning_enabled=True,
    )
    client = Client()

    assert client.get("/login/saml/", {"email": f"alice@{DOMAIN}"}).status_code == 400
    response = post_answer(client, domain, answer(idp, domain, email=f"alice@{DOMAIN}"))

    assert response.status_code == 400
    assert "Authentication request is invalid. Invalid RelayState." in response.content.decode()
    assert signed_in_as(client) is None and not User.objects.filter(email=f"alice@{DOMAIN}").exists()


def test_an_existing_user_is_signed_in_and_lands_on_next(saml_domain, idp):
    domain = saml_domain()
    alice = User.objects.create_user(email=f"alice@{DOMAIN}", password=None)
    client = Client()
    start = client.get("/login/saml/", {"email": alice.email, "next": "/project/1/dashboard/2?x=1"})
    request = idp.read_request(start["Location"])

    response = post_answer(
        client, domain, answer(idp, domain, email=alice.email, in_response_to=request.id), request.relay_state
    )

    assert response.status_code == 302 and response["Location"] == "/project/1/dashboard/2?x=1"
    assert signed_in_as(client) == alice
    # Without JIT a known person is signed in but not added to the organization.
    assert not OrganizationMembership.objects.filter(user=alice).exists()
    assert response.cookies["burrow_saml_request"].value == ""  # the started sign-in is used up


def test_next_outside_the_site_lands_on_the_home_page(saml_domain, idp):
    domain = saml_domain()
    User.objects.create_user(email=f"alice@{DOMAIN}", password=None)
    client = Client()
    start = client.get("/login/saml/", {"email": f"alice@{DOMAIN}", "next": "https://evil.example/x"})
    request = idp.read_request(start["Location"])

    response = post_answer(
        client, domain, answer(idp, domain, email=f"alice@{DOMAIN}", in_response_to=request.id)
    )

    assert response.status_code == 302 and response["Location"] == "/"


def test_the_acs_takes_the_identity_providers_cross_site_post_without_a_csrf_token(saml_domain, idp):
    domain = saml_domain()
    alice = User.objects.create_user(email=f"alice@{DOMAIN}", password=None)
    client = Client(enforce_csrf_checks=True)

    response = sign_in(client, idp, domain, email=alice.email)

    assert response.status_code == 302 and signed_in_as(client) == alice


def test_jit_creates_the_user_as_a_member_of_the_domains_organization(saml_domain, idp, tenant, caplog):
    domain = saml_domain(jit_provisioning_enabled=True)
    caplog.set_level("INFO", logger="burrow.domains.saml")
    client = Client()
    attributes = {
        "firstName": "Bea",
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname": "Smith",
    }

    response = sign_in(client, idp, domain, email=f"bea@{DOMAIN}", attributes=attributes)

    assert response.status_code == 302
    bea = User.objects.get(email=f"bea@{DOMAIN}")
    assert (bea.first_name, bea.last_name, bea.is_email_verified, bea.has_usable_password()) == (
        "Bea",
        "Smith",
        True,
        False,
    )
    [signed_in_line] = [r for r in caplog.records if r.getMessage() == "saml sign-in"]
    assert (signed_in_line.user_id, signed_in_line.new_user) == (bea.pk, True)
    membership = OrganizationMembership.objects.get(user=bea)
    assert membership.organization == tenant.organization
    assert membership.level == OrganizationMembership.Level.MEMBER
    assert signed_in_as(client) == bea
    # The session works for the API as a password sign-in's does.
    me = client.get("/api/users/@me/")
    assert me.status_code == 200 and me.json()["email"] == bea.email


def test_jit_joins_a_known_user_who_is_not_a_member_and_keeps_an_existing_level(
    saml_domain, idp, tenant, caplog
):
    domain = saml_domain(jit_provisioning_enabled=True)
    carl = User.objects.create_user(email=f"carl@{DOMAIN}", password=None)
    admin = User.objects.create_user(email=f"dana@{DOMAIN}", password=None)
    OrganizationMembership.objects.create(
        user=admin, organization=tenant.organization, level=OrganizationMembership.Level.ADMIN
    )

    caplog.set_level("INFO", logger="burrow.domains.saml")
    sign_in(Client(), idp, domain, email=carl.email)
    sign_in(Client(), idp, domain, email=admin.email)

    lines = [(r.user_id, r.new_user) for r in caplog.records if r.getMessage() == "saml sign-in"]
    assert lines == [(carl.pk, False), (admin.pk, False)]  # known people: not new

    assert OrganizationMembership.objects.get(user=carl).level == OrganizationMembership.Level.MEMBER
    assert OrganizationMembership.objects.get(user=admin).level == OrganizationMembership.Level.ADMIN


def test_an_unknown_user_without_jit_is_sent_to_the_login_page_with_jit_not_enabled(saml_domain, idp):
    domain = saml_domain(jit_provisioning_enabled=False)
    client = Client()

    response = sign_in(client, idp, domain, email=f"erin@{DOMAIN}")

    assert response.status_code == 302 and response["Location"] == "/login?error_code=jit_not_enabled"
    assert not User.objects.filter(email=f"erin@{DOMAIN}").exists()
    assert signed_in_as(client) is None


@pytest.mark.parametrize(
    "attributes",
    [
        {"email": "frank@acme.example.com"},
        {"EMAIL": "frank@acme.example.com"},
        {"urn:oid:0.9.2342.19200300.100.1.3": "frank@acme.example.com"},
        {"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress": "frank@acme.example.com"},
        {},  # the NameID alone
    ],
)
def test_the_address_is_read_under_every_name_identity_providers_use(saml_domain, idp, attributes):
    domain = saml_domain(jit_provisioning_enabled=True)
    name_id = "frank@acme.example.com" if not attributes else "00u1abcd"  # Okta's opaque id, then

    response = sign_in(Client(), idp, domain, name_id=name_id, attributes=attributes)

    assert response.status_code == 302
    assert User.objects.filter(email="frank@acme.example.com").exists()


def test_a_response_signed_as_a_whole_is_accepted(saml_domain, idp):
    domain = saml_domain()
    alice = User.objects.create_user(email=f"alice@{DOMAIN}", password=None)
    client = Client()

    response = sign_in(client, idp, domain, email=alice.email, sign_assertion=False, sign_response=True)

    assert response.status_code == 302 and signed_in_as(client) == alice


def test_used_assertions_are_forgotten_once_they_expire(saml_domain, idp):
    domain = saml_domain()
    User.objects.create_user(email=f"alice@{DOMAIN}", password=None)
    SAMLAssertionUse.objects.create(
        domain=domain, assertion_digest="0" * 64, expires_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    )

    sign_in(Client(), idp, domain, email=f"alice@{DOMAIN}")

    assert not SAMLAssertionUse.objects.filter(assertion_digest="0" * 64).exists()
    assert SAMLAssertionUse.objects.count() == 1  # the assertion just used


def test_metadata_names_the_domains_entity_id_and_the_acs(saml_domain, settings):
    settings.SITE_URL = "https://burrow.example.com"
    domain = saml_domain()

    response = Client().get("/login/saml/metadata/", {"domain": str(domain.id)})

    assert response.status_code == 200 and response["Content-Type"].startswith("text/xml")
    root = etree.fromstring(response.content)
    md = "{urn:oasis:names:tc:SAML:2.0:metadata}"
    assert root.get("entityID") == f"https://burrow.example.com/login/saml/metadata/?domain={domain.id}"
    acs = root.find(f"{md}SPSSODescriptor/{md}AssertionConsumerService")
    assert acs.get("Location") == "https://burrow.example.com/complete/saml/"
    assert acs.get("Binding") == "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"


@pytest.mark.parametrize(
    "query", [{}, {"domain": "nope"}, {"domain": "00000000-0000-0000-0000-000000000000"}]
)
def test_metadata_of_an_unknown_domain_is_not_found(query):
    assert Client().get("/login/saml/metadata/", query).status_code == 404


def test_over_https_the_started_sign_in_survives_the_identity_providers_cross_site_post(
    saml_domain, settings
):
    settings.SITE_URL = "https://burrow.example.com"
    saml_domain()

    response = Client().get("/login/saml/", {"email": f"alice@{DOMAIN}"})

    cookie = response.cookies["burrow_saml_request"]
    assert (cookie["samesite"], cookie["secure"], cookie["httponly"], cookie["path"]) == (
        "None",
        True,
        True,
        "/complete/saml/",
    )
