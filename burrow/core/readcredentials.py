"""Read credentials: a token in the query string that lets its holder GET one object through the API without a
key or a session, as PostHog's `?sharing_access_token=` does for a shared dashboard or insight.

Core knows only the shape, not who issues the tokens: an app registers a `ReadCredential` (its query
parameter, how a token resolves to an `ObjectGrant`, its refusal messages) in its `AppConfig.ready()`, and a
tenant viewset opts in with `ObjectGrantReadMixin`, serving the kind named by its `scope_object`. With the
parameter present, any method but GET or HEAD is refused, any other object is 403, and keys and sessions are
not consulted."""

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed, PermissionDenied
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from burrow.core.auth import PersonalAPIKeyAuthentication, SessionAuthentication
from burrow.core.ids import CURRENT

READ_METHODS = ("GET", "HEAD")


@dataclass(frozen=True)
class ObjectGrant:
    """All a read credential shows: one object of one kind (a viewset's `scope_object`) in one team."""

    team_id: int
    scope_object: str
    object_id: int | str  # what the viewset's `granted_object_id` gives for the object (its pk by default)


@dataclass(frozen=True)
class ReadCredential:
    parameter: str
    resolve: Callable[[str], ObjectGrant | None]  # None: unknown, revoked or otherwise unusable
    invalid: str
    only_get: str


_CREDENTIALS: dict[str, ReadCredential] = {}


def register(credential: ReadCredential) -> None:
    _CREDENTIALS[credential.parameter] = credential


class ReadCredentialAuthentication(BaseAuthentication):
    """Authenticates as an anonymous viewer whose credential (`request.auth`) is the ObjectGrant."""

    def authenticate(self, request: Request) -> tuple[AnonymousUser, ObjectGrant] | None:
        for parameter, credential in _CREDENTIALS.items():
            token = request.query_params.get(parameter)
            if token is None:
                continue
            if request.method not in READ_METHODS:
                raise AuthenticationFailed(credential.only_get)
            grant = credential.resolve(token)
            if grant is None:
                raise AuthenticationFailed(credential.invalid)
            return AnonymousUser(), grant
        return None

    def authenticate_header(self, request: Request) -> str:
        return "Bearer"


class ObjectGrantPermission(BasePermission):
    """A grant reads its own object, in its own project, and nothing else."""

    def has_permission(self, request, view) -> bool:
        grant = request.auth
        raw_team = view.kwargs.get("project_id") or view.kwargs.get("environment_id")
        if view.action not in getattr(view, "granted_actions", ("retrieve",)) or raw_team == CURRENT:
            raise PermissionDenied()
        if grant.team_id != view.team.id:
            raise PermissionDenied()
        return True

    def has_object_permission(self, request, view, obj) -> bool:
        grant = request.auth
        granted = view.granted_object_id(obj) if hasattr(view, "granted_object_id") else obj.pk
        if (grant.scope_object, grant.object_id) != (view.scope_object, granted):
            raise PermissionDenied()
        return True


class ObjectGrantReadMixin:
    """For a tenant viewset: a registered read credential retrieves the object it grants; keys and sessions
    work as on any other tenant view."""

    authentication_classes = [
        ReadCredentialAuthentication,
        PersonalAPIKeyAuthentication,
        SessionAuthentication,
    ]

    def get_permissions(self):
        if self.granted_read:
            return [ObjectGrantPermission()]
        return super().get_permissions()

    @property
    def granted_read(self) -> bool:
        return isinstance(getattr(self.request, "auth", None), ObjectGrant)

    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        response = super().retrieve(request, *args, **kwargs)
        if self.granted_read:
            response.data["created_by"] = None  # who made it is not part of what was granted
        return response
