"""The `/login` and `/logout` pages: CSRF-protected forms over the API's sign-in, `next` kept only when it is
a path on this site, SSO shown for addresses whose verified domain has SAML, the share pages' headers; and
the forms that existed before CSRF protection (share unlock, one-click unsubscribe) still work."""

import re
import subprocess
import sys

import pytest
from django.contrib.auth.hashers import make_password
from django.test import Client

from burrow.core.pages import CONTENT_SECURITY_POLICY
from tests.domains.conftest import PASSWORD
from tests.factories import make

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]


@pytest.fixture
def browser() -> Client:
    return Client(enforce_csrf_checks=True)


def form_token(page) -> str:
    found = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content)
    assert found, page.content
    return found.group(1).decode()


def sign_in(browser: Client, email: str, password: str = PASSWORD, next_path: str | None = None, **extra):
    page = browser.get("/login" + (f"?next={next_path}" if next_path else ""))
    data = {"email": email, "password": password, "csrfmiddlewaretoken": form_token(page)}
    if next_path is not None:
        data["next"] = next_path
    return browser.post("/login", data, **extra)


def test_the_login_page_is_a_form_with_the_share_pages_headers(browser):
    page = browser.get("/login")
    assert page.status_code == 200
    assert b'<form class="signin-card" method="post"' in page.content
    assert form_token(page) and browser.cookies["csrftoken"].value
    assert page["Content-Security-Policy"] == CONTENT_SECURITY_POLICY.format(ancestors="'none'")
    assert page["X-Frame-Options"] == "DENY"
    assert page["Cache-Control"] == "no-store"
    # Not no-referrer: a browser would post the form with `Origin: null`, which the CSRF check refuses.
    assert page["Referrer-Policy"] == "same-origin"
    assert b"<script>" not in page.content and b"style=" not in page.content  # the CSP allows neither


def test_signing_in_goes_to_next_with_a_working_session(browser, person):
    response = sign_in(browser, person.email, next_path="/dashboard/1?utm_source=mail")
    assert response.status_code == 303 and response["Location"] == "/dashboard/1?utm_source=mail"
    assert browser.get("/api/users/@me/").json()["email"] == person.email


def test_without_next_sign_in_leads_to_the_members_home(browser, person):
    response = sign_in(browser, person.email)
    assert response.status_code == 303 and response["Location"] == "/"
    assert browser.get("/login")["Location"] == "/"  # signed in already: nothing to fill in


@pytest.mark.parametrize(
    "next_path",
    [
        "//evil.com",
        "https://evil.com",
        "/\\evil.com",
        "\\\\evil.com",
        "/\t/evil.com",
        "http:/evil.com",
        "javascript:alert(1)",
        "evil.com",
        "///evil.com",
    ],
)
def test_next_off_site_is_ignored(browser, person, next_path):
    page = browser.get("/login", {"next": next_path})
    assert b"evil" not in page.content and b"javascript" not in page.content
    response = browser.post(
        "/login",
        {
            "email": person.email,
            "password": PASSWORD,
            "next": next_path,
            "csrfmiddlewaretoken": form_token(page),
        },
    )
    assert response.status_code == 303 and response["Location"] == "/"
    # Signed in already: an off-site next leads home, never off-site.
    again = browser.get("/login", {"next": next_path})
    assert again.status_code == 302 and again["Location"] == "/"


def test_a_signed_in_visitor_is_sent_on_to_a_safe_next(browser, person):
    sign_in(browser, person.email)
    response = browser.get("/login", {"next": "/insights/abc"})
    assert response.status_code == 302 and response["Location"] == "/insights/abc"


def test_the_login_form_needs_its_csrf_token(browser, person):
    refused = browser.post("/login", {"email": person.email, "password": PASSWORD})
    assert refused.status_code == 403
    assert b"This form has expired" in refused.content
    assert refused["Content-Security-Policy"].startswith("default-src 'none'")
    assert browser.get("/api/users/@me/").status_code == 401


def test_the_form_posted_as_a_browser_posts_it_passes_the_origin_check(browser, person):
    """Browsers send Origin with a form post: this site's passes, another site's (or `null`) does not."""
    page = browser.get("/login")
    data = {"email": person.email, "password": PASSWORD, "csrfmiddlewaretoken": form_token(page)}
    assert browser.post("/login", data, HTTP_ORIGIN="null").status_code == 403
    assert browser.post("/login", data, HTTP_ORIGIN="https://evil.example").status_code == 403
    assert browser.post("/login", data, HTTP_ORIGIN="http://testserver").status_code == 303


def test_the_sites_public_address_is_a_trusted_origin(browser, person, settings):
    """Behind a TLS-terminating proxy Burrow sees http while the browser's Origin is the public https one."""
    settings.CSRF_TRUSTED_ORIGINS = ["https://burrow.example.com"]
    page = browser.get("/login")
    data = {"email": person.email, "password": PASSWORD, "csrfmiddlewaretoken": form_token(page)}
    assert browser.post("/login", data, HTTP_ORIGIN="https://burrow.example.com").status_code == 303


def test_trusted_origins_come_from_the_site_url():
    from tests.shell.test_settings import fresh_env

    code = "import burrow.settings as s; print(s.CSRF_TRUSTED_ORIGINS)"
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=fresh_env(BURROW_SITE_URL="https://burrow.example.com:8443/", BURROW_SECRET_KEY="x"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.stdout.strip() == "['https://burrow.example.com:8443']", done.stderr


def test_wrong_password_shows_the_reference_message(browser, person):
    response = sign_in(browser, person.email, "wrong")
    assert response.status_code == 400
    assert b"Invalid email or password." in response.content
    assert f'value="{person.email}"'.encode() in response.content  # the address is kept for another try
    assert browser.get("/api/users/@me/").status_code == 401


def test_the_page_is_throttled_like_the_api(browser, person, settings):
    settings.LOGIN_ATTEMPTS = 2
    for _ in range(2):
        assert sign_in(browser, person.email, "wrong").status_code == 400
    refused = sign_in(browser, person.email)
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 800
    assert b"Too many failed sign-ins. Try again in 15 minutes." in refused.content


@pytest.fixture
def saml_domain(verified_domain, certificate_pem):
    def make_domain(**fields):
        return verified_domain(
            saml_entity_id="https://idp.example.com/entity",
            saml_acs_url="https://idp.example.com/sso",
            saml_x509_cert=certificate_pem,
            **fields,
        )

    return make_domain


def test_continue_with_sso_when_the_domain_has_saml(browser, saml_domain):
    saml_domain()
    page = browser.get("/login", {"email": "ada@verified.example.com"})
    assert b'href="/login/saml/?email=ada%40verified.example.com">Continue with SSO' in page.content
    assert b'name="password"' in page.content  # SAML offered, passwords still allowed
    # Typing only the address and submitting finds the SSO option too.
    answer = browser.post(
        "/login", {"email": "ada@verified.example.com", "csrfmiddlewaretoken": form_token(page)}
    )
    assert answer.status_code == 200 and b"Continue with SSO" in answer.content
    assert b"Continue with SSO" not in browser.get("/login", {"email": "ada@elsewhere.example.com"}).content


def test_the_sso_enforced_message(browser, person, saml_domain):
    person.email = "ada@verified.example.com"
    person.save()
    saml_domain(sso_enforcement="saml")
    page = browser.get("/login", {"email": person.email})
    assert b"You can only login with SSO for this account (saml)." in page.content
    assert b'name="password"' not in page.content and b"Continue with SSO" in page.content
    refused = sign_in(browser, person.email)
    assert (
        refused.status_code == 400
        and b"You can only login with SSO for this account (saml)." in refused.content
    )
    assert browser.get("/api/users/@me/").status_code == 401


def test_sso_errors_are_shown_in_words_and_never_echoed(browser):
    page = browser.get("/login", {"error_code": "jit_not_enabled"})
    assert b"does not support automatic enrollment" in page.content
    odd = browser.get("/login", {"error_code": "<b>call 555-0100</b>"})
    assert b"Signing in with SSO did not work" in odd.content and b"555-0100" not in odd.content


def test_logout_asks_then_signs_out_on_post(browser, person):
    sign_in(browser, person.email)
    page = browser.get("/logout")
    assert page.status_code == 200 and b"Sign out?" in page.content
    assert browser.get("/api/users/@me/").status_code == 200  # a GET signs nobody out
    assert browser.post("/logout").status_code == 403  # another site cannot sign visitors out
    done = browser.post("/logout", {"csrfmiddlewaretoken": form_token(page)})
    assert done.status_code == 303 and done["Location"] == "/login"
    assert browser.get("/api/users/@me/").status_code == 401
    assert browser.get("/logout")["Location"] == "/login"


def test_the_share_unlock_form_still_works_with_csrf_protection_on(browser, tenant):
    dashboard = make("analytics.Dashboard", tenant)
    config = make("sharing.SharingConfiguration", tenant, dashboard=dashboard, password_required=True)
    make(
        "sharing.SharePassword",
        tenant,
        sharing_configuration=config,
        password_hash=make_password("open sesame"),
    )
    unlock = browser.get(f"/shared/{config.access_token}")
    assert unlock.status_code == 200
    response = browser.post(f"/shared/{config.access_token}", {"password": "open sesame"})
    assert response.status_code == 303 and browser.get(f"/shared/{config.access_token}").status_code == 200


def test_one_click_unsubscribe_needs_no_csrf_token(browser, tenant):
    """RFC 8058: the mail client POSTs on its own; the signed token is the authority."""
    from burrow.subscriptions.unsubscribe import make_unsubscribe_token

    subscription = make("subscriptions.Subscription", tenant, target_value="a@example.com,b@example.com")
    token = make_unsubscribe_token(subscription.id, "b@example.com")
    response = browser.post(
        f"/unsubscribe?token={token}",
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200 and response.json() == {"success": True}
    subscription.refresh_from_db()
    assert subscription.target_value == "a@example.com"
