"""Subscriptions API representation and validation: PostHog's seed-era fields and messages, plus Burrow's
`enabled`, `next_deliveries` (retrieve) and the webhook secret shown once on creation."""

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from burrow.analytics.models import Dashboard, DashboardTile, Insight
from burrow.core.ids import ID_MAX
from burrow.core.serializers import (
    TeamScopedPrimaryKeyRelatedField,
    TeamScopedSerializer,
    UserBasicSerializer,
)
from burrow.integrations.models import Integration
from burrow.subscriptions import services
from burrow.subscriptions.delivery.base import INTEGRATION_NOT_FOUND, Channel, TargetEdit
from burrow.subscriptions.delivery.registry import channel_for, target_type_choices
from burrow.subscriptions.models import (
    MAX_REPORT_INSIGHTS,
    SCHEDULE_FIELDS,
    Subscription,
    SubscriptionDelivery,
)
from burrow.subscriptions.schedule import RRULE_FIELDS, Schedule, impossible_position

INT32_MIN, INT32_MAX = -2147483648, 2147483647
DEFAULT_PREVIEW = 5
# dateutil walks every occurrence from DTSTART; an ancient start makes each save scan centuries.
EARLIEST_START = datetime(2000, 1, 1, tzinfo=UTC)
SCHEDULE_EXHAUSTED = "Subscription schedule has reached its end date. Extend until_date or remove count."
# A write that sets any of these has its target checked by the channel.
TARGET_FIELDS = frozenset({"target_type", "target_value", "integration_id"})
MAX_SETPOS = 366
BYSETPOS_RANGE = f"bysetpos must be between 1 and {MAX_SETPOS}, or between -{MAX_SETPOS} and -1."
_datetime_field = serializers.DateTimeField()


def int32_field(
    minimum: int = INT32_MIN, maximum: int = INT32_MAX, **kwargs: Any
) -> serializers.IntegerField:
    """An integer the database can store; the bounds are what validation accepts, so the OpenAPI schema's
    `minimum`/`maximum` tell clients the truth."""
    return serializers.IntegerField(min_value=minimum, max_value=maximum, **kwargs)


@extend_schema_field({"type": "array", "items": {"type": "integer"}})
class InsightIdsField(serializers.Field):
    default_error_messages = {
        "not_a_list": "Expected a list of insight IDs.",
        "not_integers": "All items must be integers.",
    }

    def to_internal_value(self, data: Any) -> list[int]:
        if not isinstance(data, list):
            self.fail("not_a_list")
        if not all(isinstance(item, int) and not isinstance(item, bool) for item in data):
            self.fail("not_integers")
        return list(dict.fromkeys(data))

    def to_representation(self, manager) -> list[int]:
        return [insight.id for insight in manager.all()]


class WriteOnlyNullField(serializers.CharField):
    """Accepted on writes, never stored, always rendered as null (PostHog's `invite_message`)."""

    def get_attribute(self, instance: Any) -> None:
        return None


class SubscriptionSerializer(TeamScopedSerializer):
    dashboard = TeamScopedPrimaryKeyRelatedField(
        queryset=Dashboard.objects.all(), required=False, allow_null=True
    )
    insight = TeamScopedPrimaryKeyRelatedField(
        queryset=Insight.objects.all(), required=False, allow_null=True
    )
    dashboard_export_insights = InsightIdsField(required=False)
    target_type = serializers.ChoiceField(choices=target_type_choices())
    interval = int32_field(
        minimum=1, required=False, error_messages={"min_value": "Interval must be at least 1."}
    )
    byweekday = serializers.ListField(
        child=serializers.ChoiceField(choices=Subscription.Weekday.choices), required=False, allow_null=True
    )
    bysetpos = int32_field(
        minimum=-MAX_SETPOS,
        maximum=MAX_SETPOS,
        required=False,
        allow_null=True,
        error_messages={"min_value": BYSETPOS_RANGE, "max_value": BYSETPOS_RANGE},
    )
    count = int32_field(
        minimum=1, required=False, allow_null=True, error_messages={"min_value": "Count must be at least 1."}
    )
    created_by = UserBasicSerializer(read_only=True, allow_null=True)
    summary = serializers.CharField(read_only=True)
    integration_id = int32_field(required=False, allow_null=True)
    invite_message = WriteOnlyNullField(required=False, allow_null=True, allow_blank=True)

    class Meta:
        model = Subscription
        fields = [
            "id",
            "dashboard",
            "insight",
            "dashboard_export_insights",
            "target_type",
            "target_value",
            *SCHEDULE_FIELDS,
            "created_at",
            "created_by",
            "deleted",
            "title",
            "summary",
            "next_delivery_date",
            "integration_id",
            "invite_message",
            "enabled",
        ]
        read_only_fields = ["id", "created_at", "created_by", "summary", "next_delivery_date"]

    @property
    def team(self):
        return self.context["team"]

    # Field-level checks.

    def validate_bysetpos(self, bysetpos: int | None) -> int | None:
        if bysetpos == 0:  # the one value inside the bounds that names no position
            raise serializers.ValidationError(BYSETPOS_RANGE)
        return bysetpos

    def validate_start_date(self, start_date: datetime) -> datetime:
        if start_date < EARLIEST_START:
            raise serializers.ValidationError("Start date must be in the year 2000 or later.")
        return start_date

    # Cross-field checks, in PostHog's order.

    def _merged(self, attrs: dict, name: str, default: Any = None) -> Any:
        if name in attrs:
            return attrs[name]
        return getattr(self.instance, name, default) if self.instance is not None else default

    def _merged_id(self, attrs: dict, name: str) -> int | None:
        if name in attrs:
            return attrs[name].id if attrs[name] is not None else None
        return getattr(self.instance, f"{name}_id", None) if self.instance is not None else None

    def validate(self, attrs: dict) -> dict:
        # Runs only once every field is valid and owned by the team, so errors come in PostHog's order.
        self._validate_resource(attrs)
        self._validate_export_insights(attrs)
        self._validate_schedule(attrs)
        self._validate_target(attrs)
        self._validate_integration(attrs)
        return attrs

    def _validate_resource(self, attrs: dict) -> None:
        insight_id, dashboard_id = self._merged_id(attrs, "insight"), self._merged_id(attrs, "dashboard")
        if not insight_id and not dashboard_id:
            raise serializers.ValidationError("Either dashboard or insight is required for an export.")
        if insight_id and dashboard_id:
            if self.instance is not None and self.instance.dashboard_id and not self.instance.insight_id:
                raise serializers.ValidationError(
                    "Dashboard subscriptions cannot also set insight or prompt."
                )
            raise serializers.ValidationError(
                {"insight": "Insight subscriptions cannot also set dashboard or prompt."}
            )

    def _validate_export_insights(self, attrs: dict) -> None:
        ids = attrs.get("dashboard_export_insights")
        dashboard_id = self._merged_id(attrs, "dashboard")
        error = None
        if not dashboard_id:
            if ids:
                error = "Cannot set insights selection without a dashboard."
        elif ids == [] or (
            ids is None and (self.instance is None or self.instance.dashboard_id != dashboard_id)
        ):
            error = "Select at least one insight for this subscription."
        elif ids is not None:
            error = self._export_selection_error(dashboard_id, ids)
        if error:
            raise serializers.ValidationError({"dashboard_export_insights": error})

    def _export_selection_error(self, dashboard_id: int, ids: list[int]) -> str | None:
        if len(ids) > MAX_REPORT_INSIGHTS:
            return f"Cannot select more than {MAX_REPORT_INSIGHTS} insights."
        in_range = [i for i in ids if 0 < i <= ID_MAX]
        found = Insight.objects.filter(team=self.team, deleted=False, id__in=in_range).count()
        if found != len(ids):
            return "Some insights do not belong to your team or do no longer exist."
        tiles = DashboardTile.objects.filter(
            dashboard_id=dashboard_id, insight_id__in=ids, deleted=False, insight__deleted=False
        ).count()
        if tiles != len(ids):
            return f"{len(ids) - tiles} invalid insight(s) selected."
        return None

    def _validate_schedule(self, attrs: dict) -> None:
        creating = self.instance is None
        re_enabling = self._re_enabling(attrs)
        if not creating and not re_enabling and not any(f in attrs for f in RRULE_FIELDS):
            return
        values = {f: self._merged(attrs, f) for f in RRULE_FIELDS}
        values["interval"] = values["interval"] or 1
        reason = impossible_position(values["frequency"], values["byweekday"], values["bysetpos"])
        if reason:
            raise serializers.ValidationError({"bysetpos": reason})
        try:
            upcoming = Schedule.of(SimpleNamespace(**values)).next_after(timezone.now())
        except (ValueError, OverflowError) as error:
            raise serializers.ValidationError(f"This schedule cannot be computed: {error}.") from error
        if upcoming is not None:
            return
        if creating:
            raise serializers.ValidationError({"start_date": SCHEDULE_EXHAUSTED})
        if re_enabling:
            raise serializers.ValidationError({"enabled": SCHEDULE_EXHAUSTED[:-1] + " before re-enabling."})
        if self._merged(attrs, "enabled", True):
            raise serializers.ValidationError(SCHEDULE_EXHAUSTED)

    def _re_enabling(self, attrs: dict) -> bool:
        return self.instance is not None and attrs.get("enabled") is True and not self.instance.enabled

    def _channel(self, attrs: dict) -> Channel:
        return channel_for(self._merged(attrs, "target_type"))

    def _validate_target(self, attrs: dict) -> None:
        """The channel checks where reports go (and may normalise the value) on creation, on re-enabling,
        and on any write that sets the type, the value or the integration."""
        re_enabling = self._re_enabling(attrs)
        fields = TARGET_FIELDS & set(attrs)
        if not (self.instance is None or re_enabling or fields):
            return
        target = TargetEdit(
            team=self.team,
            value=self._merged(attrs, "target_value") or "",
            integration_id=self._merged(attrs, "integration_id"),
            fields=fields,
            creating=self.instance is None,
            re_enabling=re_enabling,
        )
        normalised = self._channel(attrs).check_target(target)
        if normalised is not None:
            attrs["target_value"] = normalised

    def _validate_integration(self, attrs: dict) -> None:
        """A named integration is one of the team's, and one its channel can use."""
        integration_id = attrs.get("integration_id")
        if integration_id is None:
            return
        integration = (
            Integration.objects.filter(team=self.team, id=integration_id).only("kind", "config").first()
        )
        if integration is None:
            raise serializers.ValidationError({"integration_id": INTEGRATION_NOT_FOUND})
        unchanged = self.instance is not None and self.instance.integration_id == integration_id
        self._channel(attrs).check_integration(integration, unchanged)

    # Writes go through the services module; the serializer only validates.

    def create(self, validated_data: dict) -> Subscription:
        export_ids = validated_data.pop("dashboard_export_insights", None) or []
        invite_message = validated_data.pop("invite_message", None)
        subscription, self.new_webhook_secret = services.create(
            self.team, self.context["request"].user, validated_data, export_ids, invite_message
        )
        return subscription

    def update(self, subscription: Subscription, validated_data: dict) -> Subscription:
        export_ids = validated_data.pop("dashboard_export_insights", None)
        invite_message = validated_data.pop("invite_message", None)
        subscription, self.new_webhook_secret = services.update(
            subscription, self.context["request"].user, validated_data, export_ids, invite_message
        )
        return subscription

    def to_representation(self, instance: Subscription) -> dict:
        data = super().to_representation(instance)
        secret = getattr(self, "new_webhook_secret", None)
        if secret:
            data["webhook_secret"] = secret  # shown once: only the response of the write that made it
        return data


class SubscriptionDetailSerializer(SubscriptionSerializer):
    next_deliveries = serializers.SerializerMethodField()

    class Meta(SubscriptionSerializer.Meta):
        fields = [*SubscriptionSerializer.Meta.fields, "next_deliveries"]
        read_only_fields = [*SubscriptionSerializer.Meta.read_only_fields, "next_deliveries"]

    @extend_schema_field(serializers.ListField(child=serializers.DateTimeField()))
    def get_next_deliveries(self, subscription: Subscription) -> list[str]:
        dates = subscription.upcoming_deliveries(self.context.get("preview", DEFAULT_PREVIEW))
        return [_datetime_field.to_representation(d) for d in dates]


class SubscriptionDeliverySerializer(serializers.ModelSerializer):
    subscription = serializers.IntegerField(source="subscription_id", read_only=True)
    exported_asset_ids = serializers.SerializerMethodField()

    class Meta:
        model = SubscriptionDelivery
        fields = [
            "id",
            "subscription",
            "trigger_type",
            "scheduled_at",
            "target_type",
            "target_value",
            "exported_asset_ids",
            "content_snapshot",
            "recipient_results",
            "status",
            "error",
            "attempts",
            "created_at",
            "last_updated_at",
            "finished_at",
        ]
        read_only_fields = fields

    def get_exported_asset_ids(self, obj: SubscriptionDelivery) -> list[int]:
        return list((obj.content_snapshot or {}).get("exported_asset_ids", []))
