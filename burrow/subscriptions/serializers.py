"""Subscriptions API representation and validation: PostHog's seed-era fields and messages, plus Burrow's
`enabled`, `next_deliveries` (retrieve) and the webhook secret shown once on creation."""

from datetime import UTC, datetime
from email.utils import formataddr, getaddresses
from types import SimpleNamespace
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
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
from burrow.core.urlsafety import check_url_allowed
from burrow.integrations.models import Integration
from burrow.subscriptions import services
from burrow.subscriptions.models import (
    MAX_EMAIL_RECIPIENTS,
    MAX_REPORT_INSIGHTS,
    Subscription,
    SubscriptionDelivery,
    split_addresses,
)
from burrow.subscriptions.schedule import RRULE_FIELDS, Schedule, impossible_position

INT32_MIN, INT32_MAX = -2147483648, 2147483647
DEFAULT_PREVIEW = 5
# dateutil walks every occurrence from DTSTART; an ancient start makes each save scan centuries.
EARLIEST_START = datetime(2000, 1, 1, tzinfo=UTC)
INTEGRATION_NOT_FOUND = "This integration does not exist or does not belong to your team."
EMAIL_INTEGRATION_KIND = (
    "Email subscriptions send from a sender domain: integration_id must be an email integration."
)
SENDER_NOT_VERIFIED = (
    "This sender domain is not verified yet: publish its DNS records, then verify it "
    "(POST …/integrations/:id/email/verify/)."
)
SCHEDULE_EXHAUSTED = "Subscription schedule has reached its end date. Extend until_date or remove count."
_datetime_field = serializers.DateTimeField()


def sendable_address(address: str) -> str:
    """The address as it will be sent: a non-ASCII domain in its IDNA (punycode) form, so SMTP servers
    without SMTPUTF8 take it. ValueError (with the message to show) for what cannot be sent."""
    invalid = f"Enter a valid email address: {address}"
    local, _, domain = address.rpartition("@")
    if not local or not domain:
        raise ValueError(invalid)
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValueError(invalid) from None
    candidate = f"{local}@{domain}"
    try:
        validate_email(candidate)
    except DjangoValidationError:
        raise ValueError(invalid) from None
    # A quoted local part that a mail header would rewrite would reach someone else (or no one).
    if getaddresses([formataddr(("", candidate))]) != [("", candidate)]:
        raise ValueError(invalid)
    return candidate


def int32_field(**kwargs: Any) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=INT32_MIN, max_value=INT32_MAX, **kwargs)


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
    interval = int32_field(required=False)
    byweekday = serializers.ListField(
        child=serializers.ChoiceField(choices=Subscription.Weekday.choices), required=False, allow_null=True
    )
    bysetpos = int32_field(required=False, allow_null=True)
    count = int32_field(required=False, allow_null=True)
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
            "frequency",
            "interval",
            "byweekday",
            "bysetpos",
            "count",
            "start_date",
            "until_date",
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

    def validate_interval(self, interval: int) -> int:
        if interval < 1:
            raise serializers.ValidationError("Interval must be at least 1.")
        return interval

    def validate_bysetpos(self, bysetpos: int | None) -> int | None:
        if bysetpos is not None and (bysetpos == 0 or abs(bysetpos) > 366):
            raise serializers.ValidationError("bysetpos must be between 1 and 366, or between -366 and -1.")
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

    def _validate_target(self, attrs: dict) -> None:
        target_type = self._merged(attrs, "target_type")
        re_enabling = self._re_enabling(attrs)
        if not (
            self.instance is None
            or re_enabling
            or {"target_type", "target_value", "integration_id"} & set(attrs)
        ):
            return
        if target_type == Subscription.TargetType.SLACK:
            try:
                self._validate_slack_integration(self._merged(attrs, "integration_id"))
            except serializers.ValidationError:
                if re_enabling and not {"target_type", "integration_id"} & set(attrs):
                    raise serializers.ValidationError(
                        {
                            "enabled": "Cannot re-enable Slack subscription: no integration configured. Reconnect Slack first."
                        }
                    ) from None
                raise
        elif re_enabling or "target_type" in attrs or "target_value" in attrs or self.instance is None:
            target_value = self._merged(attrs, "target_value") or ""
            if target_type == Subscription.TargetType.WEBHOOK:
                reason = check_url_allowed(target_value)
                if reason:
                    raise serializers.ValidationError({"target_value": f"Invalid webhook URL: {reason}"})
            elif target_type == Subscription.TargetType.EMAIL:
                attrs["target_value"] = self._normalised_emails(target_value)

    def _validate_integration(self, attrs: dict) -> None:
        integration_id = attrs.get("integration_id")
        if integration_id is None:
            return
        integration = (
            Integration.objects.filter(team=self.team, id=integration_id).only("kind", "config").first()
        )
        if integration is None:
            raise serializers.ValidationError({"integration_id": INTEGRATION_NOT_FOUND})
        # An email subscription names a sender domain (an `email` integration) to send from; none → the
        # instance's BURROW_EMAIL_FROM. Only a verified one: mail from an unverified domain fails DMARC.
        if self._merged(attrs, "target_type") == Subscription.TargetType.EMAIL:
            if integration.kind != Integration.Kind.EMAIL:
                raise serializers.ValidationError({"integration_id": EMAIL_INTEGRATION_KIND})
            # A domain that later failed a check is kept (deliveries fall back to the default sender), so
            # a PUT repeating it still saves; choosing it anew needs it verified.
            unchanged = self.instance is not None and self.instance.integration_id == integration_id
            if not unchanged and not (integration.config or {}).get("verified"):
                raise serializers.ValidationError({"integration_id": SENDER_NOT_VERIFIED})

    def _validate_slack_integration(self, integration_id: int | None) -> None:
        if not integration_id:
            raise serializers.ValidationError(
                {"integration_id": "A Slack integration is required for Slack subscriptions."}
            )
        integration = Integration.objects.filter(team=self.team, id=integration_id).only("kind").first()
        if integration is None:
            raise serializers.ValidationError({"integration_id": INTEGRATION_NOT_FOUND})
        if integration.kind != Integration.Kind.SLACK:
            raise serializers.ValidationError(
                {"integration_id": "Slack subscriptions require a Slack integration."}
            )

    @staticmethod
    def _normalised_emails(target_value: str) -> str:
        addresses = split_addresses(target_value)
        if not addresses:
            raise serializers.ValidationError({"target_value": "Enter at least one email address."})
        unique: dict[str, str] = {}
        for address in addresses:
            try:
                sendable = sendable_address(address)
            except ValueError as reason:
                raise serializers.ValidationError({"target_value": str(reason)}) from None
            # Mailbox providers treat addresses case-insensitively: the first spelling is kept.
            unique.setdefault(sendable.lower(), sendable)
        if len(unique) > MAX_EMAIL_RECIPIENTS:
            raise serializers.ValidationError(
                {"target_value": f"A subscription can have at most {MAX_EMAIL_RECIPIENTS} email addresses."}
            )
        return ",".join(unique.values())

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
        limit = self.context.get("preview", DEFAULT_PREVIEW)
        try:
            dates = subscription.schedule.upcoming(timezone.now(), limit)
        except (ValueError, OverflowError):
            dates = []
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
