"""What a personal API key may reach (`burrow/core/permissions.py`): scopes per action, including OPTIONS,
and keys scoped to projects or organizations, on project, environment and organization routes."""

from types import SimpleNamespace

import pytest
from rest_framework.exceptions import PermissionDenied

from burrow.core.bootstrap import join_organization
from burrow.core.keys import create_personal_api_key
from burrow.core.models import PersonalAPIKey
from burrow.core.permissions import APIScopePermission
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

NOT_A_PROJECT_ROUTE = "API keys with scoped projects are only supported on project-based endpoints."


@pytest.fixture
def two_orgs(make_tenant):
    """One user, owner of two organizations, each with a project."""
    mine = make_tenant(email="owner-of-two@example.com")
    other = make_tenant(email="owner-of-two@example.com")
    return mine, other


def _key_client(user, scopes=("*",), **scoping):
    _, value = create_personal_api_key(user, "scoped", list(scopes), **scoping)
    return client_for(value)


def _refused(response, detail: str) -> None:
    assert response.status_code == 403, response.content
    assert response.json()["detail"] == detail


def test_options_needs_only_the_read_scope(make_tenant):
    tenant = make_tenant(scopes=["insight:read"])

    assert tenant.client.options(tenant.url("insights/")).status_code == 200
    _refused(
        tenant.client.post(tenant.url("insights/"), {}, format="json"),
        "API key missing required scope 'insight:write'",
    )


def test_a_key_scoped_to_an_organization_reaches_that_organization_only(two_orgs):
    mine, other = two_orgs
    client = _key_client(mine.user, scoped_organizations=[str(mine.organization.id)])

    assert client.get(mine.org_url("domains/")).status_code == 200
    assert client.get(mine.url("insights/")).status_code == 200
    assert client.get(mine.url("insights/", route="environments")).status_code == 200
    refusal = f"API key does not have access to the requested organization: ID {other.organization.id}."
    _refused(client.get(other.org_url("domains/")), refusal)
    _refused(client.get(other.url("insights/")), refusal)
    _refused(client.get(other.url("insights/", route="environments")), refusal)


def test_a_key_scoped_to_a_project_reaches_that_project_only(two_orgs):
    mine, other = two_orgs
    client = _key_client(mine.user, scoped_teams=[mine.team.id])

    assert client.get(mine.url("insights/")).status_code == 200
    assert client.get(mine.url("insights/", route="environments")).status_code == 200
    refusal = f"API key does not have access to the requested project: ID {other.team.id}."
    _refused(client.get(other.url("insights/")), refusal)
    _refused(client.get(other.url("insights/", route="environments")), refusal)
    _refused(client.get(mine.org_url("domains/")), NOT_A_PROJECT_ROUTE)


def test_the_user_route_ignores_project_and_organization_scoping(two_orgs):
    mine, other = two_orgs
    for scoping in (
        {"scoped_teams": [other.team.id]},
        {"scoped_organizations": [str(other.organization.id)]},
    ):
        client = _key_client(mine.user, **scoping)
        response = client.get("/api/users/@me/")
        assert response.status_code == 200, (scoping, response.content)


def test_a_member_of_another_organization_is_refused(make_tenant):
    owner = make_tenant()
    outsider = make_tenant()

    _refused(outsider.client.get(owner.url("insights/")), "You don't have access to the project.")
    _refused(
        outsider.client.get(owner.org_url("domains/")), "You do not have permission to perform this action."
    )


@pytest.mark.parametrize("method", ["get", "head", "options"])
def test_a_plain_member_reads_an_organization_route(tenant, method):
    member = join_organization("reader@example.com", tenant.organization, "member", ["*"])

    response = getattr(client_for(member.personal_api_key), method)(tenant.org_url("domains/"))

    assert response.status_code == 200, response.content


def test_organization_writes_need_an_admin(tenant):
    member = join_organization("member@example.com", tenant.organization, "member", ["*"])
    admin = join_organization("admin@example.com", tenant.organization, "admin", ["*"])
    body = {"domain": "admins-write.example.com"}

    refused = client_for(member.personal_api_key).post(tenant.org_url("domains/"), body, format="json")
    _refused(refused, "Your organization access level is insufficient.")
    created = client_for(admin.personal_api_key).post(tenant.org_url("domains/"), body, format="json")
    assert created.status_code == 201, created.content


def test_an_action_no_scope_covers_is_refused_to_every_key(tenant):
    # Every route has a scope today; a custom action added without `required_scopes` must not fall open.
    key = PersonalAPIKey.objects.get(user=tenant.user)
    assert key.scopes == ["*"]
    request = SimpleNamespace(auth=key, method="POST")
    view = SimpleNamespace(
        action="custom",
        required_scopes=None,
        scope_object="insight",
        scope_object_read_actions=["list", "retrieve"],
        scope_object_write_actions=["create"],
    )

    with pytest.raises(PermissionDenied) as refused:
        APIScopePermission().has_permission(request, view)
    assert str(refused.value.detail) == "This action does not support personal API key access"


def test_current_outside_the_keys_organizations_is_not_found(two_orgs):
    mine, other = two_orgs
    # The user's current project and organization are `other`'s; the key only reaches `mine`.
    mine.user.current_team = other.team
    mine.user.current_organization = other.organization
    mine.user.save(update_fields=["current_team", "current_organization"])
    client = _key_client(mine.user, scoped_organizations=[str(mine.organization.id)])

    for url, detail in (
        ("/api/projects/@current/insights/", "Project not found."),
        ("/api/environments/@current/insights/", "Project not found."),
        ("/api/organizations/@current/domains/", "Organization not found."),
    ):
        response = client.get(url)
        assert response.status_code == 404, (url, response.content)
        assert response.json()["detail"] == detail
    # Named by id, the same project is refused as before (403).
    _refused(
        client.get(other.url("insights/")),
        f"API key does not have access to the requested organization: ID {other.organization.id}.",
    )
