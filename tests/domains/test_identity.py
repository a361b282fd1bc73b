"""SAML settings (validated; the certificate is parsed and never written to the activity log) and SCIM
provisioning settings (a token shown once, stored hashed, rotated)."""

import json

import pytest

from burrow.core.models import ActivityLog
from burrow.domains.models import OrganizationDomain
from burrow.domains.services import scim_token_matches
from tests.helpers import error

pytestmark = pytest.mark.django_db


def patch(tenant, domain_id, body):
    return tenant.client.patch(tenant.org_url(f"domains/{domain_id}/"), body, format="json")


def test_saml_settings_are_stored_and_has_saml_needs_all_three(tenant, certificate_pem):
    created = tenant.client.post(
        tenant.org_url("domains/"),
        {"domain": "saml.example.com", "saml_entity_id": "http://www.okta.com/exk1"},
        format="json",
    ).json()
    assert created["saml_entity_id"] == "http://www.okta.com/exk1" and created["has_saml"] is False
    response = patch(
        tenant,
        created["id"],
        {"saml_acs_url": "https://example.okta.com/app/burrow/sso/saml", "saml_x509_cert": certificate_pem},
    )
    assert response.status_code == 200, response.content
    assert response.json()["has_saml"] is True
    assert response.json()["saml_x509_cert"] == certificate_pem.strip()
    cleared = patch(tenant, created["id"], {"saml_x509_cert": ""}).json()
    assert cleared["has_saml"] is False and cleared["saml_x509_cert"] is None


def test_bare_base64_certificate_is_accepted(tenant, certificate_pem):
    bare = "".join(line for line in certificate_pem.splitlines() if "-----" not in line)
    response = tenant.client.post(
        tenant.org_url("domains/"), {"domain": "bare.example.com", "saml_x509_cert": bare}, format="json"
    )
    assert response.status_code == 201, response.content


@pytest.mark.parametrize(
    "bad",
    [
        "not a certificate",
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----",
        "-----BEGIN CERTIFICATE-----\n🦔\n-----END CERTIFICATE-----",
    ],
)
def test_invalid_certificate_is_refused_on_its_field(tenant, bad):
    response = tenant.client.post(
        tenant.org_url("domains/"), {"domain": "cert.example.com", "saml_x509_cert": bad}, format="json"
    )
    body = error(response)
    assert body["attr"] == "saml_x509_cert" and body["code"] == "invalid_input"
    assert "PEM" in body["detail"] and bad not in body["detail"]


def test_saml_sso_url_must_be_a_web_address(tenant):
    response = tenant.client.post(
        tenant.org_url("domains/"),
        {"domain": "acs.example.com", "saml_acs_url": "javascript:alert(1)"},
        format="json",
    )
    assert error(response)["attr"] == "saml_acs_url"


def test_certificate_is_never_echoed_in_the_activity_log(tenant, certificate_pem):
    created = tenant.client.post(
        tenant.org_url("domains/"),
        {"domain": "log.example.com", "saml_x509_cert": certificate_pem},
        format="json",
    ).json()
    patch(tenant, created["id"], {"saml_x509_cert": "", "saml_entity_id": "urn:idp"})
    patch(tenant, created["id"], {"saml_x509_cert": certificate_pem})
    entries = ActivityLog.objects.filter(scope="OrganizationDomain")
    dumped = json.dumps([entry.detail for entry in entries])
    body = "".join(line for line in certificate_pem.splitlines() if "-----" not in line)
    assert body[:40] not in dumped and "BEGIN CERTIFICATE" not in dumped
    changes = [c for e in entries for c in e.detail["changes"] if c["field"] == "SAML X.509 certificate"]
    assert {(c["before"], c["after"]) for c in changes} == {("masked", None), (None, "masked")}
    assert any(
        c["field"] == "SAML entity ID" and c["after"] == "urn:idp"
        for e in entries
        for c in e.detail["changes"]
    )


# SCIM


def test_enabling_scim_shows_the_token_once(tenant, verified_domain, settings):
    domain = verified_domain()
    response = patch(tenant, domain.id, {"scim_enabled": True})
    assert response.status_code == 200, response.content
    body = response.json()
    token = body["scim_bearer_token"]
    assert token and len(token) >= 40
    assert body["has_scim"] is True and body["scim_enabled"] is True
    assert body["scim_base_url"] == f"{settings.SITE_URL}/scim/v2/{domain.id}"
    stored = OrganizationDomain.objects.get(id=domain.id)
    assert token not in stored.scim_bearer_token_hash and scim_token_matches(stored, token)
    # Never again: not on read, not when `true` is sent again (which keeps the token).
    assert tenant.client.get(tenant.org_url(f"domains/{domain.id}/")).json()["scim_bearer_token"] is None
    again = patch(tenant, domain.id, {"scim_enabled": True}).json()
    assert again["scim_bearer_token"] is None
    assert scim_token_matches(OrganizationDomain.objects.get(id=domain.id), token)
    listed = json.dumps(tenant.client.get(tenant.org_url("domains/")).json())
    assert token not in listed
    logged = json.dumps([e.detail for e in ActivityLog.objects.all()])
    assert token not in logged and stored.scim_bearer_token_hash not in logged


def test_disabling_scim_forgets_the_token(tenant, verified_domain):
    domain = verified_domain()
    token = patch(tenant, domain.id, {"scim_enabled": True}).json()["scim_bearer_token"]
    body = patch(tenant, domain.id, {"scim_enabled": False}).json()
    assert body["has_scim"] is False and body["scim_base_url"] is None and body["scim_bearer_token"] is None
    assert not scim_token_matches(OrganizationDomain.objects.get(id=domain.id), token)
    assert patch(tenant, domain.id, {"scim_enabled": True}).json()["scim_bearer_token"] not in (None, token)


def test_rotating_the_scim_token_kills_the_old_one(tenant, verified_domain, settings):
    domain = verified_domain()
    old = patch(tenant, domain.id, {"scim_enabled": True}).json()["scim_bearer_token"]
    response = tenant.client.post(tenant.org_url(f"domains/{domain.id}/scim/token/"))
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"scim_enabled", "scim_base_url", "scim_bearer_token"}
    assert (
        body["scim_enabled"] is True and body["scim_base_url"] == f"{settings.SITE_URL}/scim/v2/{domain.id}"
    )
    new = body["scim_bearer_token"]
    assert new != old
    stored = OrganizationDomain.objects.get(id=domain.id)
    assert scim_token_matches(stored, new) and not scim_token_matches(stored, old)
    assert tenant.client.post(tenant.org_url(f"domains/{domain.id}/scim/token")).status_code == 200


def test_rotating_without_scim_enabled_is_refused(tenant, verified_domain):
    domain = verified_domain()
    assert error(tenant.client.post(tenant.org_url(f"domains/{domain.id}/scim/token/"))) == {
        "type": "validation_error",
        "code": "scim_not_enabled",
        "detail": "SCIM is not enabled for this domain",
        "attr": None,
    }


def test_a_token_matches_only_its_own_domain(tenant, other_tenant, verified_domain):
    mine = verified_domain("mine.example.com")
    theirs = verified_domain("theirs.example.com", org=other_tenant.organization)
    my_token = patch(tenant, mine.id, {"scim_enabled": True}).json()["scim_bearer_token"]
    other = other_tenant.client.patch(
        other_tenant.org_url(f"domains/{theirs.id}/"), {"scim_enabled": True}, format="json"
    )
    their_token = other.json()["scim_bearer_token"]
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert scim_token_matches(mine, my_token) and scim_token_matches(theirs, their_token)
    assert not scim_token_matches(mine, their_token) and not scim_token_matches(theirs, my_token)
    assert not scim_token_matches(mine, "")


def test_rotation_is_logged_without_the_token(tenant, verified_domain):
    domain = verified_domain()
    patch(tenant, domain.id, {"scim_enabled": True})
    new = tenant.client.post(tenant.org_url(f"domains/{domain.id}/scim/token/")).json()["scim_bearer_token"]
    entry = ActivityLog.objects.filter(scope="OrganizationDomain").order_by("created_at").last()
    assert entry.detail["changes"] == [
        {
            "type": "OrganizationDomain",
            "action": "changed",
            "field": "SCIM bearer token",
            "before": "masked",
            "after": "masked",
        }
    ]
    assert new not in json.dumps(entry.detail)


def test_member_cannot_rotate_and_another_organization_cannot_see_the_token(
    tenant, other_tenant, member_client, verified_domain
):
    domain = verified_domain()
    patch(tenant, domain.id, {"scim_enabled": True})
    url = tenant.org_url(f"domains/{domain.id}/scim/token/")
    assert (
        error(member_client("member").post(url), 403)["detail"]
        == "Your organization access level is insufficient."
    )
    assert error(other_tenant.client.post(url), 403)
    assert error(other_tenant.client.post(other_tenant.org_url(f"domains/{domain.id}/scim/token/")), 404)
