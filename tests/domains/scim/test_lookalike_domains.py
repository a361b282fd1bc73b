"""Members of the organization whose address only ends like the SCIM domain (bob@notcorp.example) or is at
one of its subdomains (cy@sub.corp.example) are not the domain's people: its SCIM server neither sees nor
changes them, whichever endpoint it goes through. People in no organization: test_user_lists.py."""

import pytest

from burrow.core.models import OrganizationMembership, User
from burrow.domains.models import ScimUser
from tests.domains.scim.test_support import *  # noqa: F403 (the make_scim and scim fixtures)
from tests.domains.scim.test_support import MEMBER, USER, level, scim_error

pytestmark = pytest.mark.django_db

GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
DOMAIN = "corp.example"
OUTSIDER_ADDRESSES = ("bob@notcorp.example", "cy@sub.corp.example")


@pytest.fixture
def corp(make_scim):
    return make_scim(DOMAIN)


@pytest.fixture
def outsiders(tenant) -> list[User]:
    """Members of the SCIM domain's organization, joined in Burrow, at addresses outside the domain."""
    people = []
    for address in OUTSIDER_ADDRESSES:
        person = User.objects.create_user(email=address, password=None)
        OrganizationMembership.objects.create(user=person, organization=tenant.organization, level=MEMBER)
        people.append(person)
    return people


def test_reads_never_show_a_member_whose_address_only_ends_like_the_domain(corp, outsiders):
    ada = corp.create("ada")
    listed = corp.get("/Users").json()
    assert (listed["totalResults"], [person["id"] for person in listed["Resources"]]) == (1, [ada["id"]])
    assert [
        person["id"] for person in corp.get("/Users", filter='userName ew "corp.example"').json()["Resources"]
    ] == [ada["id"]]
    for person in outsiders:
        by_name = f'userName eq "{person.email}"'
        assert corp.get("/Users", filter=by_name).json()["totalResults"] == 0, person.email
        searched = corp.post("/Users/.search", {"schemas": [SEARCH], "filter": by_name}).json()
        assert searched["totalResults"] == 0, person.email
        scim_error(corp.get(f"/Users/{person.pk}"), 404)
    assert [m["value"] for m in corp.get("/Groups/member").json()["members"]] == [ada["id"]]


def test_writes_to_such_a_member_are_404_and_change_nothing(corp, outsiders, tenant):
    for person in outsiders:
        scim_error(corp.delete(f"/Users/{person.pk}"), 404)
        scim_error(
            corp.patch(f"/Users/{person.pk}", {"op": "replace", "path": "active", "value": False}), 404
        )
        scim_error(corp.put(f"/Users/{person.pk}", {"schemas": [USER], "userName": f"x@{DOMAIN}"}), 404)
        add_as_admin = {"op": "add", "path": "members", "value": [{"value": str(person.pk)}]}
        scim_error(corp.patch("/Groups/admin", add_as_admin), 400, "invalidValue")
    # The provider's whole member group, without them: only the domain's own people are synced.
    ada = corp.create("ada")
    response = corp.put(
        "/Groups/member", {"schemas": [GROUP], "displayName": "member", "members": [{"value": ada["id"]}]}
    )
    assert response.status_code == 200, response.content
    for person, address in zip(outsiders, OUTSIDER_ADDRESSES, strict=True):
        person.refresh_from_db()
        assert (person.email, person.is_active) == (address, True)
        assert level(person.pk, tenant.organization) == MEMBER, address
        assert not ScimUser.objects.filter(user=person).exists(), address
