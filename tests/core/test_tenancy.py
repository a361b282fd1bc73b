"""Guards that keep a new app's views from dropping tenancy."""

import pytest
from rest_framework import viewsets

from burrow.analytics.models import Insight
from burrow.core.models import OrganizationMembership, Project, Team
from burrow.core.tenancy import TenantViewSetMixin
from burrow.domains.models import OrganizationDomain


def test_a_view_that_replaces_get_queryset_fails_at_import():
    with pytest.raises(TypeError, match="override safely_get_queryset"):

        class Careless(TenantViewSetMixin, viewsets.GenericViewSet):
            queryset = Insight.objects.all()

            def get_queryset(self):
                return Insight.objects.all()


def test_a_mixin_that_replaces_get_queryset_fails_too():
    class Unscoped:
        def get_queryset(self):
            return Insight.objects.all()

    with pytest.raises(TypeError):

        class Careless(Unscoped, TenantViewSetMixin, viewsets.GenericViewSet):
            queryset = Insight.objects.all()


def test_narrowing_through_safely_get_queryset_is_allowed():
    class Narrowing(TenantViewSetMixin, viewsets.GenericViewSet):
        queryset = Insight.objects.all()

        def safely_get_queryset(self, queryset):
            return queryset.filter(deleted=False)

    assert Narrowing.get_queryset is TenantViewSetMixin.get_queryset


# --- Resolving the tenant in the URL (`resolve_team`): `@current`, projects and environments ---------------


def _insight_names(client, url: str) -> set[str]:
    response = client.get(url)
    assert response.status_code == 200, response.content
    return {row["name"] for row in response.json()["results"]}


@pytest.mark.django_db
@pytest.mark.parametrize("route", ["projects", "environments"])
def test_current_is_the_users_current_project_not_their_first(make_tenant, route):
    first = make_tenant(email="two-projects@example.com")
    second = make_tenant(email="two-projects@example.com")  # the same user; bootstrap makes this one current
    Insight.objects.create(team=first.team, name="in the first project")
    Insight.objects.create(team=second.team, name="in the second project")

    assert _insight_names(second.client, f"/api/{route}/@current/insights/") == {"in the second project"}

    second.user.current_team = first.team
    second.user.save(update_fields=["current_team"])
    assert _insight_names(second.client, f"/api/{route}/@current/insights/") == {"in the first project"}


@pytest.mark.django_db
def test_current_without_a_current_project_is_the_first_project_of_the_users_organizations(make_tenant):
    stranger = make_tenant()  # an older team the user is no member of: never theirs
    Insight.objects.create(team=stranger.team, name="the stranger's")
    tenant = make_tenant()
    later = Team.objects.create(organization=tenant.organization, project=tenant.project, name="Later")
    Insight.objects.create(team=tenant.team, name="mine")
    Insight.objects.create(team=later, name="my later environment's")
    tenant.user.current_team = None
    tenant.user.save(update_fields=["current_team"])

    assert _insight_names(tenant.client, "/api/projects/@current/insights/") == {"mine"}


@pytest.mark.django_db
def test_current_for_a_user_without_any_project_is_not_found(make_tenant):
    tenant = make_tenant()
    tenant.user.current_team = None
    tenant.user.save(update_fields=["current_team"])
    OrganizationMembership.objects.filter(user=tenant.user).delete()

    response = tenant.client.get("/api/projects/@current/insights/")

    assert response.status_code == 404
    assert response.json()["detail"] == "Project not found."


@pytest.mark.django_db
def test_project_and_environment_ids_are_looked_up_as_what_the_route_names(tenant):
    # A second environment: its id is no project's id, so the two look-ups give different answers.
    staging = Team.objects.create(organization=tenant.organization, project=tenant.project, name="Staging")
    assert not Project.objects.filter(id=staging.id).exists()
    Insight.objects.create(team=tenant.team, name="in production")
    Insight.objects.create(team=staging, name="in staging")

    assert _insight_names(tenant.client, f"/api/environments/{staging.id}/insights/") == {"in staging"}
    assert "in production" in _insight_names(tenant.client, f"/api/projects/{tenant.project.id}/insights/")
    assert _insight_names(tenant.client, f"/api/environments/{tenant.team.id}/insights/") == {"in production"}

    response = tenant.client.get(f"/api/projects/{staging.id}/insights/")  # an environment is not a project
    assert response.status_code == 404
    assert response.json()["detail"] == "Project not found."


# --- `@current` for organizations (`resolve_organization`) ---------------------------------------------------


def _domains(client, url: str) -> set[str]:
    response = client.get(url)
    assert response.status_code == 200, response.content
    return {row["domain"] for row in response.json()["results"]}


@pytest.mark.django_db
def test_current_organization_is_the_users_current_one_not_their_first(make_tenant):
    first = make_tenant(email="two-orgs@example.com")
    second = make_tenant(email="two-orgs@example.com")  # the same user; bootstrap makes this one current
    OrganizationDomain.objects.create(organization=first.organization, domain="first.example.com")
    OrganizationDomain.objects.create(organization=second.organization, domain="second.example.com")

    assert _domains(second.client, "/api/organizations/@current/domains/") == {"second.example.com"}

    second.user.current_organization = first.organization
    second.user.save(update_fields=["current_organization"])
    assert _domains(second.client, "/api/organizations/@current/domains/") == {"first.example.com"}


@pytest.mark.django_db
def test_current_organization_without_a_current_one_is_the_users_membership(make_tenant):
    stranger = make_tenant()  # an older membership of someone else: never theirs
    OrganizationDomain.objects.create(organization=stranger.organization, domain="stranger.example.com")
    tenant = make_tenant()
    OrganizationDomain.objects.create(organization=tenant.organization, domain="mine.example.com")
    tenant.user.current_organization = None
    tenant.user.save(update_fields=["current_organization"])

    assert _domains(tenant.client, "/api/organizations/@current/domains/") == {"mine.example.com"}


@pytest.mark.django_db
def test_current_organization_for_a_user_without_any_is_not_found(make_tenant):
    tenant = make_tenant()
    tenant.user.current_organization = None
    tenant.user.save(update_fields=["current_organization"])
    OrganizationMembership.objects.filter(user=tenant.user).delete()

    response = tenant.client.get("/api/organizations/@current/domains/")

    assert response.status_code == 404
    assert response.json()["detail"] == "Organization not found."


@pytest.mark.django_db
@pytest.mark.parametrize("organization_id", ["not-a-uuid", "12345", "6b0c1f1e-7d2a-4f43-9a8e-2f0d2c1b0a99"])
def test_a_malformed_or_unknown_organization_is_not_found(tenant, organization_id):
    response = tenant.client.get(f"/api/organizations/{organization_id}/domains/")

    assert response.status_code == 404
    assert response.json()["detail"] == "Organization not found."
