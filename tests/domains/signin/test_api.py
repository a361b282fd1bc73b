"""Sign-in over the API: `POST /api/login` (PostHog's answers, SSO enforcement before the password, the
failed-attempt throttle), `POST /api/logout` and `GET /api/users/@me/` for a session or a key."""

import json
import subprocess
import sys
from ipaddress import ip_network

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.test import Client

from burrow.core.models import User
from burrow.domains.signin.attempts.models import LoginFailureWindow
from tests.domains.conftest import PASSWORD
from tests.helpers import error
from tests.shell.test_settings import fresh_env

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]

INVALID = {
    "type": "validation_error",
    "code": "invalid_credentials",
    "detail": "Invalid email or password.",
    "attr": None,
}


def login(
    client,
    email: str,
    password: str = PASSWORD,
    address: str = "198.51.100.1",
    forwarded_for: str | None = None,
):
    meta = {"HTTP_X_FORWARDED_FOR": forwarded_for} if forwarded_for is not None else {}
    return client.post(
        "/api/login",
        json.dumps({"email": email, "password": password}),
        content_type="application/json",
        REMOTE_ADDR=address,
        **meta,
    )


def signed_in_client(person) -> Client:
    """A browser that signed in: it enforces CSRF as a real one would be held to."""
    client = Client(enforce_csrf_checks=True)
    assert login(client, person.email).status_code == 200
    return client


def test_login_answers_success_and_sets_a_session_cookie(person):
    client = Client()
    response = login(client, person.email)
    assert response.status_code == 200
    assert response.json() == {"success": True}
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert not cookie["secure"]  # the test site is http://
    me = client.get("/api/users/@me/")
    assert me.status_code == 200 and me.json()["email"] == person.email


def test_the_session_cookie_is_secure_when_the_site_is_https(person, settings):
    settings.SESSION_COOKIE_SECURE = True
    assert login(Client(), person.email).cookies["sessionid"]["secure"]


def test_https_site_url_turns_secure_cookies_on():
    code = "import burrow.settings as s; print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE)"
    for site, expected in (
        ("https://burrow.example.com", "True True"),
        ("http://127.0.0.1:8000", "False False"),
    ):
        done = subprocess.run(
            [sys.executable, "-c", code],
            env=fresh_env(BURROW_SITE_URL=site, BURROW_SECRET_KEY="x"),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.stdout.strip() == expected, done.stderr


def test_login_rotates_the_session_key(person):
    client = Client()
    client.get("/login")  # an anonymous session could have been planted before sign-in
    session = client.session
    session["planted"] = True
    session.save()
    planted = session.session_key
    login(client, person.email)
    assert client.cookies["sessionid"].value != planted


def test_email_is_case_insensitive(person):
    assert login(Client(), person.email.upper()).status_code == 200


@pytest.mark.parametrize("password", ["wrong horse", PASSWORD.upper(), f" {PASSWORD}"])
def test_wrong_password_is_invalid_credentials(person, password):
    response = login(Client(), person.email, password)
    assert error(response, 400) == INVALID
    assert "sessionid" not in response.cookies


def test_unknown_email_gets_the_same_answer(person):
    assert error(login(Client(), "nobody@example.com"), 400) == INVALID


def test_users_without_a_password_cannot_password_login(person):
    """People who sign in through their identity provider have no usable password."""
    person.set_unusable_password()
    person.save()
    assert error(login(Client(), person.email, ""), 400)["code"] == "blank"
    assert error(login(Client(), person.email, "!"), 400) == INVALID


def test_inactive_users_are_refused(person):
    User.objects.filter(pk=person.pk).update(is_active=False)
    assert error(login(Client(), person.email), 400) == INVALID


def test_an_inactive_users_session_stops_working(person):
    client = signed_in_client(person)
    User.objects.filter(pk=person.pk).update(is_active=False)
    assert error(client.get("/api/users/@me/"), 401)["code"] == "not_authenticated"


def test_missing_and_malformed_fields_are_validation_errors(person):
    client = Client()
    missing = client.post("/api/login", {}, content_type="application/json")
    assert error(missing, 400) == {
        "type": "validation_error",
        "code": "required",
        "detail": "This field is required.",
        "attr": "email",
    }
    no_password = client.post("/api/login", {"email": person.email}, content_type="application/json")
    assert error(no_password, 400)["attr"] == "password"
    bad_email = client.post(
        "/api/login", {"email": "not-an-email", "password": "x"}, content_type="application/json"
    )
    assert error(bad_email, 400) == {
        "type": "validation_error",
        "code": "invalid_input",
        "detail": "Enter a valid email address.",
        "attr": "email",
    }


def test_sso_enforcement_refuses_before_the_password_is_checked(person, verified_domain):
    person.email = "someone@verified.example.com"
    person.save()
    verified_domain(sso_enforcement="saml")
    expected = {
        "type": "validation_error",
        "code": "sso_enforced",
        "detail": "You can only login with SSO for this account (saml).",
        "attr": None,
    }
    # The right password, a wrong one, and an account that does not exist: one answer, nothing counted.
    assert error(login(Client(), person.email), 400) == expected
    assert error(login(Client(), person.email, "wrong"), 400) == expected
    assert error(login(Client(), "ghost@verified.example.com", "wrong"), 400) == expected
    assert not LoginFailureWindow.objects.exists()


def test_enforcement_of_an_unverified_claim_is_ignored(person, tenant):
    from burrow.domains.models import OrganizationDomain

    person.email = "someone@claimed.example.com"
    person.save()
    OrganizationDomain.objects.create(
        organization=tenant.organization, domain="claimed.example.com", sso_enforcement="saml"
    )
    assert login(Client(), person.email).status_code == 200


def test_failed_logins_are_throttled_per_email(person, settings):
    settings.LOGIN_ATTEMPTS = 3
    for n in range(3):
        assert login(Client(), person.email, "wrong", address=f"198.51.100.{n}").status_code == 400
    refused = login(Client(), person.email, address="198.51.100.99")  # even the right password, elsewhere
    assert refused.status_code == 429
    assert 890 <= int(refused["Retry-After"]) <= 900
    assert error(refused, 429) == {
        "type": "throttled_error",
        "code": "throttled",
        "detail": f"Request was throttled. Expected available in {refused['Retry-After']} seconds.",
        "attr": None,
    }
    assert "sessionid" not in refused.cookies
    # Another address from the same client is not held back by this address's failures.
    assert login(Client(), "nobody@example.com", "wrong", address="198.51.100.0").status_code == 400


def test_failed_logins_are_throttled_per_client_address(person, settings):
    settings.LOGIN_ATTEMPTS = 3
    for n in range(3):
        assert login(Client(), f"guess{n}@example.com", "wrong").status_code == 400
    assert login(Client(), person.email).status_code == 429
    assert login(Client(), person.email, address="198.51.100.2").status_code == 200


def test_visitors_behind_a_trusted_proxy_have_windows_of_their_own(person, settings):
    settings.LOGIN_ATTEMPTS = 3
    settings.TRUSTED_PROXIES = (ip_network("10.0.0.0/24"),)
    for n in range(3):
        assert login(Client(), f"guess{n}@example.com", "wrong", "10.0.0.1", "203.0.113.5").status_code == 400
    assert login(Client(), person.email, address="10.0.0.2", forwarded_for="203.0.113.5").status_code == 429
    # The guesser's own X-Forwarded-For (the proxy appends the address it saw) opens no new window...
    spoofed = login(Client(), person.email, address="10.0.0.1", forwarded_for="192.0.2.9, 203.0.113.5")
    assert spoofed.status_code == 429
    # ...and another visitor behind the same proxy still signs in.
    assert login(Client(), person.email, address="10.0.0.1", forwarded_for="203.0.113.6").status_code == 200


def test_x_forwarded_for_from_an_untrusted_peer_is_ignored(person, settings):
    settings.LOGIN_ATTEMPTS = 3
    settings.TRUSTED_PROXIES = (ip_network("10.0.0.0/24"),)
    for n in range(3):
        assert (
            login(Client(), f"guess{n}@example.com", "wrong", forwarded_for=f"203.0.113.{n}").status_code
            == 400
        )
    assert login(Client(), person.email, forwarded_for="203.0.113.99").status_code == 429


def test_successful_logins_are_not_counted(person, settings):
    settings.LOGIN_ATTEMPTS = 2
    for _ in range(5):
        assert login(Client(), person.email).status_code == 200
    assert login(Client(), person.email, "wrong").status_code == 400
    assert login(Client(), person.email).status_code == 200


def test_the_window_is_configurable(person, settings):
    settings.LOGIN_ATTEMPTS = 1
    settings.LOGIN_ATTEMPTS_WINDOW = 60
    login(Client(), person.email, "wrong")
    refused = login(Client(), person.email)
    assert refused.status_code == 429 and 50 <= int(refused["Retry-After"]) <= 60


def test_windows_store_neither_email_nor_address(person):
    login(Client(), person.email, "wrong", address="198.51.100.77")
    buckets = " ".join(LoginFailureWindow.objects.values_list("bucket", flat=True))
    assert person.email not in buckets and "198.51.100.77" not in buckets


def test_login_logs_never_contain_the_password(person, caplog):
    caplog.set_level("INFO", logger="burrow.signin")
    login(Client(), person.email, "wrong-secret-guess")
    login(Client(), person.email)
    events = [(r.getMessage(), getattr(r, "email", None)) for r in caplog.records]
    assert ("login failed", person.email) in events and ("login succeeded", person.email) in events
    assert "wrong-secret-guess" not in caplog.text and PASSWORD not in caplog.text


def test_sign_in_and_out_are_logged_with_who_and_from_where(person, caplog):
    caplog.set_level("INFO", logger="burrow.signin")
    client = Client()
    login(client, person.email, address="198.51.100.7")
    client.post("/api/logout", HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value, REMOTE_ADDR="198.51.100.8")
    Client().post("/api/logout")  # nobody was signed in: nothing to log
    events = [(r.getMessage(), r.user_id, r.client_ip) for r in caplog.records if hasattr(r, "user_id")]
    assert events == [
        ("login succeeded", person.id, "198.51.100.7"),
        ("logout", person.id, "198.51.100.8"),
    ]


def test_a_form_login_over_the_api_needs_the_csrf_token(person):
    """A cross-site page can post a form (not JSON) to /api/login: it must not sign a visitor in."""
    client = Client(enforce_csrf_checks=True)
    refused = client.post(
        "/api/login", {"email": person.email, "password": PASSWORD}, REMOTE_ADDR="198.51.100.1"
    )
    assert error(refused, 403) == {
        "type": "authentication_error",
        "code": "permission_denied",
        "detail": "CSRF Failed: CSRF cookie not set.",
        "attr": None,
    }
    client.get("/login")
    token = client.cookies["csrftoken"].value
    done = client.post(
        "/api/login", {"email": person.email, "password": PASSWORD, "csrfmiddlewaretoken": token}
    )
    assert done.status_code == 200 and done.json() == {"success": True}


def test_logout_ends_the_session(person):
    client = signed_in_client(person)
    # Signing in rotates the CSRF token and hands the browser the new one (Django's login()).
    response = client.post("/api/logout", HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value)
    assert response.status_code == 204 and response.content == b""
    assert error(client.get("/api/users/@me/"), 401)["code"] == "not_authenticated"


def test_logout_without_the_csrf_token_is_refused(person):
    client = signed_in_client(person)
    refused = client.post("/api/logout")
    assert error(refused, 403)["detail"] == "CSRF Failed: CSRF token missing."
    assert client.get("/api/users/@me/").status_code == 200


def test_me_by_session_and_by_key(tenant, person):
    by_session = signed_in_client(person).get("/api/users/@me/")
    by_key = tenant.client.get("/api/users/@me/")
    assert by_session.status_code == by_key.status_code == 200
    body = by_session.json()
    assert body == by_key.json()
    assert body["uuid"] == str(person.uuid) and body["email"] == person.email
    assert body["distinct_id"] == person.distinct_id
    assert body["organization"] == {
        "id": str(tenant.organization.id),
        "name": tenant.organization.name,
        "membership_level": 15,
    }
    assert body["team"] == {"id": tenant.team.id, "project_id": tenant.project.id, "name": tenant.team.name}
    assert body["organizations"] == [body["organization"]]
    assert set(body) == {
        "uuid",
        "distinct_id",
        "first_name",
        "last_name",
        "email",
        "is_email_verified",
        "organization",
        "team",
        "organizations",
    }


def test_me_without_credentials_is_401(db):
    assert error(Client().get("/api/users/@me/"), 401) == {
        "type": "authentication_error",
        "code": "not_authenticated",
        "detail": "Authentication credentials were not provided.",
        "attr": None,
    }


def test_me_needs_user_read_for_keys_but_ignores_project_scoping(tenant, key_client):
    refused = key_client(["subscription:read"]).get("/api/users/@me/")
    assert error(refused, 403)["detail"] == "API key missing required scope 'user:read'"
    scoped = key_client(["user:read"], scoped_teams=[tenant.team.id + 1000])
    assert scoped.get("/api/users/@me/").status_code == 200


class CountingHasher(MD5PasswordHasher):
    """Counts the password hashes computed, to prove every kind of failed sign-in costs the same work."""

    algorithm = "counting_md5"
    computed = 0

    def encode(self, password, salt):
        CountingHasher.computed += 1
        return super().encode(password, salt)


@pytest.mark.parametrize("who", ["known", "unknown", "without password", "inactive"])
def test_every_failed_login_costs_one_password_hash(person, settings, who):
    """No answer comes back faster for an address that has no account or no password: timing tells nothing."""
    settings.PASSWORD_HASHERS = [f"{__name__}.CountingHasher"]
    person.set_password(PASSWORD)
    if who == "without password":
        person.set_unusable_password()
    person.save()
    if who == "inactive":
        User.objects.filter(pk=person.pk).update(is_active=False)
    email = "nobody@example.com" if who == "unknown" else person.email
    CountingHasher.computed = 0
    assert error(login(Client(), email, "wrong password"), 400) == INVALID
    assert CountingHasher.computed == 1


def test_me_shows_the_current_organizations_project_and_every_organization(tenant, other_tenant, person):
    """A current project in another organization than the current one is not shown as current."""
    from burrow.core.models import OrganizationMembership

    OrganizationMembership.objects.create(organization=other_tenant.organization, user=person, level=1)
    User.objects.filter(pk=person.pk).update(
        current_organization=tenant.organization, current_team=other_tenant.team
    )
    body = signed_in_client(person).get("/api/users/@me/").json()
    assert body["organization"]["id"] == str(tenant.organization.id)
    assert body["team"]["id"] == tenant.team.id
    assert [(o["id"], o["membership_level"]) for o in body["organizations"]] == [
        (str(tenant.organization.id), 15),
        (str(other_tenant.organization.id), 1),
    ]
