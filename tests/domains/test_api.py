"""The organization-domains API: fields, validation messages, read-only fields, permissions and scopes."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from burrow.core.models import ActivityLog
from burrow.domains.models import OrganizationDomain
from tests.factories import make
from tests.helpers import error

pytestmark = pytest.mark.django_db

FIELDS = {
    "id",
    "domain",
    "is_verified",
    "verified_at",
    "verification_challenge",
    "jit_provisioning_enabled",
    "sso_enforcement",
    "has_saml",
    "saml_entity_id",
    "saml_acs_url",
    "saml_x509_cert",
    "has_scim",
    "scim_enabled",
    "scim_base_url",
    "scim_bearer_token",
}


def create(tenant, domain="example.com", **fields):
    return tenant.client.post(tenant.org_url("domains/"), {"domain": domain, **fields}, format="json")


def test_create_answers_201_with_an_unverified_domain_and_a_challenge(tenant):
    response = create(tenant, "posthog.example.com")
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == FIELDS
    assert body["domain"] == "posthog.example.com"
    assert body["is_verified"] is False and body["verified_at"] is None
    assert len(body["verification_challenge"]) == 43
    assert body["has_saml"] is False and body["has_scim"] is False
    assert body["scim_base_url"] is None and body["scim_bearer_token"] is None
    assert body["sso_enforcement"] == "" and body["jit_provisioning_enabled"] is False


def test_create_ignores_read_only_fields_and_settings_that_need_verification(tenant):
    response = create(
        tenant,
        "ignored.example.com",
        id="497f6eca-6276-4993-bfeb-53cbbbba6f08",
        verified_at="2020-01-01T00:00:00Z",
        is_verified=True,
        verification_challenge="mine",
        jit_provisioning_enabled=True,
        sso_enforcement="google-oauth2",
        scim_enabled=True,
        scim_bearer_token="chosen",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["id"] != "497f6eca-6276-4993-bfeb-53cbbbba6f08"
    assert body["is_verified"] is False and body["verification_challenge"] != "mine"
    assert body["jit_provisioning_enabled"] is False and body["sso_enforcement"] == ""
    assert body["scim_enabled"] is False and body["scim_bearer_token"] is None


@pytest.mark.parametrize(
    "bad",
    [
        "test@posthog.com",
        "🦔🦔🦔.com",
        "one.two.c",
        "--alpha.com",
        "javascript: alert(1)",
        "https://example.com",
        "example.com/path",
        "*.example.com",
        "192.168.1.1",
        "Example.com",
        "example.com.",
        "bücher.de",
        "localhost",
        "xn--.com",
        "a" * 64 + ".com",
        "",
    ],
)
def test_invalid_domain_names_are_refused_with_the_reference_message(tenant, bad):
    body = error(create(tenant, bad))
    assert body["attr"] == "domain"
    if bad:
        assert body == {
            "type": "validation_error",
            "code": "invalid_input",
            "detail": "Please enter a valid domain or subdomain name.",
            "attr": "domain",
        }


@pytest.mark.parametrize(
    "good", ["xn--bcher-kva.de", "sub.xn--bcher-kva.xn--p1ai", "a-b.c-d.example.io", "gmail.com"]
)
def test_punycode_and_ordinary_domains_are_accepted(tenant, good):
    assert create(tenant, good).status_code == 201


def test_missing_domain_is_required(tenant):
    response = tenant.client.post(tenant.org_url("domains/"), {}, format="json")
    assert error(response) == {
        "type": "validation_error",
        "code": "required",
        "detail": "This field is required.",
        "attr": "domain",
    }


def test_same_domain_twice_in_one_organization_is_a_duplicate(tenant):
    assert create(tenant).status_code == 201
    assert error(create(tenant)) == {
        "type": "validation_error",
        "code": "unique",
        "detail": "domain with this domain already exists.",
        "attr": "domain",
    }


def test_list_is_paginated_and_ordered_by_domain(tenant):
    for name in ("b.example.com", "a.example.com", "c.example.com"):
        create(tenant, name)
    response = tenant.client.get(tenant.org_url("domains/"))
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3 and set(body) == {"count", "next", "previous", "results"}
    assert [row["domain"] for row in body["results"]] == ["a.example.com", "b.example.com", "c.example.com"]
    page = tenant.client.get(tenant.org_url("domains/?limit=1&offset=1")).json()
    assert [row["domain"] for row in page["results"]] == ["b.example.com"]
    assert page["next"] and page["previous"]


def test_list_query_count_is_constant(tenant):
    def queries(limit: int) -> int:
        url = tenant.org_url(f"domains/?limit={limit}")
        tenant.client.get(url)  # warm: last_used_at is written at most once a minute
        with CaptureQueriesContext(connection) as captured:
            assert tenant.client.get(url).status_code == 200
        return len(captured)

    for n in range(2):
        make("domains.OrganizationDomain", tenant, domain=f"d{n}.example.com")
    small = queries(2)
    for n in range(2, 22):
        make("domains.OrganizationDomain", tenant, domain=f"d{n}.example.com")
    assert queries(22) == small


def test_current_organization_works(tenant):
    create(tenant)
    response = tenant.client.get("/api/organizations/@current/domains/")
    assert response.status_code == 200 and response.json()["count"] == 1


def test_retrieve_and_without_trailing_slash(tenant):
    domain_id = create(tenant).json()["id"]
    assert tenant.client.get(tenant.org_url(f"domains/{domain_id}/")).json()["domain"] == "example.com"
    assert tenant.client.get(tenant.org_url(f"domains/{domain_id}")).status_code == 200


def test_unknown_or_malformed_domain_id_is_not_found(tenant):
    for bad in ("497f6eca-6276-4993-bfeb-53cbbbba6f08", "not-a-uuid", "1"):
        body = error(tenant.client.get(tenant.org_url(f"domains/{bad}/")), 404)
        assert body["detail"] == "Not found."


def test_patch_of_the_domain_name_is_refused(tenant):
    domain_id = create(tenant).json()["id"]
    response = tenant.client.patch(
        tenant.org_url(f"domains/{domain_id}/"), {"domain": "other.com"}, format="json"
    )
    body = error(response)
    assert body["attr"] == "domain" and body["code"] == "immutable"
    assert OrganizationDomain.objects.get(id=domain_id).domain == "example.com"
    same = tenant.client.patch(
        tenant.org_url(f"domains/{domain_id}/"), {"domain": "example.com"}, format="json"
    )
    assert same.status_code == 200


def test_put_is_not_allowed(tenant):
    domain_id = create(tenant).json()["id"]
    response = tenant.client.put(
        tenant.org_url(f"domains/{domain_id}/"), {"domain": "example.com"}, format="json"
    )
    assert error(response, 405)["code"] == "method_not_allowed"


@pytest.mark.parametrize(
    "field,value",
    [("jit_provisioning_enabled", True), ("sso_enforcement", "saml"), ("scim_enabled", True)],
)
def test_settings_that_need_a_verified_domain_are_refused_before_verification(tenant, field, value):
    domain_id = create(tenant).json()["id"]
    response = tenant.client.patch(tenant.org_url(f"domains/{domain_id}/"), {field: value}, format="json")
    assert error(response) == {
        "type": "validation_error",
        "code": "verification_required",
        "detail": "This attribute cannot be updated until the domain is verified.",
        "attr": field,
    }


def test_first_field_needing_verification_is_named(tenant):
    domain_id = create(tenant).json()["id"]
    response = tenant.client.patch(
        tenant.org_url(f"domains/{domain_id}/"),
        {"scim_enabled": True, "sso_enforcement": "saml", "jit_provisioning_enabled": True},
        format="json",
    )
    assert error(response)["attr"] == "jit_provisioning_enabled"


def test_verified_domain_accepts_jit_and_sso_enforcement(tenant, verified_domain):
    domain = verified_domain()
    url = tenant.org_url(f"domains/{domain.id}/")
    response = tenant.client.patch(
        url, {"jit_provisioning_enabled": True, "sso_enforcement": "google-oauth2"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["jit_provisioning_enabled"] is True
    assert response.json()["sso_enforcement"] == "google-oauth2"
    assert (
        error(tenant.client.patch(url, {"sso_enforcement": "okta"}, format="json"))["code"]
        == "invalid_choice"
    )
    assert tenant.client.patch(url, {"sso_enforcement": ""}, format="json").json()["sso_enforcement"] == ""


def test_read_only_fields_are_ignored_on_patch(tenant):
    created = create(tenant).json()
    url = tenant.org_url(f"domains/{created['id']}/")
    response = tenant.client.patch(
        url,
        {"verified_at": "2020-01-01T00:00:00Z", "verification_challenge": "x", "is_verified": True},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["verified_at"] is None
    assert response.json()["verification_challenge"] == created["verification_challenge"]


def test_delete_answers_204_with_no_body(tenant):
    domain_id = create(tenant).json()["id"]
    response = tenant.client.delete(tenant.org_url(f"domains/{domain_id}/"))
    assert response.status_code == 204 and response.content == b""
    assert not OrganizationDomain.objects.filter(id=domain_id).exists()
    entry = ActivityLog.objects.get(scope="OrganizationDomain", activity="deleted")
    assert "removed" in entry.detail["name"] and entry.organization_id == tenant.organization.id


def test_create_is_activity_logged_for_the_organization(tenant):
    domain_id = create(tenant).json()["id"]
    entry = ActivityLog.objects.get(scope="OrganizationDomain", activity="created")
    assert entry.item_id == domain_id and entry.user == tenant.user
    assert entry.detail["context"] == {
        "organization_id": str(tenant.organization.id),
        "domain": "example.com",
    }


# Permissions and scopes


def test_member_reads_but_cannot_write(tenant, member_client):
    domain_id = create(tenant).json()["id"]
    member = member_client("member")
    assert member.get(tenant.org_url("domains/")).status_code == 200
    assert member.get(tenant.org_url(f"domains/{domain_id}/")).status_code == 200
    denied = {
        "type": "authentication_error",
        "code": "permission_denied",
        "detail": "Your organization access level is insufficient.",
        "attr": None,
    }
    assert (
        error(member.post(tenant.org_url("domains/"), {"domain": "m.example.com"}, format="json"), 403)
        == denied
    )
    assert error(member.patch(tenant.org_url(f"domains/{domain_id}/"), {}, format="json"), 403) == denied
    assert error(member.delete(tenant.org_url(f"domains/{domain_id}/")), 403) == denied
    assert error(member.post(tenant.org_url(f"domains/{domain_id}/verify/")), 403) == denied
    assert error(member.post(tenant.org_url(f"domains/{domain_id}/scim/token/")), 403) == denied


def test_admin_writes(tenant, member_client):
    admin = member_client("admin")
    response = admin.post(tenant.org_url("domains/"), {"domain": "admin.example.com"}, format="json")
    assert response.status_code == 201
    assert admin.delete(tenant.org_url(f"domains/{response.json()['id']}/")).status_code == 204


def test_another_organization_is_refused(tenant, other_tenant):
    body = error(other_tenant.client.get(tenant.org_url("domains/")), 403)
    assert body["detail"] == "You do not have permission to perform this action."
    domain_id = create(tenant).json()["id"]
    assert (
        error(other_tenant.client.get(other_tenant.org_url(f"domains/{domain_id}/")), 404)["detail"]
        == "Not found."
    )
    assert error(other_tenant.client.post(other_tenant.org_url(f"domains/{domain_id}/verify/")), 404)


@pytest.mark.parametrize(
    "method,path,needed",
    [
        ("get", "domains/", "organization:read"),
        ("post", "domains/", "organization:write"),
        ("get", "domains/{id}/", "organization:read"),
        ("patch", "domains/{id}/", "organization:write"),
        ("delete", "domains/{id}/", "organization:write"),
        ("post", "domains/{id}/verify/", "organization:write"),
        ("post", "domains/{id}/scim/token/", "organization:write"),
    ],
)
def test_each_route_needs_its_scope(tenant, key_client, method, path, needed):
    domain_id = create(tenant).json()["id"]
    url = tenant.org_url(path.format(id=domain_id))
    wrong = key_client(["subscription:write"] if needed.endswith("write") else ["project:read"])
    body = error(getattr(wrong, method)(url, {}, format="json"), 403)
    assert body["detail"] == f"API key missing required scope '{needed}'"
    if needed.endswith("write"):
        read_only = key_client(["organization:read"])
        assert error(getattr(read_only, method)(url, {}, format="json"), 403)["detail"] == (
            "API key missing required scope 'organization:write'"
        )
    right = key_client([needed])
    assert getattr(right, method)(url, {}, format="json").status_code not in (401, 403)
