"""Every tenant-owned viewset derives from TenantViewSetMixin: the project/environment/organization in the
URL is resolved once, the caller's membership checked, and every queryset filtered by it, so a view cannot
forget tenancy."""

import uuid
from functools import cached_property

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import IntegerField, QuerySet
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated

from burrow.core.ids import CURRENT, ORGANIZATION_NOT_FOUND, PROJECT_NOT_FOUND, parse_id
from burrow.core.models import Organization, OrganizationMembership, Team
from burrow.core.permissions import APIScopePermission, TenantMemberPermission


def resolve_team(user, project_id: str | None, environment_id: str | None) -> Team:
    """A project id resolves to its default environment (the team sharing its id)."""
    raw = project_id if project_id is not None else environment_id
    teams = Team.objects.select_related("organization", "project")
    if raw == CURRENT:
        team = user.current_team if user.current_team_id else None
        if team is None:
            membership_orgs = OrganizationMembership.objects.filter(user=user).values("organization_id")
            team = teams.filter(organization_id__in=membership_orgs).order_by("id").first()
        if team is None:
            raise NotFound(PROJECT_NOT_FOUND)
        return team
    team_id = parse_id(raw)
    if team_id is None:
        raise NotFound(PROJECT_NOT_FOUND)
    if project_id is not None:
        team = teams.filter(project_id=team_id).order_by("id").first()
    else:
        team = teams.filter(id=team_id).first()
    if team is None:
        raise NotFound(PROJECT_NOT_FOUND)
    return team


def resolve_organization(user, organization_id: str) -> Organization:
    if organization_id == CURRENT:
        org = user.current_organization if user.current_organization_id else None
        if org is None:
            membership = (
                OrganizationMembership.objects.filter(user=user).select_related("organization").first()
            )
            org = membership.organization if membership else None
        if org is None:
            raise NotFound(ORGANIZATION_NOT_FOUND)
        return org
    try:
        org_uuid = uuid.UUID(str(organization_id))
    except ValueError:
        raise NotFound(ORGANIZATION_NOT_FOUND) from None
    org = Organization.objects.filter(id=org_uuid).first()
    if org is None:
        raise NotFound(ORGANIZATION_NOT_FOUND)
    return org


class TenantViewSetMixin:
    """Declare `scope_object` (and optionally `scope_object_read_actions`/`_write_actions`); the mixin
    scopes querysets by `team_field` (project/environment routes) or `organization_field` (org routes)."""

    scope_object: str | None = None
    scope_object_read_actions = ["list", "retrieve"]
    scope_object_write_actions = ["create", "update", "partial_update", "patch", "destroy"]
    required_scopes: list[str] | None = None
    team_field = "team"
    organization_field = "organization"
    base_permission_classes = [IsAuthenticated, APIScopePermission, TenantMemberPermission]
    permission_classes: list = []

    def get_permissions(self):
        return [perm() for perm in self.base_permission_classes + list(self.permission_classes)]

    @property
    def parent_kind(self) -> str | None:
        if "project_id" in self.kwargs or "environment_id" in self.kwargs:
            return "team"
        if "organization_id" in self.kwargs:
            return "organization"
        return None

    @cached_property
    def team(self) -> Team:
        return resolve_team(
            self.request.user, self.kwargs.get("project_id"), self.kwargs.get("environment_id")
        )

    @cached_property
    def organization(self) -> Organization:
        if self.parent_kind == "team":
            return self.team.organization
        return resolve_organization(self.request.user, self.kwargs["organization_id"])

    @cached_property
    def membership(self) -> OrganizationMembership | None:
        return OrganizationMembership.objects.filter(
            organization=self.organization, user=self.request.user
        ).first()

    def __init_subclass__(cls, **kwargs) -> None:
        # As PostHog does: a view that replaced get_queryset could forget the tenant filter, so it may
        # only narrow the already-scoped queryset in safely_get_queryset.
        super().__init_subclass__(**kwargs)
        if cls.get_queryset is not TenantViewSetMixin.get_queryset:
            raise TypeError(
                f"{cls.__name__} overrides get_queryset, which would bypass tenant scoping; "
                "override safely_get_queryset(queryset) instead."
            )

    def scope_queryset(self, queryset: QuerySet) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):
            return queryset.none()
        if self.parent_kind == "team":
            return queryset.filter(**{self.team_field: self.team})
        return queryset.filter(**{self.organization_field: self.organization})

    def get_queryset(self) -> QuerySet:
        return self.safely_get_queryset(self.scope_queryset(super().get_queryset()))

    def safely_get_queryset(self, queryset: QuerySet) -> QuerySet:
        """Narrows the tenant's queryset (filters, ordering); it never sees another tenant's rows."""
        return queryset

    def get_object(self):
        lookup = self.lookup_url_kwarg or self.lookup_field
        pk_field = self.queryset.model._meta.pk
        by_pk = self.lookup_field in ("pk", pk_field.name)
        if by_pk and isinstance(pk_field, IntegerField) and parse_id(self.kwargs.get(lookup)) is None:
            raise NotFound()  # a malformed or out-of-range id is simply not found, never a crash
        try:
            return super().get_object()
        except (ValueError, TypeError, DjangoValidationError):
            raise NotFound() from None

    def get_serializer_context(self) -> dict:
        context = super().get_serializer_context()
        if not getattr(self, "swagger_fake_view", False) and self.parent_kind == "team":
            context["team"] = self.team
        return context
