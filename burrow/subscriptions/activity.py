"""What the activity log records of a subscription: the fields PostHog logs, as the API renders them."""

from datetime import datetime
from typing import Any

from rest_framework import serializers

from burrow.subscriptions.models import SCHEDULE_FIELDS, Subscription

ACTIVITY_FIELDS = (
    "title",
    "insight",
    "dashboard",
    "dashboard_export_insights",
    "target_type",
    "target_value",
    *SCHEDULE_FIELDS,
    "integration_id",
    "enabled",
    "deleted",
)

_datetime_field = serializers.DateTimeField()


def activity_state(subscription: Subscription) -> dict[str, Any]:
    state = {}
    for name in ACTIVITY_FIELDS:
        if name in ("insight", "dashboard"):
            value = getattr(subscription, f"{name}_id")
        elif name == "dashboard_export_insights":
            value = sorted(i.id for i in subscription.dashboard_export_insights.all())
        else:
            value = getattr(subscription, name)
        state[name] = _datetime_field.to_representation(value) if isinstance(value, datetime) else value
    return state
