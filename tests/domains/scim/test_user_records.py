"""What the SCIM server keeps per person and domain (`ScimUser`): the identity provider's `externalId`, unique
within a domain only, and `meta.lastModified` (docs/scim.md)."""

from datetime import datetime

import pytest

from burrow.core.models import OrganizationMembership, User
from tests.domains.scim.test_support import *  # noqa: F403 (the make_scim and scim fixtures)
from tests.domains.scim.test_support import MEMBER, USER, scim_error

pytestmark = pytest.mark.django_db


def test_external_id_is_kept_returned_and_changed_by_put_and_patch(scim):
    body = scim.create("ada", externalId="00u1abc")
    assert body["externalId"] == "00u1abc"
    assert scim.get(f"/Users/{body['id']}").json()["externalId"] == "00u1abc"
    assert scim.get(f"/Users/{body['id']}", attributes="externalId").json()["externalId"] == "00u1abc"
    listed = scim.get("/Users", filter='externalId eq "00u1abc"', attributes="externalId").json()
    assert [r["externalId"] for r in listed["Resources"]] == ["00u1abc"]
    response = scim.patch(f"/Users/{body['id']}", {"op": "replace", "path": "externalId", "value": "00u2"})
    assert response.json()["externalId"] == "00u2"
    response = scim.patch(f"/Users/{body['id']}", {"op": "remove", "path": "externalId"})
    assert "externalId" not in response.json()
    response = scim.patch(f"/Users/{body['id']}", {"op": "add", "value": {"externalId": "00u3"}})
    assert response.json()["externalId"] == "00u3"
    put = {"schemas": [USER], "userName": body["userName"], "externalId": "00u4"}
    assert scim.put(f"/Users/{body['id']}", put).json()["externalId"] == "00u4"
    put.pop("externalId")  # PUT replaces: left out, it is cleared
    assert "externalId" not in scim.put(f"/Users/{body['id']}", put).json()
    assert "externalId" not in scim.get(f"/Users/{body['id']}").json()


def test_an_external_id_is_unique_within_a_domain_only(scim, make_scim):
    ada = scim.create("ada", externalId="same")
    bob = scim.create("bob")
    scim_error(
        scim.post("/Users", {"schemas": [USER], "userName": "cy@acme.example.org", "externalId": "same"}),
        409,
        "uniqueness",
    )
    assert scim.get("/Users", filter='userName eq "cy@acme.example.org"').json()["totalResults"] == 0
    scim_error(
        scim.patch(f"/Users/{bob['id']}", {"op": "replace", "path": "externalId", "value": "same"}),
        409,
        "uniqueness",
    )
    other = make_scim("second.example.org")
    sam = other.create("sam", externalId="same")
    assert sam["externalId"] == "same"
    found = scim.get("/Users", filter='externalId eq "same"').json()["Resources"]
    assert [r["id"] for r in found] == [ada["id"]]
    assert [r["id"] for r in other.get("/Users", filter='externalId eq "same"').json()["Resources"]] == [
        sam["id"]
    ]


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_last_modified_is_recorded_and_moves_with_each_change(scim):
    body = scim.create("ada")
    created, modified = _time(body["meta"]["created"]), _time(body["meta"]["lastModified"])
    assert modified >= created
    same = scim.put(f"/Users/{body['id']}", {"schemas": [USER], "userName": body["userName"]}).json()
    assert _time(same["meta"]["lastModified"]) == modified  # nothing changed
    changed = scim.patch(f"/Users/{body['id']}", {"op": "replace", "path": "name.givenName", "value": "Ada"})
    assert _time(changed.json()["meta"]["lastModified"]) > modified
    assert scim.get(f"/Users/{body['id']}").json()["meta"] == changed.json()["meta"]
    regrouped = scim.patch(
        "/Groups/admin", {"op": "add", "path": "members", "value": [{"value": body["id"]}]}
    )
    assert regrouped.status_code == 200, regrouped.content
    again = _time(scim.get(f"/Users/{body['id']}").json()["meta"]["lastModified"])
    assert again > _time(changed.json()["meta"]["lastModified"])


def test_a_person_not_provisioned_here_has_no_external_id_and_was_last_modified_when_made(scim, tenant):
    person = User.objects.create_user(email="old@acme.example.org", password=None)
    OrganizationMembership.objects.create(user=person, organization=tenant.organization, level=MEMBER)
    body = scim.get(f"/Users/{person.pk}").json()
    assert "externalId" not in body and body["meta"]["lastModified"] == body["meta"]["created"]
