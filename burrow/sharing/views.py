"""`/api/projects/:id/{session_recordings,dashboards,insights}/:id/sharing/` (and the environments twins):
the sharing configuration of one resource, its passwords and its link refresh. Views parse and authorise;
services.py writes."""

from django.db.models import Prefetch, QuerySet
from django.utils.functional import cached_property
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from burrow.analytics.models import Dashboard, Insight
from burrow.core.ids import parse_id
from burrow.core.tenancy import TenantViewSetMixin
from burrow.sharing import services
from burrow.sharing.models import (
    RECORDING_ID_MAX_LENGTH,
    SessionRecording,
    SharePassword,
    SharingConfiguration,
)
from burrow.sharing.serializers import (
    SharePasswordCreatedSerializer,
    SharePasswordCreateSerializer,
    SharePasswordSerializer,
    SharingConfigurationSerializer,
)

PASSWORD_NOT_FOUND = "Password not found"
PROTECTION_OFF = "Password protection must be enabled before creating passwords"
PASSWORD_ID = OpenApiParameter("password_id", OpenApiTypes.STR, OpenApiParameter.PATH)


class SharingViewSet(TenantViewSetMixin, viewsets.GenericViewSet):
    """One resource's sharing configuration. Reading it saves nothing: until the first write the answer is
    an unsaved configuration (disabled, with a fresh token each time), as in PostHog.

    Subclasses declare which resource they share (`resource`) and how the URL names it."""

    resource: str  # SharingConfiguration's field: "recording", "dashboard" or "insight"
    resource_kwarg: str
    not_found: str = "Not found."

    scope_object = "sharing_configuration"
    scope_object_read_actions = ["list"]
    scope_object_write_actions = ["update_configuration", "refresh", "create_password", "delete_password"]
    serializer_class = SharingConfigurationSerializer
    queryset = SharingConfiguration.objects.all()
    pagination_class = None
    filter_backends: list = []
    # The only object id in these URLs is a password's; the tenant-isolation matrix reads it from here.
    lookup_url_kwarg = "password_id"

    def find_resource(self, raw_id: str) -> Dashboard | Insight | SessionRecording | None:
        raise NotImplementedError

    @cached_property
    def shared(self) -> services.SharedResource:
        obj = self.find_resource(self.kwargs[self.resource_kwarg])
        if obj is None:
            raise NotFound(self.not_found)
        return services.SharedResource(self.resource, obj)

    def configuration(self) -> SharingConfiguration:
        """The current configuration with its active passwords, or an unsaved one."""
        obj = self.shared.obj
        config = self._with_passwords(**{self.resource: obj}) if obj.pk is not None else None
        return config or SharingConfiguration(team=self.team, enabled=False, **{self.resource: obj})

    def _with_passwords(self, **lookup) -> SharingConfiguration | None:
        passwords = SharePassword.objects.filter(is_active=True).select_related("created_by")
        return (
            self.get_queryset()
            .filter(**lookup)
            .prefetch_related(Prefetch("share_passwords", queryset=passwords.order_by("-created_at", "-id")))
            .first()
        )

    def answer(self, written: SharingConfiguration | None = None) -> Response:
        config = self._with_passwords(pk=written.pk) if written else self.configuration()
        return Response(self.get_serializer(config).data)

    def list(self, request: Request, *args, **kwargs) -> Response:
        return self.answer()

    def update_configuration(self, request: Request, *args, **kwargs) -> Response:
        """PATCH on the configuration's own route (urls.py maps it; a handler named `patch` would also
        answer PATCH on every other route of the viewset, with no action and so no scope check)."""
        serializer = self.get_serializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        return self.answer(services.update(self.team, self.shared, request.user, serializer.validated_data))

    @extend_schema(request=None)
    @action(methods=["post"], detail=False)
    def refresh(self, request: Request, *args, **kwargs) -> Response:
        return self.answer(services.refresh(self.team, self.shared, request.user))

    @extend_schema(
        request=SharePasswordCreateSerializer,
        responses={201: SharePasswordCreatedSerializer},
        description="Create a new password for the sharing configuration. The raw password is in this "
        "response only; later reads list its metadata in `share_passwords`.",
    )
    @action(methods=["post"], detail=False, url_path="passwords")
    def create_password(self, request: Request, *args, **kwargs) -> Response:
        if not self.configuration().password_required:
            return Response({"error": PROTECTION_OFF}, status=status.HTTP_400_BAD_REQUEST)
        serializer = SharePasswordCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            password, raw = services.create_password(
                self.team,
                self.shared,
                request.user,
                serializer.validated_data.get("raw_password"),
                serializer.validated_data.get("note"),
            )
        except services.PasswordProtectionOff:
            return Response({"error": PROTECTION_OFF}, status=status.HTTP_400_BAD_REQUEST)
        body = {**SharePasswordSerializer(password).data, "password": raw}
        body.pop("is_active")
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[PASSWORD_ID],
        responses={204: OpenApiResponse(description="Deleted")},
        description="Delete a password from the sharing configuration. Sessions opened with it end at once.",
    )
    @action(methods=["delete"], detail=False, url_path=r"passwords/(?P<password_id>[^/]+)")
    def delete_password(self, request: Request, *args, password_id: str, **kwargs) -> Response:
        password = parse_id(password_id)
        if password is None or not services.delete_password(self.team, self.shared, password):
            raise NotFound(PASSWORD_NOT_FOUND)
        return Response(status=status.HTTP_204_NO_CONTENT)


class RecordingSharingViewSet(SharingViewSet):
    resource = "recording"
    resource_kwarg = "recording_id"

    def find_resource(self, raw_id: str) -> SessionRecording | None:
        """Any id names a recording (PostHog never looks recordings up); one that cannot be stored is not found."""
        if not raw_id or len(raw_id) > RECORDING_ID_MAX_LENGTH or not raw_id.isprintable():
            return None
        found = SessionRecording.objects.filter(team=self.team, session_id=raw_id).first()
        return found or SessionRecording(team=self.team, session_id=raw_id)


class LiveObjectSharingViewSet(SharingViewSet):
    """Sharing of a dashboard or an insight: one of the team's live ones, by the id in the URL."""

    resources: QuerySet  # where to look, loading what sharing needs of it

    def find_resource(self, raw_id: str) -> Dashboard | Insight | None:
        resource_id = parse_id(raw_id)
        if resource_id is None:
            return None
        return self.resources.filter(team=self.team, id=resource_id, deleted=False).first()


class DashboardSharingViewSet(LiveObjectSharingViewSet):
    resource = "dashboard"
    resource_kwarg = "dashboard_id"
    not_found = "Dashboard not found."
    resources = Dashboard.objects.all()


class InsightSharingViewSet(LiveObjectSharingViewSet):
    resource = "insight"
    resource_kwarg = "insight_id"
    not_found = "Insight not found."
    resources = Insight.objects.only("id", "team_id", "short_id", "name", "derived_name")
