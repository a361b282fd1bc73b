"""A signed-in person's session goes through the same tenancy and permission checks as a personal API key
(same 403/404 answers on another organization's resources, the organization level still applies), and
every write by session needs the CSRF token."""

import json

import pytest
from django.test import Client

from burrow.core.bootstrap import join_organization
from tests.domains.conftest import PASSWORD
from tests.factories import make
from tests.helpers import error

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]


def browser_for(user) -> Client:
    """A browser signed in as `user` (through /api/login) that is held to CSRF like a real one."""
    user.set_password(PASSWORD)
    user.save()
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/api/login", json.dumps({"email": user.email, "password": PASSWORD}), content_type="application/json"
    )
    assert response.status_code == 200
    return client


def csrf(client: Client) -> dict:
    return {"HTTP_X_CSRFTOKEN": client.cookies["csrftoken"].value}


def send(client, method: str, url: str, body: dict | None = None, **extra):
    if method == "get":
        return client.get(url, **extra)
    return getattr(client, method)(url, json.dumps(body or {}), content_type="application/json", **extra)


def test_a_session_gets_the_same_answers_as_a_key_on_another_organizations_resources(tenant, other_tenant):
    session = browser_for(tenant.user)
    theirs = make("subscriptions.Subscription", other_tenant)
    their_domain = make("domains.OrganizationDomain", other_tenant)
    requests = [
        ("get", f"/api/projects/{other_tenant.project.id}/subscriptions/"),
        ("get", f"/api/environments/{other_tenant.team.id}/subscriptions/{theirs.id}/"),
        (
            "patch",
            f"/api/projects/{other_tenant.project.id}/subscriptions/{theirs.id}/",
            {"title": "mine now"},
        ),
        ("get", f"/api/projects/{tenant.project.id}/subscriptions/{theirs.id}/"),
        ("get", f"/api/organizations/{other_tenant.organization.id}/domains/"),
        (
            "patch",
            f"/api/organizations/{other_tenant.organization.id}/domains/{their_domain.id}/",
            {"saml_entity_id": "x"},
        ),
        ("get", f"/api/organizations/{tenant.organization.id}/domains/{their_domain.id}/"),
        ("delete", f"/api/organizations/{tenant.organization.id}/domains/{their_domain.id}/"),
    ]
    for method, url, *body in requests:
        by_key = send(tenant.client, method, url, *body)
        by_session = send(session, method, url, *body, **csrf(session))
        assert by_key.status_code in (403, 404), (method, url, by_key.status_code)
        assert (by_session.status_code, by_session.json()) == (by_key.status_code, by_key.json()), (
            method,
            url,
        )
    theirs.refresh_from_db()
    their_domain.refresh_from_db()
    assert theirs.title != "mine now" and their_domain.saml_entity_id != "x"


def test_a_sessions_organization_level_applies(tenant):
    member = join_organization("member@example.com", tenant.organization, "member", ["*"])
    session = browser_for(member.user)
    domain = make("domains.OrganizationDomain", tenant)
    url = f"/api/organizations/{tenant.organization.id}/domains/{domain.id}/"
    assert session.get(url).status_code == 200
    refused = session.patch(
        url, json.dumps({"saml_entity_id": "x"}), content_type="application/json", **csrf(session)
    )
    assert error(refused, 403)["detail"] == "Your organization access level is insufficient."


def test_session_writes_need_the_csrf_token(tenant):
    session = browser_for(tenant.user)
    domain = make("domains.OrganizationDomain", tenant)
    url = f"/api/organizations/{tenant.organization.id}/domains/{domain.id}/"
    body = json.dumps({"saml_entity_id": "urn:example:idp"})
    refused = session.patch(url, body, content_type="application/json")
    assert error(refused, 403) == {
        "type": "authentication_error",
        "code": "permission_denied",
        "detail": "CSRF Failed: CSRF token missing.",
        "attr": None,
    }
    domain.refresh_from_db()
    assert domain.saml_entity_id != "urn:example:idp"
    wrong = session.patch(url, body, content_type="application/json", HTTP_X_CSRFTOKEN="x" * 64)
    assert error(wrong, 403)["detail"].startswith("CSRF Failed")
    done = session.patch(url, body, content_type="application/json", **csrf(session))
    assert done.status_code == 200 and done.json()["saml_entity_id"] == "urn:example:idp"


def test_session_creates_need_the_csrf_token_and_create_nothing_without_it(tenant):
    from burrow.domains.models import OrganizationDomain

    session = browser_for(tenant.user)
    url = f"/api/organizations/{tenant.organization.id}/domains/"
    body = json.dumps({"domain": "by-session.example.com"})
    refused = session.post(url, body, content_type="application/json")
    assert refused.status_code == 403
    assert not OrganizationDomain.objects.filter(domain="by-session.example.com").exists()
    done = session.post(url, body, content_type="application/json", **csrf(session))
    assert done.status_code == 201, done.content


def test_session_reads_need_no_csrf_token(tenant):
    session = browser_for(tenant.user)
    assert session.get(f"/api/organizations/{tenant.organization.id}/domains/").status_code == 200
    assert session.get(tenant.url("subscriptions/")).status_code == 200


def test_a_key_needs_no_csrf_token_even_beside_a_session(tenant):
    """A script's key is not a browser's ambient credential: the key wins and CSRF does not apply."""
    session = browser_for(tenant.user)
    domain = make("domains.OrganizationDomain", tenant)
    url = f"/api/organizations/{tenant.organization.id}/domains/{domain.id}/"
    response = session.patch(
        url,
        json.dumps({"saml_entity_id": "urn:by:key"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {tenant.key}",
    )
    assert response.status_code == 200


def test_csrf_protection_does_not_change_the_apis_answers_to_scripts(tenant):
    """A script posting to an unknown API route still gets the 404 envelope, not a CSRF page."""
    script = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {tenant.key}")
    response = script.post("/api/no-such-thing/", json.dumps({}), content_type="application/json")
    assert error(response, 404) == {
        "type": "invalid_request",
        "code": "not_found",
        "detail": "Endpoint not found.",
        "attr": None,
    }
