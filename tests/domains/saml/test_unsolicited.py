"""Login CSRF through SAML: a response is accepted only as the answer to a sign-in this browser started. An
IdP-initiated (unsolicited) response, an answer to a request started in another browser, and a response that
does not say where it was sent (no Destination) sign nobody in, whoever signed them."""

# The fake IdP and the domain fixtures come from test_saml.py; pytest finds them by the names imported here.
# ruff: noqa: F811

import pytest
from django.test import Client

from burrow.core.models import User
from burrow.domains.saml.services import CROSS_SITE_START, NO_DESTINATION, UNSOLICITED
from tests.domains.saml.test_login import (  # noqa: F401
    DOMAIN,
    answer,
    idp,
    post_answer,
    saml_domain,
    signed_in_as,
    start_sign_in,
)
from tests.domains.saml.test_refusals import assert_refused, refusal_line

pytestmark = pytest.mark.django_db

ATTACKER = f"mallory@{DOMAIN}"


@pytest.fixture
def attacker(db) -> User:
    """The attacker's own account at a domain they verified, with an identity provider they control."""
    return User.objects.create_user(email=ATTACKER, password=None)


def test_an_idp_initiated_response_signs_nobody_in(saml_domain, idp, attacker, caplog):
    domain = saml_domain(jit_provisioning_enabled=True)
    victim = Client()
    caplog.set_level("INFO", logger="burrow.domains.saml")

    response = post_answer(victim, domain, answer(idp, domain, email=ATTACKER))

    assert_refused(victim, response, 403, UNSOLICITED)
    record = refusal_line(caplog)
    assert (record.reason, record.detail) == ("saml_unsolicited", "no sign-in pending in this browser")


def test_an_unsolicited_response_is_refused_even_while_this_browser_has_a_sign_in_pending(
    saml_domain, idp, attacker
):
    domain = saml_domain()
    victim = Client()
    start_sign_in(victim, idp)

    response = post_answer(victim, domain, answer(idp, domain, email=ATTACKER))

    assert_refused(victim, response, 403, UNSOLICITED)


def test_an_answer_to_a_request_started_in_another_browser_is_refused(saml_domain, idp, attacker):
    domain = saml_domain()
    request = start_sign_in(Client(), idp)  # the attacker's own browser
    saml_response = answer(idp, domain, email=ATTACKER, in_response_to=request.id)
    victim, victim_with_a_sign_in_of_their_own = Client(), Client()
    start_sign_in(victim_with_a_sign_in_of_their_own, idp)

    for browser, words in ((victim, UNSOLICITED), (victim_with_a_sign_in_of_their_own, "another sign-in")):
        response = post_answer(browser, domain, saml_response)
        assert_refused(browser, response, 403, words)


def test_a_sign_in_started_for_one_domain_does_not_vouch_for_an_answer_about_another(
    saml_domain, idp, caplog
):
    caplog.set_level("INFO", logger="burrow.domains.saml")
    acme = saml_domain()
    other = saml_domain("acme-labs.example.com")
    User.objects.create_user(email="bob@acme-labs.example.com", password=None)
    browser = Client()
    request = start_sign_in(browser, idp, acme.domain)

    response = post_answer(
        browser, other, answer(idp, other, email="bob@acme-labs.example.com", in_response_to=request.id)
    )

    assert_refused(browser, response, 403, "another sign-in")
    record = refusal_line(caplog)
    assert (record.reason, record.detail) == ("saml_unsolicited", "the pending sign-in is for another domain")


def test_a_response_without_a_destination_is_refused(saml_domain, idp, attacker):
    domain = saml_domain()
    browser = Client()
    request = start_sign_in(browser, idp)

    response = post_answer(
        browser, domain, answer(idp, domain, email=ATTACKER, in_response_to=request.id, destination=None)
    )

    assert_refused(browser, response, 403, NO_DESTINATION)


def test_a_sign_in_started_here_still_signs_in(saml_domain, idp, attacker):
    domain = saml_domain()
    browser = Client()
    request = start_sign_in(browser, idp)

    response = post_answer(browser, domain, answer(idp, domain, email=ATTACKER, in_response_to=request.id))

    assert response.status_code == 302 and signed_in_as(browser) == attacker


@pytest.mark.parametrize("fetch_site", ["cross-site", "same-site"])
def test_another_site_cannot_start_a_sign_in_in_this_browser(saml_domain, fetch_site):
    """Otherwise the attacker's page sends the victim to /login/saml/?email=<attacker's address>, the
    attacker's identity provider receives the request and answers it at once, and the answer matches the
    started sign-in."""
    saml_domain()
    victim = Client()

    response = victim.get("/login/saml/", {"email": ATTACKER}, HTTP_SEC_FETCH_SITE=fetch_site)

    assert response.status_code == 403 and CROSS_SITE_START in response.content.decode()
    assert "burrow_saml_request" not in response.cookies


@pytest.mark.parametrize("fetch_site", ["same-origin", "none"])
def test_a_sign_in_started_from_burrows_pages_or_typed_in_goes_ahead(saml_domain, idp, fetch_site):
    saml_domain()

    response = Client().get("/login/saml/", {"email": ATTACKER}, HTTP_SEC_FETCH_SITE=fetch_site)

    assert response.status_code == 302 and idp.read_request(response["Location"]).id
    assert response.cookies["burrow_saml_request"].value
