"""SAML responses that must sign nobody in: unsigned, signed by another key, altered after signing, for another
audience or address, expired, replayed, answering another request, for an address of another domain, and
anything that is not a SAML response at all. Each gets a page that says why (400/403, never 500), a log line,
and no session."""

# The fake IdP and the domain fixtures come from test_saml.py; pytest finds them by the names imported here.
# ruff: noqa: F811

import base64
import datetime as dt
import json
import logging

import pytest
from django.test import Client

from burrow.core.models import OrganizationMembership, User
from burrow.domains.saml.services import REPLAYED, UNREADABLE
from tests.domains.saml.test_login import (  # noqa: F401
    ACS,
    DOMAIN,
    answer,
    idp,
    post_answer,
    saml_domain,
    sign_in,
    signed_in_as,
    start_sign_in,
)
from tests.fakes.idp import FakeIdP

pytestmark = pytest.mark.django_db

ALICE = f"alice@{DOMAIN}"
PENDING_COOKIE = "burrow_saml_request"  # the sign-in this browser started


@pytest.fixture(scope="module")
def impostor() -> FakeIdP:
    """Another identity provider with a key of its own, claiming to be the domain's."""
    return FakeIdP()


@pytest.fixture
def alice(db) -> User:
    return User.objects.create_user(email=ALICE, password=None)


def refusal_line(caplog) -> logging.LogRecord:
    """The one "saml sign-in refused" line a refused sign-in writes."""
    [record] = [r for r in caplog.records if r.getMessage() == "saml sign-in refused"]
    return record


def assert_refused(client: Client, response, status: int, *words: str) -> None:
    page = response.content.decode()
    assert response.status_code == status, page
    assert response["Content-Type"].startswith("text/html")
    for word in words:
        assert word in page, page
    assert signed_in_as(client) is None
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(
    "spoil, status, words",
    [
        ({"sign_assertion": False}, 403, ["The response is not signed."]),
        ({"tamper": (ALICE, f"mallory@{DOMAIN}")}, 403, ["signature does not match the certificate"]),
        ({"audience": "https://another-sp.example/metadata"}, 403, ["meant for another service"]),
        ({"audience": None}, 403, ["meant for another service"]),
        ({"destination": "https://evil.example/complete/saml/"}, 403, ["another address than Burrow"]),
        (
            {"recipient": "https://evil.example/complete/saml/"},
            403,
            ["subject confirmation"],
        ),
        ({"issuer": "https://other-idp.example/"}, 403, ["issued by another identity provider"]),
        ({"now": dt.datetime.now(dt.UTC) - dt.timedelta(minutes=20)}, 403, ["has expired"]),
        ({"now": dt.datetime.now(dt.UTC) + dt.timedelta(minutes=20)}, 403, ["not valid yet"]),
        ({"sha1": True}, 403, ["signed with SHA-1"]),
        ({"confirmation_expiry": False}, 403, ["not a valid SAML response"]),
    ],
    ids=[
        "unsigned",
        "altered-after-signing",
        "wrong-audience",
        "no-audience",
        "wrong-destination",
        "wrong-recipient",
        "wrong-issuer",
        "expired",
        "not-yet-valid",
        "sha1",
        "no-expiry",
    ],
)
def test_a_spoiled_response_signs_nobody_in(saml_domain, idp, alice, spoil, status, words):
    domain = saml_domain()
    client = Client()

    response = sign_in(client, idp, domain, email=ALICE, **spoil)

    assert_refused(client, response, status, "You were not signed in", *words)


@pytest.mark.parametrize("where", ["assertion", "response"])
def test_a_response_signed_by_another_key_signs_nobody_in(saml_domain, idp, impostor, alice, where):
    domain = saml_domain()
    client = Client()
    signing = {"sign_assertion": where == "assertion", "sign_response": where == "response"}

    response = sign_in(client, idp, domain, email=ALICE, signer=impostor, **signing)

    assert_refused(
        client, response, 403, "signature does not match the certificate configured for this domain"
    )


def test_a_response_can_sign_in_only_once(saml_domain, idp, alice):
    domain = saml_domain()
    first, second = Client(), Client()
    request = start_sign_in(first, idp)
    saml_response = answer(idp, domain, email=ALICE, in_response_to=request.id)
    # Whoever captured the response may have the started sign-in's cookie too.
    second.cookies[PENDING_COOKIE] = first.cookies[PENDING_COOKIE].value

    assert post_answer(first, domain, saml_response).status_code == 302
    response = post_answer(second, domain, saml_response)

    assert signed_in_as(first) == alice
    assert_refused(second, response, 403, REPLAYED)


def test_the_same_assertion_in_a_fresh_response_is_still_a_replay(saml_domain, idp, alice):
    domain = saml_domain()
    assert sign_in(Client(), idp, domain, email=ALICE, assertion_id="_a-once").status_code == 302
    client = Client()

    response = sign_in(client, idp, domain, email=ALICE, assertion_id="_a-once", sign_response=True)

    assert_refused(client, response, 403, REPLAYED)


def test_each_assertion_is_remembered_by_its_own_id(saml_domain, idp, alice, caplog):
    domain = saml_domain()
    caplog.set_level(logging.INFO, logger="burrow.domains.saml")
    assert sign_in(Client(), idp, domain, email=ALICE, assertion_id="_first").status_code == 302
    assert sign_in(Client(), idp, domain, email=ALICE, assertion_id="_second").status_code == 302
    sign_in(Client(), idp, domain, email=ALICE, assertion_id="_first")
    record = refusal_line(caplog)
    assert (record.reason, record.detail) == ("saml_replayed", "assertion _first")


def test_an_answer_to_another_request_is_refused(saml_domain, idp, alice):
    domain = saml_domain()
    client = Client()
    client.get("/login/saml/", {"email": ALICE})  # this browser's request is pending

    response = post_answer(
        client, domain, answer(idp, domain, email=ALICE, in_response_to="_someone-elses-request")
    )

    assert_refused(client, response, 403, "answers another sign-in request")


def test_the_idp_of_one_domain_cannot_sign_in_people_of_another(
    saml_domain, idp, verified_domain, other_tenant
):
    domain = saml_domain(jit_provisioning_enabled=True)
    verified_domain("bank.example.com", org=other_tenant.organization)
    victim = User.objects.create_user(email="boss@bank.example.com", password=None)
    client = Client()

    response = sign_in(client, idp, domain, email=victim.email)

    assert_refused(client, response, 403, "outside acme.example.com")
    assert not OrganizationMembership.objects.filter(user=victim).exists()


def test_a_subdomain_address_is_another_domain(saml_domain, idp):
    domain = saml_domain(jit_provisioning_enabled=True)
    client = Client()

    response = sign_in(client, idp, domain, email=f"eve@evil.{DOMAIN}")

    assert_refused(client, response, 403, "outside acme.example.com")
    assert not User.objects.filter(email=f"eve@evil.{DOMAIN}").exists()


def test_a_response_posted_with_another_domains_relay_state_is_refused(
    saml_domain, idp, alice, verified_domain
):
    """The certificate and the audience belong to one domain: a valid answer for acme cannot be spent on
    another domain that trusts the same identity provider."""
    acme = saml_domain()
    other = saml_domain("acme-labs.example.com")
    client = Client()
    request = start_sign_in(client, idp, other.domain)

    response = post_answer(client, other, answer(idp, acme, email=ALICE, in_response_to=request.id))

    assert_refused(client, response, 403, "meant for another service")


def test_a_deactivated_user_is_not_signed_in(saml_domain, idp, alice, caplog):
    User.objects.filter(pk=alice.pk).update(is_active=False)
    domain = saml_domain(jit_provisioning_enabled=True)
    client = Client()
    caplog.set_level(logging.INFO, logger="burrow.domains.saml")

    response = sign_in(client, idp, domain, email=ALICE)

    assert_refused(client, response, 403, "This account is disabled.")
    record = refusal_line(caplog)
    assert (record.reason, record.detail) == ("inactive_user", f"user {alice.pk}")


def test_a_refusal_without_the_librarys_words_logs_the_persons_message(saml_domain, idp, caplog):
    domain = saml_domain(jit_provisioning_enabled=False)
    caplog.set_level(logging.INFO, logger="burrow.domains.saml")

    sign_in(Client(), idp, domain, email="erin@acme.example.com")

    record = refusal_line(caplog)
    assert (record.reason, record.detail) == (
        "jit_not_enabled",
        "Automatic provisioning is not enabled for this domain.",
    )


def test_an_empty_address_attribute_falls_back_to_the_name_id(saml_domain, idp):
    domain = saml_domain(jit_provisioning_enabled=True)
    client = Client()

    response = sign_in(client, idp, domain, name_id="frank@acme.example.com", attributes={"email": None})

    assert response.status_code == 302 and signed_in_as(client).email == "frank@acme.example.com"


def test_a_response_without_an_address_is_refused(saml_domain, idp, caplog):
    domain = saml_domain(jit_provisioning_enabled=True)
    client = Client()
    caplog.set_level(logging.INFO, logger="burrow.domains.saml")

    response = sign_in(client, idp, domain, name_id="00u1opaque")

    assert_refused(client, response, 403, "did not send an e-mail address")
    record = refusal_line(caplog)
    assert (record.reason, record.detail) == ("saml_no_email", "no usable address")


def test_a_refusal_is_logged_with_its_reason(saml_domain, idp, alice, caplog):
    domain = saml_domain()
    caplog.set_level(logging.INFO, logger="burrow.domains.saml")

    sign_in(Client(), idp, domain, email=ALICE, audience="https://another-sp.example/")

    records = [r for r in caplog.records if r.getMessage() == "saml sign-in refused"]
    assert len(records) == 1
    assert (records[0].reason, records[0].relay_state) == ("saml_failed", str(domain.id))
    assert "is not a valid audience" in records[0].detail
    json.loads(logging.getLogger().handlers[0].formatter.format(records[0]))  # one JSON object, as shipped


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


BILLION_LAUGHS = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><r>&b;</r>'


@pytest.mark.parametrize(
    "saml_response",
    [
        None,
        "",
        "not base64 at all!!",
        "QUJD=====",
        _b64(b"\xff\xfe\x00garbage"),
        _b64(b"<not xml"),
        _b64(b"<html><body>hello</body></html>"),
        _b64(BILLION_LAUGHS),
        _b64(b'<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" Version="2.0"/>'),
        _b64(b'<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="x" Version="2.0">'),
    ],
)
def test_garbage_at_the_acs_gets_a_page_never_a_500(saml_domain, saml_response):
    domain = saml_domain()
    client = Client(raise_request_exception=False)
    data = {"RelayState": str(domain.id)} | (
        {"SAMLResponse": saml_response} if saml_response is not None else {}
    )

    response = client.post(ACS, data)

    assert response.status_code in (400, 403), response.content
    assert signed_in_as(client) is None


def test_a_response_that_is_no_saml_is_unreadable_and_logged_by_its_error_type(saml_domain, caplog):
    domain = saml_domain()
    client = Client()
    start_sign_in(client, FakeIdP())
    caplog.set_level(logging.INFO, logger="burrow.domains.saml")

    response = client.post(ACS, {"RelayState": str(domain.id), "SAMLResponse": _b64(b"<not xml")})

    assert_refused(client, response, 400, UNREADABLE)
    record = refusal_line(caplog)
    assert record.reason == "saml_unreadable" and record.detail.endswith("Error")


@pytest.mark.parametrize(
    "relay_state", ["", "garbage", "00000000-0000-0000-0000-000000000000", "' OR 1=1 --"]
)
def test_an_unknown_relay_state_is_refused_with_the_reference_message(saml_domain, idp, alice, relay_state):
    domain = saml_domain()
    client = Client()

    response = post_answer(client, domain, answer(idp, domain, email=ALICE), relay_state=relay_state or " ")

    assert_refused(client, response, 400, "Authentication request is invalid. Invalid RelayState.")


def test_the_acs_answers_only_posts():
    assert Client().get(ACS).status_code == 405


def test_a_domain_whose_sso_url_cannot_be_used_says_so(saml_domain):
    saml_domain(saml_acs_url="idp.example.test/sso")  # saved before the API validated it

    response = Client().get("/login/saml/", {"email": ALICE})

    assert response.status_code == 400
    assert "The SAML settings of this domain cannot be used" in response.content.decode()


def test_a_domain_whose_settings_broke_during_a_sign_in_says_so(saml_domain, idp, alice, caplog):
    domain = saml_domain()
    client = Client()
    request = start_sign_in(client, idp)
    saml_response = answer(idp, domain, email=ALICE, in_response_to=request.id)
    type(domain).objects.filter(pk=domain.pk).update(saml_acs_url="idp.example.test/sso")
    caplog.set_level(logging.INFO, logger="burrow.domains.saml")

    response = post_answer(client, domain, saml_response)

    assert response.status_code == 400 and signed_in_as(client) is None
    assert "The SAML settings of this domain cannot be used" in response.content.decode()
    record = refusal_line(caplog)
    assert record.reason == "saml_misconfigured" and record.detail


@pytest.mark.django_db(transaction=True)
def test_two_workers_receiving_the_same_response_at_once_sign_in_once(saml_domain, idp, alice):
    """Each thread has its own database connection, as two server processes do: the unique index on used
    assertions, not memory, decides which one wins."""
    import threading

    from django.db import connection

    domain = saml_domain()
    request = start_sign_in(started := Client(), idp)
    saml_response = answer(idp, domain, email=ALICE, in_response_to=request.id)
    pending = started.cookies[PENDING_COOKIE].value
    barrier = threading.Barrier(4)
    statuses: list[int] = []

    def worker() -> None:
        try:
            barrier.wait()
            browser = Client()
            browser.cookies[PENDING_COOKIE] = pending  # four copies of one browser's post
            statuses.append(post_answer(browser, domain, saml_response).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert sorted(statuses) == [302, 403, 403, 403]
