"""The SCIM server's Users endpoints: what an identity provider sees and changes, only for people of its
domain and only in its organization (docs/scim.md)."""

import pytest

from burrow.core.models import ActivityLog, OrganizationMembership, User
from tests.domains.scim.test_support import *  # noqa: F403 (the make_scim and scim fixtures)
from tests.domains.scim.test_support import ADMIN, MEMBER, USER, level, scim_error

pytestmark = pytest.mark.django_db


# Create


def test_create_makes_a_passwordless_verified_member_and_answers_201(scim, tenant):
    response = scim.post(
        "/Users",
        {
            "schemas": [USER],
            "userName": "Ada@ACME.example.org",
            "name": {"givenName": "Ada", "familyName": "L"},
        },
    )
    assert response.status_code == 201, response.content
    assert response["Content-Type"] == "application/scim+json"
    body = response.json()
    user = User.objects.get(pk=int(body["id"]))
    assert response["Location"] == body["meta"]["location"] and body["meta"]["location"].endswith(
        f"/Users/{user.pk}"
    )
    assert body["userName"] == "Ada@acme.example.org" == user.email
    assert body["name"] == {"givenName": "Ada", "familyName": "L"}
    assert body["emails"] == [{"value": user.email, "type": "work", "primary": True}]
    assert body["active"] is True and body["groups"][0]["value"] == "member"
    assert body["meta"]["resourceType"] == "User" and body["meta"]["created"]
    assert not user.has_usable_password() and user.is_email_verified is True
    assert level(user.pk, tenant.organization) == MEMBER


def test_create_ignores_attributes_burrow_does_not_keep(scim):
    body = scim.create(
        "grace",
        displayName="Grace H",
        phoneNumbers=[{"value": "555"}],
        **{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Navy"}},
    )
    assert "displayName" not in body and "phoneNumbers" not in body


def test_create_with_active_false_makes_the_person_without_joining_them(scim, tenant):
    body = scim.create("later", active=False)
    assert body["active"] is False and level(body["id"], tenant.organization) is None
    assert scim.get(f"/Users/{body['id']}").json()["active"] is False


def test_create_joins_an_existing_person_of_another_organization(scim, tenant, other_tenant):
    person = User.objects.create_user(email="known@acme.example.org", password="pw", last_name="Kept")
    OrganizationMembership.objects.create(user=person, organization=other_tenant.organization, level=ADMIN)
    body = scim.create("known", name={"givenName": "Known"})
    assert body["id"] == str(person.pk)
    assert level(person.pk, tenant.organization) == MEMBER
    assert level(person.pk, other_tenant.organization) == ADMIN
    assert User.objects.get(pk=person.pk).has_usable_password()
    assert body["name"] == {"givenName": "Known"}  # the provider's name wins
    scim.delete(f"/Users/{person.pk}")
    again = scim.create("known")  # joined again without a name: the account keeps its own
    assert again["name"] == {"givenName": "Known"}


def test_create_of_a_person_already_a_member_answers_409_uniqueness(scim):
    scim.create("twice")
    scim_error(
        scim.post("/Users", {"schemas": [USER], "userName": "TWICE@acme.example.org"}), 409, "uniqueness"
    )


@pytest.mark.parametrize(
    "user_name",
    [
        "someone@elsewhere.example.org",
        "someone@sub.acme.example.org",
        "someone@acme.example.org.evil",
        "acme.example.org",
        "",
    ],
)
def test_create_outside_the_domain_answers_400_invalid_value(scim, user_name):
    scim_error(scim.post("/Users", {"schemas": [USER], "userName": user_name}), 400, "invalidValue")
    assert not User.objects.filter(email__iexact=user_name).exists()


# Read


def test_get_answers_the_person_and_404_for_anyone_else(scim):
    body = scim.create("ada")
    assert scim.get(f"/Users/{body['id']}").json() == body
    assert scim_error(scim.get("/Users/999999"), 404)["detail"] == "User not found"
    scim_error(scim.get("/Users/abc"), 404)


# Replace and modify


def test_put_replaces_address_and_names(scim):
    body = scim.create("ada", name={"givenName": "Ada", "familyName": "Byron"})
    response = scim.put(
        f"/Users/{body['id']}",
        {"schemas": [USER], "userName": "ada.lovelace@acme.example.org", "name": {"givenName": "Ada"}},
    )
    assert response.status_code == 200, response.content
    assert response.json()["userName"] == "ada.lovelace@acme.example.org"
    assert response.json()["name"] == {"givenName": "Ada"} and response.json()["active"] is True
    user = User.objects.get(pk=body["id"])
    assert (user.email, user.first_name, user.last_name) == ("ada.lovelace@acme.example.org", "Ada", "")


def test_put_refuses_an_address_outside_the_domain_or_taken(scim):
    ada, bob = scim.create("ada"), scim.create("bob")
    scim_error(
        scim.put(f"/Users/{ada['id']}", {"schemas": [USER], "userName": "ada@gmail.com"}), 400, "invalidValue"
    )
    scim_error(
        scim.put(f"/Users/{ada['id']}", {"schemas": [USER], "userName": bob["userName"]}), 409, "uniqueness"
    )
    assert User.objects.get(pk=ada["id"]).email == "ada@acme.example.org"


@pytest.mark.parametrize(
    "operation",
    [
        {"op": "replace", "path": "active", "value": False},
        {"op": "Replace", "value": {"active": "False"}},  # as Microsoft Entra sends it
        {"op": "replace", "value": {"active": False}},
    ],
)
def test_patch_active_false_removes_only_this_organizations_membership(scim, tenant, other_tenant, operation):
    body = scim.create("ada")
    OrganizationMembership.objects.create(
        user_id=body["id"], organization=other_tenant.organization, level=ADMIN
    )
    response = scim.patch(f"/Users/{body['id']}", operation)
    assert response.status_code == 200, response.content
    assert response.json()["active"] is False and "groups" not in response.json()
    assert level(body["id"], tenant.organization) is None
    assert level(body["id"], other_tenant.organization) == ADMIN
    assert User.objects.get(pk=body["id"]).is_active is True
    # provisioned here, so still the provider's to find and reactivate (its ScimUser record)
    assert scim.get(f"/Users/{body['id']}").json()["active"] is False
    assert scim.get("/Users", filter=f'id eq "{body["id"]}" and active eq false').json()["totalResults"] == 1
    response = scim.patch(f"/Users/{body['id']}", {"op": "replace", "path": "active", "value": True})
    assert response.status_code == 200, response.content
    assert response.json()["active"] is True and level(body["id"], tenant.organization) == MEMBER
    assert level(body["id"], other_tenant.organization) == ADMIN


def test_a_deactivated_person_stays_visible_and_can_be_reactivated(scim, tenant):
    body = scim.create("ada")
    scim.patch(f"/Users/{body['id']}", {"op": "replace", "path": "active", "value": False})
    assert scim.get(f"/Users/{body['id']}").json()["active"] is False
    assert scim.get("/Users", filter="active eq false").json()["totalResults"] == 1
    response = scim.patch(f"/Users/{body['id']}", {"op": "replace", "path": "active", "value": True})
    assert response.json()["active"] is True and level(body["id"], tenant.organization) == MEMBER


def test_patch_changes_names_and_address_by_path(scim):
    body = scim.create("ada", name={"givenName": "Ada"})
    response = scim.patch(
        f"/Users/{body['id']}",
        {"op": "add", "path": "name.familyName", "value": "Lovelace"},
        {"op": "replace", "path": "userName", "value": "lovelace@acme.example.org"},
    )
    assert response.status_code == 200, response.content
    assert response.json()["name"] == {"givenName": "Ada", "familyName": "Lovelace"}
    assert User.objects.get(pk=body["id"]).email == "lovelace@acme.example.org"
    response = scim.patch(f"/Users/{body['id']}", {"op": "remove", "path": "name"})
    assert "name" not in response.json()


@pytest.mark.parametrize(
    "operation",
    [
        {"op": "remove", "path": "active"},
        {"op": "Remove", "path": f"{USER}:active"},
        {"op": "replace", "value": {"active": None}},
    ],
)
def test_removing_active_answers_400_mutability_and_changes_nothing(scim, tenant, operation):
    body = scim.create("ada", externalId="ext-ada")
    response = scim.patch(
        f"/Users/{body['id']}", operation, {"op": "replace", "path": "externalId", "value": "x"}
    )
    assert "replace it with false" in scim_error(response, 400, "mutability")["detail"]
    assert level(body["id"], tenant.organization) == MEMBER
    assert scim.get(f"/Users/{body['id']}").json()["externalId"] == "ext-ada"


# externalId and meta.lastModified: the domain's ScimUser record


def test_patch_of_a_read_only_attribute_answers_400_mutability(scim):
    body = scim.create("ada")
    response = scim.patch(
        f"/Users/{body['id']}",
        {"op": "replace", "path": 'emails[type eq "work"].value', "value": "x@acme.example.org"},
    )
    scim_error(response, 400, "mutability")


# Delete


def test_delete_removes_the_membership_disables_a_person_of_no_other_organization_and_answers_404_after(
    scim, tenant
):
    body = scim.create("ada")
    response = scim.delete(f"/Users/{body['id']}")
    assert response.status_code == 204 and response.content == b""
    assert level(body["id"], tenant.organization) is None
    assert User.objects.get(pk=body["id"]).is_active is False
    assert scim_error(scim.get(f"/Users/{body['id']}"), 404)["detail"] == "User not found"
    scim_error(scim.delete(f"/Users/{body['id']}"), 404)
    again = scim.create("ada")
    assert again["id"] == body["id"] and again["active"] is True
    assert User.objects.get(pk=body["id"]).is_active is True


def test_delete_leaves_a_person_of_another_organization_active_there(scim, tenant, other_tenant):
    body = scim.create("ada")
    OrganizationMembership.objects.create(
        user_id=body["id"], organization=other_tenant.organization, level=MEMBER
    )
    assert scim.delete(f"/Users/{body['id']}").status_code == 204
    assert User.objects.get(pk=body["id"]).is_active is True
    assert level(body["id"], other_tenant.organization) == MEMBER
    scim_error(scim.get(f"/Users/{body['id']}"), 404)


def test_provisioning_writes_a_log_line_and_an_organization_activity_entry(scim, tenant, caplog):
    caplog.set_level("INFO", logger="burrow.domains.scim.services")
    body = scim.create("ada")
    scim.delete(f"/Users/{body['id']}")
    entries = ActivityLog.objects.filter(organization=tenant.organization, scope="OrganizationMembership")
    assert [e.activity for e in entries.order_by("created_at")] == ["created", "deleted"]
    assert all(e.is_system and e.item_id == body["id"] for e in entries)
    assert [r.getMessage() for r in caplog.records] == ["scim user created", "scim user deleted"]
    deleted = entries.get(activity="deleted").detail["changes"]
    assert [(c["field"], c["before"], c["after"]) for c in deleted] == [("level", "member", None)]
    assert all(r.user_id == int(body["id"]) and scim.token not in str(r.__dict__) for r in caplog.records)


# Tenancy: a domain's token reaches the people of its domain in its organization, nobody else


@pytest.fixture
def strangers(tenant, other_tenant, make_scim):
    """People a token of acme.example.org must never reach: a member of the same organization in another of
    its domains, a member of another organization in that organization's domain, and a person with an
    address in acme.example.org who belongs only to another organization."""
    same_org = make_scim("second.example.org")
    other_org = make_scim("rival.example.org", org=other_tenant.organization, client=other_tenant.client)
    people = {
        "same organization, other domain": same_org.create("sam")["id"],
        "other organization": other_org.create("olga")["id"],
    }
    outsider = User.objects.create_user(email="moved@acme.example.org", password=None)
    OrganizationMembership.objects.create(user=outsider, organization=other_tenant.organization, level=MEMBER)
    people["own domain, other organization only"] = str(outsider.pk)
    # deactivated by the other domain's provider while still a member of another organization: that
    # domain's record keeps them visible there, never here
    left = same_org.create("left", externalId="ext-left")
    OrganizationMembership.objects.create(
        user_id=left["id"], organization=other_tenant.organization, level=MEMBER
    )
    assert (
        same_org.patch(
            f"/Users/{left['id']}", {"op": "replace", "path": "active", "value": False}
        ).status_code
        == 200
    )
    assert same_org.get(f"/Users/{left['id']}").json()["active"] is False
    # …and who has since moved to an address in acme.example.org (changed outside SCIM): the record is the
    # other domain's, not this one's
    User.objects.filter(pk=left["id"]).update(email="left@acme.example.org")
    people["moved here, provisioned by another domain"] = left["id"]
    return people


def test_a_token_cannot_see_or_touch_people_outside_its_domain_and_organization(
    scim, strangers, tenant, other_tenant
):
    listed = {r["id"] for r in scim.get("/Users").json()["Resources"]}
    assert listed.isdisjoint(strangers.values())
    for who, user_id in strangers.items():
        before = (
            User.objects.filter(pk=user_id).values().get(),
            list(OrganizationMembership.objects.filter(user_id=user_id).values()),
        )
        assert scim_error(scim.get(f"/Users/{user_id}"), 404)["detail"] == "User not found", who
        scim_error(scim.put(f"/Users/{user_id}", {"schemas": [USER], "userName": "x@acme.example.org"}), 404)
        scim_error(scim.patch(f"/Users/{user_id}", {"op": "replace", "path": "active", "value": False}), 404)
        scim_error(scim.delete(f"/Users/{user_id}"), 404)
        assert scim.get("/Users", filter=f'id eq "{user_id}"').json()["totalResults"] == 0, who
        assert scim.get("/Users", filter="externalId pr").json()["totalResults"] == 0, who
        after = (
            User.objects.filter(pk=user_id).values().get(),
            list(OrganizationMembership.objects.filter(user_id=user_id).values()),
        )
        assert after == before, who


def test_a_base_url_typed_with_a_trailing_slash_still_reaches_the_endpoints(scim):
    ada = scim.create("ada")
    assert scim.get("//Users").json()["totalResults"] == 1
    assert scim.get(f"/Users/{ada['id']}/").json()["id"] == ada["id"]
    assert scim.get("/ServiceProviderConfig/").status_code == 200


def test_deleting_one_person_keeps_the_others_external_ids(scim):
    ada = scim.create("ada", externalId="okta-ada")
    bob = scim.create("bob", externalId="okta-bob")
    assert scim.delete(f"/Users/{ada['id']}").status_code == 204
    assert scim.get(f"/Users/{bob['id']}").json()["externalId"] == "okta-bob"


def test_a_replace_without_active_leaves_a_deactivated_person_out(scim, tenant):
    ada = scim.create("ada")
    body = {"schemas": [USER], "userName": ada["userName"]}
    assert scim.put(f"/Users/{ada['id']}", body | {"active": False}).status_code == 200
    assert scim.put(f"/Users/{ada['id']}", body | {"name": {"givenName": "Ada"}}).status_code == 200
    assert level(ada["id"], tenant.organization) is None
    assert scim.get(f"/Users/{ada['id']}").json()["active"] is False


def test_a_changed_external_id_is_in_the_organizations_activity(scim, tenant):
    ada = scim.create("ada", externalId="okta-1")
    body = {"schemas": [USER], "userName": ada["userName"], "externalId": "okta-2"}
    assert scim.put(f"/Users/{ada['id']}", body).json()["externalId"] == "okta-2"
    entry = ActivityLog.objects.filter(organization=tenant.organization, activity="updated").get(
        item_id=ada["id"]
    )
    assert [(c["field"], c["before"], c["after"]) for c in entry.detail["changes"]] == [
        ("external_id", "okta-1", "okta-2")
    ]
