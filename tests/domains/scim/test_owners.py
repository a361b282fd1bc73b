"""Owners are managed only by owners, in Burrow: turning SCIM on and its token need owner level, and the SCIM
token never grants, removes or changes owner level (docs/scim.md, "Who may do what")."""

import pytest

from burrow.core.models import ActivityLog, OrganizationMembership
from burrow.domains.models import OrganizationDomain
from burrow.domains.services import scim_token_matches
from tests.domains.scim.test_support import *  # noqa: F403 (the make_scim and scim fixtures)
from tests.domains.scim.test_support import ADMIN, MEMBER, OWNER, USER, level, scim_error

pytestmark = pytest.mark.django_db

GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
INSUFFICIENT = {
    "type": "authentication_error",
    "code": "permission_denied",
    "detail": "Your organization access level is insufficient.",
    "attr": None,
}


def add(user_id: str) -> dict:
    return {"op": "add", "path": "members", "value": [{"value": user_id}]}


def domain_url(domain) -> str:
    return f"/api/organizations/{domain.organization_id}/domains/{domain.id}/"


def owner_of_the_domain(scim, tenant) -> dict:
    """A person of the domain who is an owner of the organization (made so in Burrow, not through SCIM)."""
    person = scim.create("boss")
    OrganizationMembership.objects.filter(user_id=person["id"]).update(level=OWNER)
    return person


# Turning SCIM on and its token


def test_an_owner_turns_scim_on_and_gets_the_token(tenant, verified_domain):
    domain = verified_domain()
    response = tenant.client.patch(domain_url(domain), {"scim_enabled": True}, format="json")
    assert response.status_code == 200, response.content
    token = response.json()["scim_bearer_token"]
    assert scim_token_matches(OrganizationDomain.objects.get(pk=domain.pk), token)
    rotated = tenant.client.post(f"{domain_url(domain)}scim/token/")
    assert rotated.status_code == 200 and rotated.json()["scim_bearer_token"] not in (None, token)


def test_an_admin_can_neither_turn_scim_on_or_off_nor_rotate_its_token(
    tenant, verified_domain, member_client
):
    admin = member_client("admin")
    domain = verified_domain()
    response = admin.patch(domain_url(domain), {"scim_enabled": True}, format="json")
    assert response.status_code == 403 and response.json() == INSUFFICIENT, response.content
    assert OrganizationDomain.objects.get(pk=domain.pk).has_scim is False

    token = tenant.client.patch(domain_url(domain), {"scim_enabled": True}, format="json").json()
    response = admin.post(f"{domain_url(domain)}scim/token/")
    assert response.status_code == 403 and response.json() == INSUFFICIENT, response.content
    stored = OrganizationDomain.objects.get(pk=domain.pk)
    assert stored.has_scim and scim_token_matches(stored, token["scim_bearer_token"])
    response = admin.patch(domain_url(domain), {"scim_enabled": False}, format="json")
    assert response.status_code == 403, response.content
    # An admin still manages the rest of the domain, and sees no token in what it reads.
    response = admin.patch(domain_url(domain), {"jit_provisioning_enabled": True}, format="json")
    assert response.status_code == 200 and response.json()["scim_bearer_token"] is None
    assert admin.get(domain_url(domain)).json()["scim_bearer_token"] is None


# What the token may not do


def test_the_owner_group_cannot_be_changed_through_scim(scim, tenant):
    ada, boss = scim.create("ada"), owner_of_the_domain(scim, tenant)
    refused = [
        scim.patch("/Groups/owner", add(ada["id"])),
        scim.patch("/Groups/owner", {"op": "remove", "path": f'members[value eq "{boss["id"]}"]'}),
        scim.patch("/Groups/owner", {"op": "replace", "path": "members", "value": [{"value": ada["id"]}]}),
        scim.put(
            "/Groups/owner", {"schemas": [GROUP], "displayName": "owner", "members": [{"value": ada["id"]}]}
        ),
        scim.put("/Groups/owner", {"schemas": [GROUP], "displayName": "owner", "members": []}),
    ]
    for response in refused:
        body = scim_error(response, 403)
        assert "owner" in body["detail"]
    assert level(ada["id"], tenant.organization) == MEMBER
    assert level(boss["id"], tenant.organization) == OWNER
    assert level(tenant.user.pk, tenant.organization) == OWNER


def test_scim_cannot_demote_or_deactivate_an_owner(scim, tenant):
    boss = owner_of_the_domain(scim, tenant)
    ada = scim.create("ada")
    refused = [
        scim.patch("/Groups/admin", add(boss["id"])),
        scim.patch("/Groups/member", add(boss["id"]), add(ada["id"])),
        scim.put(
            "/Groups/admin", {"schemas": [GROUP], "displayName": "admin", "members": [{"value": boss["id"]}]}
        ),
        scim.patch(f"/Users/{boss['id']}", {"op": "replace", "path": "active", "value": False}),
        scim.put(f"/Users/{boss['id']}", {"schemas": [USER], "userName": boss["userName"], "active": False}),
        scim.delete(f"/Users/{boss['id']}"),
    ]
    for response in refused:
        body = scim_error(response, 403)
        assert "owner" in body["detail"]
    assert level(boss["id"], tenant.organization) == OWNER
    assert level(ada["id"], tenant.organization) == MEMBER  # the refused request changed no one


def test_scim_cannot_change_an_owners_address_or_name(scim, tenant):
    boss = owner_of_the_domain(scim, tenant)
    for operation in (
        {"op": "replace", "path": "userName", "value": "attacker@acme.example.org"},
        {"op": "replace", "path": "name.givenName", "value": "Mallory"},
    ):
        scim_error(scim.patch(f"/Users/{boss['id']}", operation), 403)
    stored = scim.get(f"/Users/{boss['id']}").json()
    assert stored["userName"] == "boss@acme.example.org" and "name" not in stored
    # A provider re-sending what Burrow already holds (a routine sync) changes nothing and is answered.
    same = {"schemas": [USER], "userName": boss["userName"], "active": True, "externalId": "okta-boss"}
    response = scim.put(f"/Users/{boss['id']}", same)
    assert response.status_code == 200, response.content
    assert response.json()["externalId"] == "okta-boss" and level(boss["id"], tenant.organization) == OWNER


def test_scim_sets_member_and_admin(scim, tenant):
    ada = scim.create("ada")
    assert scim.patch("/Groups/admin", add(ada["id"])).status_code == 200
    assert level(ada["id"], tenant.organization) == ADMIN
    assert scim.patch("/Groups/member", add(ada["id"])).status_code == 200
    assert level(ada["id"], tenant.organization) == MEMBER


# The activity log


def test_every_scim_change_is_logged_as_the_domains_token(scim, tenant):
    ada = scim.create("ada")
    scim.patch(f"/Users/{ada['id']}", {"op": "replace", "path": "name.givenName", "value": "Ada"})
    scim.patch("/Groups/admin", add(ada["id"]))
    scim.patch("/Groups/admin", {"op": "remove", "path": f'members[value eq "{ada["id"]}"]'})
    scim.patch(f"/Users/{ada['id']}", {"op": "replace", "path": "active", "value": False})
    scim.delete(f"/Users/{ada['id']}")

    entries = list(ActivityLog.objects.filter(item_id=ada["id"]).order_by("created_at"))
    assert [entry.activity for entry in entries] == [
        "created",
        "updated",
        "updated",
        "updated",
        "updated",
        "deleted",
    ]
    for entry in entries:
        assert entry.user is None and entry.organization_id == tenant.organization.id
        assert entry.detail["context"]["domain_id"] == str(scim.domain.id)
        assert entry.detail["context"]["actor"] == "SCIM token of acme.example.org"
        assert entry.detail["trigger"]["job_id"] == str(scim.domain.id)
    assert [entry.detail["changes"] for entry in entries[1:5]] == [
        [change("first_name", "", "Ada")],
        [change("level", "member", "admin")],
        [change("level", "admin", "member")],
        [change("level", "member", None)],
    ]


def change(field: str, before, after) -> dict:
    return {
        "type": "OrganizationMembership",
        "action": "changed",
        "field": field,
        "before": before,
        "after": after,
    }
