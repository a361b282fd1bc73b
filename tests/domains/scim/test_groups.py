"""SCIM Groups are the organization's three roles: their members are the domain's people at that level, and
changing a group's members changes levels (docs/scim.md). What SCIM may not do to owners:
test_scim_owners.py."""

import pytest

from burrow.core.models import OrganizationMembership, User
from tests.domains.scim.test_support import *  # noqa: F403 (the make_scim and scim fixtures)
from tests.domains.scim.test_support import ADMIN, MEMBER, PATCH_OP, level, scim_error

pytestmark = pytest.mark.django_db

GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"


def members(scim, role: str) -> set[str]:
    return {m["value"] for m in scim.get(f"/Groups/{role}").json().get("members", [])}


def add(user_id: str) -> dict:
    return {"op": "add", "path": "members", "value": [{"value": user_id}]}


def test_the_groups_are_the_three_roles_with_the_domains_people_as_members(scim, tenant, make_scim):
    ada, bob = scim.create("ada"), scim.create("bob")
    OrganizationMembership.objects.filter(user_id=bob["id"]).update(level=ADMIN)
    make_scim("second.example.org").create("sam")  # same organization, another domain: never listed here
    body = scim.get("/Groups").json()
    assert body["totalResults"] == 3 and [g["id"] for g in body["Resources"]] == ["member", "admin", "owner"]
    listed = {g["id"]: g for g in body["Resources"]}
    assert [m["value"] for m in listed["member"]["members"]] == [ada["id"]]
    assert listed["admin"]["members"] == [
        {
            "value": bob["id"],
            "$ref": bob["meta"]["location"],
            "type": "User",
            "display": "bob@acme.example.org",
        }
    ]
    # the tenant's own owner has an address outside the domain: not this domain's to show
    assert "members" not in listed["owner"]
    assert listed["admin"]["displayName"] == "admin" and listed["admin"]["meta"]["resourceType"] == "Group"
    assert scim.get(f"/Users/{bob['id']}").json()["groups"][0]["value"] == "admin"


def test_groups_can_be_found_by_name_and_by_member(scim):
    ada = scim.create("ada")
    by_name = scim.get("/Groups", filter='displayName eq "Admin"').json()
    assert [g["id"] for g in by_name["Resources"]] == ["admin"]
    by_member = scim.get(
        "/Groups", filter=f'members[value eq "{ada["id"]}"]', excludedAttributes="members"
    ).json()
    assert by_member["Resources"] == [
        {
            "schemas": [GROUP],
            "id": "member",
            "meta": by_member["Resources"][0]["meta"],
            "displayName": "member",
        }
    ]
    scim_error(scim.get("/Groups", filter="displayName eq"), 400, "invalidFilter")
    scim_error(scim.get("/Groups/editors"), 404)


def test_adding_someone_to_a_role_sets_their_level_and_removing_them_makes_them_a_member(scim, tenant):
    ada = scim.create("ada")
    response = scim.patch("/Groups/admin", add(ada["id"]))
    assert response.status_code == 200, response.content
    assert [m["value"] for m in response.json()["members"]] == [ada["id"]]
    assert level(ada["id"], tenant.organization) == ADMIN
    assert members(scim, "member") == set()
    # Microsoft Entra removes with a value filter in the path
    response = scim.patch("/Groups/admin", {"op": "remove", "path": f'members[value eq "{ada["id"]}"]'})
    assert response.status_code == 200, response.content
    assert level(ada["id"], tenant.organization) == MEMBER and members(scim, "member") == {ada["id"]}


def test_a_role_change_touches_only_this_organizations_membership(scim, tenant, other_tenant):
    ada = scim.create("ada")
    elsewhere = OrganizationMembership.objects.create(
        organization=other_tenant.organization, user_id=int(ada["id"]), level=MEMBER
    )
    assert scim.patch("/Groups/admin", add(ada["id"])).status_code == 200
    elsewhere.refresh_from_db()
    assert (level(ada["id"], tenant.organization), elsewhere.level) == (ADMIN, MEMBER)


def test_a_role_change_keeps_the_persons_external_id(scim):
    ada = scim.create("ada", externalId="okta-00u1ada")
    assert scim.patch("/Groups/admin", add(ada["id"])).status_code == 200
    assert scim.get(f"/Users/{ada['id']}").json()["externalId"] == "okta-00u1ada"


def test_role_changes_are_in_the_organizations_activity_and_the_log(scim, tenant, caplog):
    from burrow.core.models import ActivityLog

    caplog.set_level("INFO", logger="burrow.domains.scim.services")
    ada = scim.create("ada")
    scim.patch("/Groups/admin", add(ada["id"]))
    scim.patch("/Groups/admin", {"op": "remove", "path": "members", "value": [{"value": ada["id"]}]})
    scim.patch("/Groups/member", {"op": "remove", "path": "members", "value": [{"value": ada["id"]}]})
    updates = ActivityLog.objects.filter(organization=tenant.organization, activity="updated").order_by(
        "created_at"
    )
    levels = [
        (c["before"], c["after"]) for e in updates for c in e.detail["changes"] if c["field"] == "level"
    ]
    assert levels == [("member", "admin"), ("admin", "member"), ("member", None)]
    roles = [r.role for r in caplog.records if r.getMessage() == "scim user updated"]
    assert roles == ["admin", "member", None]


def test_removing_someone_from_the_member_role_removes_their_membership(scim, tenant):
    ada = scim.create("ada")
    # and Entra's other form: the removed members in the value
    response = scim.patch(
        "/Groups/member", {"op": "remove", "path": "members", "value": [{"value": ada["id"]}]}
    )
    assert response.status_code == 200, response.content
    assert level(ada["id"], tenant.organization) is None
    assert scim.get(f"/Users/{ada['id']}").json()["active"] is False


def test_adding_a_deactivated_person_to_a_role_makes_them_a_member_at_that_level(scim, tenant):
    ada = scim.create("ada", active=False)
    assert scim.patch("/Groups/admin", add(ada["id"])).status_code == 200
    assert level(ada["id"], tenant.organization) == ADMIN


def test_put_sets_exactly_the_members_of_a_role(scim, tenant):
    ada, bob, cy = scim.create("ada"), scim.create("bob"), scim.create("cy")
    scim.patch("/Groups/admin", add(ada["id"]), add(bob["id"]))
    response = scim.put(
        "/Groups/admin",
        {"schemas": [GROUP], "displayName": "admin", "members": [{"value": bob["id"]}, {"value": cy["id"]}]},
    )
    assert response.status_code == 200, response.content
    assert members(scim, "admin") == {bob["id"], cy["id"]}
    assert level(ada["id"], tenant.organization) == MEMBER
    scim_error(
        scim.put("/Groups/admin", {"schemas": [GROUP], "displayName": "editors", "members": []}),
        400,
        "mutability",
    )


def test_a_member_id_outside_the_domain_is_refused_and_nothing_changes(scim, tenant, make_scim):
    ada = scim.create("ada")
    sam = make_scim("second.example.org").create("sam")
    for user_id in (sam["id"], "999999", "not-an-id"):
        response = scim.patch("/Groups/admin", add(ada["id"]), add(user_id))
        scim_error(response, 400, "invalidValue")
    assert level(ada["id"], tenant.organization) == MEMBER
    assert level(sam["id"], tenant.organization) == MEMBER


def test_groups_cannot_be_created_renamed_or_deleted(scim):
    scim_error(scim.post("/Groups", {"schemas": [GROUP], "displayName": "Admin"}), 409, "uniqueness")
    scim_error(scim.post("/Groups", {"schemas": [GROUP], "displayName": "Editors"}), 400, "invalidValue")
    scim_error(
        scim.patch("/Groups/admin", {"op": "replace", "path": "displayName", "value": "root"}),
        400,
        "mutability",
    )
    response = scim.delete("/Groups/admin")
    scim_error(response, 405)
    assert response["Allow"] == "GET, PUT, PATCH"
    assert User.objects.count() >= 1 and scim.get("/Groups").json()["totalResults"] == 3


def test_a_group_patch_that_is_not_a_patch_op_answers_400(scim):
    for body in (
        {"schemas": [PATCH_OP], "Operations": [{"op": "add", "path": "members"}]},
        "nope",
        {"schemas": []},
    ):
        response = scim.patch("/Groups/admin", body=body)
        assert response.status_code == 400 and response.json()["scimType"], response.content


@pytest.mark.parametrize("people", [1, 20])
def test_listing_the_groups_costs_the_same_few_queries_whatever_their_size(
    scim, people, django_assert_max_num_queries
):
    for n in range(people):
        scim.create(f"p{n}")
    with django_assert_max_num_queries(2):  # the domain, the members of every role
        body = scim.get("/Groups").json()
    assert len(body["Resources"][0]["members"]) == people
