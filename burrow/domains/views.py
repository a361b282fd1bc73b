"""`/api/organizations/:organization_id/domains/`: list, create, retrieve, update (PATCH), delete, and the
`verify` and `scim/token` actions. Members read; admins and owners write, except SCIM: turning it on or off
and its token need owner level, because the token can change every membership the domain's people hold.
Views parse and authorise; `services.py` does the work."""

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from burrow.core.exceptions import error_body
from burrow.core.models import OrganizationMembership
from burrow.core.permissions import OrganizationAdminWritePermission
from burrow.core.tenancy import TenantViewSetMixin
from burrow.domains import services
from burrow.domains.models import OrganizationDomain
from burrow.domains.serializers import OrganizationDomainSerializer, ScimTokenSerializer

WRITE = ["organization:write"]


def _refused(error: services.DomainError, attr: str | None = None) -> ValidationError:
    return ValidationError({attr: [error.args[0]]} if attr else [error.args[0]], code=error.code)


class OrganizationDomainViewSet(
    TenantViewSetMixin,
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    scope_object = "organization"
    serializer_class = OrganizationDomainSerializer
    queryset = OrganizationDomain.objects.all()
    permission_classes = [OrganizationAdminWritePermission]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def safely_get_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.order_by("domain", "id")

    def perform_create(self, serializer) -> None:
        try:
            serializer.instance = services.create(
                self.organization, self.request.user, serializer.validated_data
            )
        except services.DomainError as error:
            raise _refused(error, "domain") from None

    def perform_update(self, serializer) -> None:
        wanted = serializer.validated_data.get("scim_enabled")
        if wanted is not None and wanted != serializer.instance.scim_enabled:
            self._require_owner()
        issued = services.update(serializer.instance, self.request.user, serializer.validated_data)
        serializer.instance = issued.domain
        serializer.context["scim_bearer_token"] = issued.scim_bearer_token

    def perform_destroy(self, instance: OrganizationDomain) -> None:
        services.delete(instance, self.request.user)

    @extend_schema(request=None, responses=OrganizationDomainSerializer)
    @action(detail=True, methods=["post"], required_scopes=WRITE)
    def verify(self, request: Request, *args, **kwargs) -> Response:
        """Looks up the TXT record `_posthog-challenge.<domain>`; always answers the domain (check
        `is_verified`), except right after a failed attempt (429 with Retry-After)."""
        try:
            domain = services.verify(self.get_object(), request.user)
        except services.RetryTooSoon as throttled:
            return Response(
                error_body("throttled_error", "throttled", str(throttled)),
                status=status.HTTP_429_TOO_MANY_REQUESTS,
                headers={"Retry-After": str(throttled.retry_after)},
            )
        except services.DomainError as error:
            raise _refused(error) from None
        return Response(self.get_serializer(domain).data)

    @extend_schema(request=None, responses=ScimTokenSerializer)
    @action(detail=True, methods=["post"], url_path="scim/token", required_scopes=WRITE)
    def scim_token(self, request: Request, *args, **kwargs) -> Response:
        """Issues a new SCIM bearer token (shown in this answer only); the previous one stops working."""
        domain = self.get_object()
        self._require_owner()
        try:
            issued = services.rotate_scim_token(domain, request.user)
        except services.ScimNotEnabled as error:
            raise _refused(error) from None
        return Response(
            ScimTokenSerializer(
                {
                    "scim_enabled": True,
                    "scim_base_url": issued.domain.scim_base_url,
                    "scim_bearer_token": issued.scim_bearer_token,
                }
            ).data
        )

    def _require_owner(self) -> None:
        """SCIM is the owners' (docs/scim.md): an admin holding the token could make themselves owner."""
        if self.member_level is None or self.member_level < OrganizationMembership.Level.OWNER:
            raise PermissionDenied(OrganizationAdminWritePermission.message)
