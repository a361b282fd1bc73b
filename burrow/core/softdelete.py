"""Soft-deletable resources: no hard DELETE, `deleted` set by PATCH, lists hide deleted rows."""

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.exceptions import MethodNotAllowed
from rest_framework.response import Response

from burrow.core.tenancy import TenantViewSetMixin

HARD_DELETE_FORBIDDEN = (
    'Hard delete of this model is not allowed. Use a patch API call to set "deleted" to true'
)


def str_to_bool(value: str) -> bool:
    return str(value).strip().lower() in {"1", "true", "yes", "on", "t", "y"}


class SoftDeleteViewSetMixin:
    """DELETE answers 405 with the error envelope (PostHog: an empty body) without looking the object up.

    Lists show live rows only, unless `?deleted=true|false` asks for one side explicitly."""

    @extend_schema(responses={405: OpenApiResponse(description=HARD_DELETE_FORBIDDEN)})
    def destroy(self, request, *args, **kwargs) -> Response:
        """Hard delete of this model is not allowed. Use a patch API call to set "deleted" to true"""
        raise MethodNotAllowed(request.method, detail=HARD_DELETE_FORBIDDEN)

    def filter_deleted(self, queryset: QuerySet) -> QuerySet:
        if self.action != "list":
            return queryset
        requested = self.request.query_params.get("deleted")
        if requested is None:
            return queryset.filter(deleted=False)
        return queryset.filter(deleted=str_to_bool(requested))


class SoftDeleteModelViewSet(
    TenantViewSetMixin,
    SoftDeleteViewSetMixin,
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """A tenant resource with list/create/retrieve/update and soft delete (dashboards, insights,
    subscriptions)."""

    def safely_get_queryset(self, queryset: QuerySet) -> QuerySet:
        return self.filter_deleted(queryset)
