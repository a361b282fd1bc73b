"""Query parameters of the subscriptions list (`?insight=`, `?created_by=`, `?target_type=` …) and of the
delivery log (`?status=`). Unlike search and ordering, they also narrow retrieve and update, as in PostHog."""

import django_filters
from django.db.models import QuerySet

from burrow.core.filters import IdFilter, StrictChoiceFilter, UUIDFilter
from burrow.subscriptions.delivery.registry import all_channels
from burrow.subscriptions.models import Subscription, SubscriptionDelivery

RESOURCE_FILTERS = {"insight": {"insight__isnull": False}, "dashboard": {"dashboard__isnull": False}}


class SubscriptionFilter(django_filters.FilterSet):
    insight = IdFilter(field_name="insight_id", help_text="Only subscriptions of this insight.")
    dashboard = IdFilter(field_name="dashboard_id", help_text="Only subscriptions of this dashboard.")
    created_by = UUIDFilter(
        field_name="created_by__uuid", help_text="Only subscriptions created by this user."
    )
    resource_type = django_filters.CharFilter(
        method="filter_resource_type", help_text="Insight or dashboard."
    )
    target_type = StrictChoiceFilter(choices=list(all_channels()), help_text="Delivery channel.")

    class Meta:
        model = Subscription
        fields: list[str] = []

    def filter_resource_type(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        # An unknown resource type is ignored, as in PostHog.
        return queryset.filter(**RESOURCE_FILTERS[value]) if value in RESOURCE_FILTERS else queryset


class SubscriptionDeliveryFilter(django_filters.FilterSet):
    status = StrictChoiceFilter(choices=SubscriptionDelivery.Status.values, help_text="Only this outcome.")

    class Meta:
        model = SubscriptionDelivery
        fields: list[str] = []
