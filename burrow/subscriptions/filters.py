"""List filters of the subscriptions API (`?insight=`, `?created_by=`, `?target_type=` …)."""

import uuid

from django.db.models import QuerySet
from rest_framework import serializers
from rest_framework.filters import BaseFilterBackend, OrderingFilter

from burrow.subscriptions.models import Subscription

ID_MAX = 2**63 - 1
TARGET_TYPES = [choice.value for choice in Subscription.TargetType]
RESOURCE_FILTERS = {"insight": {"insight__isnull": False}, "dashboard": {"dashboard__isnull": False}}


def _id_param(name: str, raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if not 0 < value <= ID_MAX:
        raise serializers.ValidationError({name: "A valid integer is required."})
    return value


class SubscriptionFilterBackend(BaseFilterBackend):
    """Unlike search and ordering, these also narrow retrieve and update, as in PostHog."""

    def filter_queryset(self, request, queryset: QuerySet, view) -> QuerySet:
        params = {k: v for k, v in request.query_params.items() if v != ""}
        for name in ("insight", "dashboard"):
            if name in params:
                queryset = queryset.filter(**{f"{name}_id": _id_param(name, params[name])})
        if "created_by" in params:
            try:
                creator = uuid.UUID(params["created_by"])
            except ValueError:
                raise serializers.ValidationError({"created_by": "Not a valid UUID."}) from None
            queryset = queryset.filter(created_by__uuid=creator)
        if params.get("resource_type") in RESOURCE_FILTERS:
            queryset = queryset.filter(**RESOURCE_FILTERS[params["resource_type"]])
        if "target_type" in params:
            if params["target_type"] not in TARGET_TYPES:
                raise serializers.ValidationError(
                    {"target_type": f"Must be one of: {', '.join(TARGET_TYPES)}."}
                )
            queryset = queryset.filter(target_type=params["target_type"])
        return queryset

    def get_schema_operation_parameters(self, view) -> list[dict]:
        def param(name: str, schema: dict, description: str) -> dict:
            return {
                "name": name,
                "in": "query",
                "required": False,
                "description": description,
                "schema": schema,
            }

        return [
            param("insight", {"type": "integer"}, "Only subscriptions of this insight."),
            param("dashboard", {"type": "integer"}, "Only subscriptions of this dashboard."),
            param(
                "created_by", {"type": "string", "format": "uuid"}, "Only subscriptions created by this user."
            ),
            param(
                "resource_type", {"type": "string", "enum": list(RESOURCE_FILTERS)}, "Insight or dashboard."
            ),
            param("target_type", {"type": "string", "enum": TARGET_TYPES}, "Delivery channel."),
            param(
                "deleted", {"type": "boolean"}, "Show only deleted (true) or only live (false) subscriptions."
            ),
        ]


class StableOrderingFilter(OrderingFilter):
    """Ties broken by id, newest first, so offset pages never repeat or skip a row."""

    def get_ordering(self, request, queryset, view) -> list[str]:
        ordering = super().get_ordering(request, queryset, view) or []
        return [*ordering, "-id"]
