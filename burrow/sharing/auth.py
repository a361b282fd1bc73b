"""`?sharing_access_token=<token>` on API reads: the holder of an enabled, password-free share link may GET
exactly the shared dashboard or insight through the API, as in PostHog. Any other method with the parameter
is refused, any other object is 403, and regular API-key authentication is not consulted.

Views opt in with SharedObjectReadMixin and `sharing_resource` ("dashboard" or "insight")."""

from django.contrib.auth.models import AnonymousUser
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed, PermissionDenied
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from burrow.core.auth import PersonalAPIKeyAuthentication, SessionAuthentication
from burrow.core.tenancy import CURRENT
from burrow.sharing import access
from burrow.sharing.models import SharingConfiguration

PARAMETER = "sharing_access_token"
READ_METHODS = ("GET", "HEAD")
ONLY_GET = "Sharing access token can only be used for GET requests."
INVALID = "Sharing access token is invalid."


class SharingAccessTokenAuthentication(BaseAuthentication):
    """Authenticates as an anonymous viewer whose credential is the sharing configuration."""

    def authenticate(self, request: Request) -> tuple[AnonymousUser, SharingConfiguration] | None:
        token = request.query_params.get(PARAMETER)
        if token is None:
            return None
        if request.method not in READ_METHODS:
            raise AuthenticationFailed(ONLY_GET)
        config = access.resolve(token)
        if config is None or config.password_required:
            raise AuthenticationFailed(INVALID)  # password-protected shares never authenticate this way
        return AnonymousUser(), config

    def authenticate_header(self, request: Request) -> str:
        return "Bearer"


class SharedObjectPermission(BasePermission):
    """A sharing token reads its own object, in its own project, and nothing else."""

    def has_permission(self, request, view) -> bool:
        config = request.auth
        raw_team = view.kwargs.get("project_id") or view.kwargs.get("environment_id")
        if view.action != "retrieve" or raw_team == CURRENT:
            raise PermissionDenied()
        if config.team_id != view.team.id:
            raise PermissionDenied()
        return True

    def has_object_permission(self, request, view, obj) -> bool:
        config = request.auth
        if getattr(config, f"{view.sharing_resource}_id") != obj.pk:
            raise PermissionDenied()
        return True


class SharedObjectReadMixin:
    """For a viewset of dashboards or insights: `?sharing_access_token=` reads the shared object."""

    sharing_resource: str
    authentication_classes = [
        SharingAccessTokenAuthentication,
        PersonalAPIKeyAuthentication,
        SessionAuthentication,
    ]

    def get_permissions(self):
        if self.shared_read:
            return [SharedObjectPermission()]
        return super().get_permissions()

    @property
    def shared_read(self) -> bool:
        return isinstance(getattr(self.request, "auth", None), SharingConfiguration)

    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        response = super().retrieve(request, *args, **kwargs)
        if self.shared_read:
            response.data["created_by"] = None  # who made it is not part of what was shared
        return response
