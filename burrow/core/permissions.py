"""Permission classes: API key scopes, key team/org scoping, and membership of the tenant in the URL."""

from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import BasePermission

from burrow.core.ids import CURRENT, ORGANIZATION_NOT_FOUND, PROJECT_NOT_FOUND
from burrow.core.models import OrganizationMembership, PersonalAPIKey
from burrow.core.scopes import key_grants

NO_KEY_ACCESS = "This action does not support personal API key access"


def required_scopes(request, view) -> list[str] | None:
    """What a request needs, in PostHog's order: the action's own `required_scopes`, else the
    viewset's `scope_object` with read/write by action. None means no scope can grant it."""
    if getattr(view, "required_scopes", None):
        return list(view.required_scopes)
    scope_object = getattr(view, "scope_object", None)
    if scope_object is None:
        return None
    action = getattr(view, "action", None)
    if request.method == "OPTIONS" or action in view.scope_object_read_actions:
        return [f"{scope_object}:read"]
    if action in view.scope_object_write_actions:
        return [f"{scope_object}:write"]
    return None


class APIScopePermission(BasePermission):
    def has_permission(self, request, view) -> bool:
        key = request.auth
        if not isinstance(key, PersonalAPIKey):
            # A signed-in person's session (request.auth is None) has every scope, as in PostHog; the
            # membership checks that follow (TenantMemberPermission, admin writes) still apply to it.
            return True
        if getattr(view, "action", "") is None:
            return True  # a method the route does not map: answer 405, not a scope error (PostHog: 403)
        scopes = required_scopes(request, view)
        if not scopes:
            raise PermissionDenied(NO_KEY_ACCESS)
        if getattr(view, "scope_object", None) != "user":  # `/api/users/@me/` is no tenant's (as PostHog)
            self._check_key_tenant_scoping(key, view)
        for scope in scopes:
            if not key_grants(list(key.scopes or []), scope):
                raise PermissionDenied(f"API key missing required scope '{scope}'")
        return True

    @staticmethod
    def _check_key_tenant_scoping(key: PersonalAPIKey, view) -> None:
        parent = getattr(view, "parent_kind", None)
        if key.scoped_teams:
            if parent != "team":
                raise PermissionDenied(
                    "API keys with scoped projects are only supported on project-based endpoints."
                )
            if view.team.id not in key.scoped_teams:
                raise PermissionDenied(
                    f"API key does not have access to the requested project: ID {view.team.id}."
                )
        if key.scoped_organizations and parent in ("team", "organization"):
            org_id = str(view.organization.id)
            if org_id not in key.scoped_organizations:
                if _names_current(view):
                    # The key asked for "my current one", which is outside its organizations: for this key
                    # there is no such project (PostHog answers 404 here, not 403).
                    raise NotFound(PROJECT_NOT_FOUND if parent == "team" else ORGANIZATION_NOT_FOUND)
                raise PermissionDenied(
                    f"API key does not have access to the requested organization: ID {org_id}."
                )


class TenantMemberPermission(BasePermission):
    """The caller must belong to the organization that owns the project/organization in the URL."""

    def has_permission(self, request, view) -> bool:
        parent = getattr(view, "parent_kind", None)
        if parent is None:
            return True
        if view.member_level is None:
            if parent == "team":
                raise PermissionDenied("You don't have access to the project.")
            raise PermissionDenied()
        return True


class OrganizationAdminWritePermission(BasePermission):
    """Any member may read; writes need admin or owner."""

    message = "Your organization access level is insufficient."

    def has_permission(self, request, view) -> bool:
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        level = view.member_level
        return level is not None and level >= OrganizationMembership.Level.ADMIN


def _names_current(view) -> bool:
    """Whether the URL names its project, environment or organization as `@current`."""
    kwargs = getattr(view, "kwargs", None) or {}
    return CURRENT in (kwargs.get("project_id"), kwargs.get("environment_id"), kwargs.get("organization_id"))
