"""Every tenant-owned viewset derives from TenantViewSetMixin: the project/environment/organization in the
URL is resolved once, the caller's membership checked, and every queryset filtered by it, so a view cannot
forget tenancy."""

import uuid

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import IntegerField, OuterRef, QuerySet, Subquery

# Django's cached_property, not functools': on Python 3.11 the latter holds one lock per property across
# every instance, so a web worker's threads would wait for each other's project look-ups.
from django.utils.functional import cached_property
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated

from burrow.core.ids import CURRENT, ORGANIZATION_NOT_FOUND, PROJECT_NOT_FOUND, parse_id
from burrow.core.models import Organization, OrganizationMembership, Team
from burrow.core.permissions import APIScopePermission, TenantMemberPermission
from burrow.core.prepared import PreparedQuery


def _team_with_member_level(lookup: str) -> PreparedQuery:
    """A team, its organization and project, and the user's level in that organization (None: not a
    member), in one round trip: every request to a project route asks for exactly this."""
    return PreparedQuery(
        lambda p: (
            Team.objects.select_related("organization", "project")
            .filter(**{lookup: p.team})
            .annotate(
                member_level=Subquery(
                    OrganizationMembership.objects.filter(
                        organization_id=OuterRef("organization_id"), user_id=p.user
                    ).values("level")[:1]
                )
            )
            .order_by("id")[:1]
        ),
        team=int,
        user=int,
    )


_TEAM_BY_PROJECT = _team_with_member_level("project_id")
_TEAM_BY_ID = _team_with_member_level("id")


def member_level(user, organization_id) -> int | None:
    return (
        OrganizationMembership.objects.filter(organization_id=organization_id, user=user)
        .values_list("level", flat=True)
        .first()
    )


def resolve_team(user, project_id: str | None, environment_id: str | None) -> Team:
    """A project id resolves to its default environment (the team sharing its id). The team carries
    `member_level`: the user's level in its organization, None when they are not a member."""
    raw = project_id if project_id is not None else environment_id
    if raw == CURRENT:
        team = user.current_team if user.current_team_id else None
        if team is None:
            membership_orgs = OrganizationMembership.objects.filter(user=user).values("organization_id")
            team = (
                Team.objects.select_related("organization", "project")
                .filter(organization_id__in=membership_orgs)
                .order_by("id")
                .first()
            )
        if team is None:
            raise NotFound(PROJECT_NOT_FOUND)
        team.member_level = member_level(user, team.organization_id)
        return team
    team_id = parse_id(raw)
    if team_id is None:
        raise NotFound(PROJECT_NOT_FOUND)
    if user.id is None:  # a read credential (a share's grant) is nobody's membership
        lookup = {"project_id" if project_id is not None else "id": team_id}
        team = Team.objects.select_related("organization", "project").filter(**lookup).order_by("id").first()
        if team is not None:
            team.member_level = None
    else:
        query = _TEAM_BY_PROJECT if project_id is not None else _TEAM_BY_ID
        team = query.first(team=team_id, user=user.id)
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
    # The compiled query (burrow/core/prepared.py) that `retrieve` reads its object with, taking `team` and
    # `pk`: the project's row with that id, as get_queryset() narrowed to it would find, without compiling
    # a queryset on every request. Views that do not name one use get_queryset().
    retrieve_query: PreparedQuery | None = None

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
    def member_level(self) -> int | None:
        """The caller's level in the organization in the URL (OrganizationMembership.Level), None for a
        non-member."""
        if self.parent_kind == "team":
            return self.team.member_level
        return member_level(self.request.user, self.organization.id)

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
        if self.retrieve_query is not None and self.action == "retrieve" and self.parent_kind == "team":
            obj = self.retrieve_query.first(team=self.team.id, pk=parse_id(self.kwargs[lookup]))
            if obj is None:
                raise NotFound()
            self.check_object_permissions(self.request, obj)
            return obj
        try:
            return super().get_object()
        except (ValueError, TypeError, DjangoValidationError):
            raise NotFound() from None

    def get_serializer_context(self) -> dict:
        context = super().get_serializer_context()
        if not getattr(self, "swagger_fake_view", False) and self.parent_kind == "team":
            context["team"] = self.team
        return context
