"""Subscriptions (scheduled reports of an insight or a dashboard) and their delivery log."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from burrow.links import dashboard_url, insight_url, subscription_url
from burrow.subscriptions.schedule import Schedule, summary

# PostHog's limit: a report shows at most six insights (a dashboard subscription selects at most six).
MAX_REPORT_INSIGHTS = 6
# Room for any channel's target type: the types are the modules of delivery/channels/, not a list here.
TARGET_TYPE_MAX_LENGTH = 32


def split_addresses(value: str | None) -> list[str]:
    """The addresses of an email target (comma-separated, as PostHog stores them)."""
    return [a.strip() for a in (value or "").split(",") if a.strip()]


# The fields that make a schedule, in the order the API and the activity log show them.
SCHEDULE_FIELDS = ("frequency", "interval", "byweekday", "bysetpos", "count", "start_date", "until_date")


class Subscription(models.Model):
    class Frequency(models.TextChoices):
        DAILY = "daily"
        WEEKLY = "weekly"
        MONTHLY = "monthly"
        YEARLY = "yearly"

    class Weekday(models.TextChoices):
        MONDAY = "monday"
        TUESDAY = "tuesday"
        WEDNESDAY = "wednesday"
        THURSDAY = "thursday"
        FRIDAY = "friday"
        SATURDAY = "saturday"
        SUNDAY = "sunday"

    # No single-column index: subscription_team_list_idx starts with team. Each index costs the scheduler,
    # whose every claim rewrites the row in all of them (next_delivery_date is indexed, so no HOT update).
    team = models.ForeignKey(
        "core.Team", on_delete=models.CASCADE, related_name="subscriptions", db_index=False
    )
    dashboard = models.ForeignKey("analytics.Dashboard", on_delete=models.CASCADE, null=True, blank=True)
    insight = models.ForeignKey("analytics.Insight", on_delete=models.CASCADE, null=True, blank=True)
    dashboard_export_insights = models.ManyToManyField(
        "analytics.Insight", blank=True, related_name="subscriptions_dashboard_export"
    )
    integration = models.ForeignKey(
        "integrations.Integration",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="subscriptions",
    )
    title = models.CharField(max_length=100, null=True, blank=True)
    # One of the registered delivery channels (delivery/registry.py), checked by the serializer.
    target_type = models.CharField(max_length=TARGET_TYPE_MAX_LENGTH)
    target_value = models.TextField()
    frequency = models.CharField(max_length=10, choices=Frequency.choices)
    interval = models.IntegerField(default=1)
    count = models.IntegerField(null=True, blank=True)
    byweekday = models.JSONField(null=True, blank=True)
    bysetpos = models.IntegerField(null=True, blank=True)
    start_date = models.DateTimeField()
    until_date = models.DateTimeField(null=True, blank=True)
    next_delivery_date = models.DateTimeField(null=True, blank=True)
    enabled = models.BooleanField(default=True)
    deleted = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    # Standard Webhooks signing secret, encrypted at rest: the webhook channel's `secret_field`.
    webhook_secret = models.TextField(blank=True, default="")
    consecutive_failures = models.IntegerField(default=0)
    # Set when the subscription is auto-disabled; cleared once its creator has been told (the scheduler
    # retries the mail while the mail server is down).
    disabled_notice_due = models.BooleanField(default=False, db_default=False)
    # When each email address was (last) added, lower-cased address → Unix time: an unsubscribe link issued
    # before an address was added back no longer removes it.
    recipients_added_at = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [
            # The scheduler's due scan is a range scan over live rows only.
            models.Index(
                fields=["next_delivery_date"],
                name="subscription_due_idx",
                condition=Q(deleted=False, enabled=True),
            ),
            models.Index(fields=["team", "deleted", "-created_at"], name="subscription_team_list_idx"),
            models.Index(
                fields=["id"], name="subscription_notice_due_idx", condition=Q(disabled_notice_due=True)
            ),
        ]

    @property
    def schedule(self) -> Schedule:
        return Schedule.of(self)

    @property
    def summary(self) -> str:
        return summary(self.frequency, self.interval, self.byweekday, self.bysetpos)

    def upcoming_deliveries(self, limit: int) -> list:
        """The next `limit` delivery dates after now; none for a schedule dateutil cannot walk."""
        try:
            return self.schedule.upcoming(timezone.now(), limit)
        except (ValueError, OverflowError):
            return []

    def reschedule(self) -> None:
        """Sets `next_delivery_date` from the schedule (on creation, a schedule change, re-enabling); the
        caller saves."""
        self.next_delivery_date = self.compute_next_delivery_date()

    def compute_next_delivery_date(self, after=None):
        """First occurrence strictly after max(after, now): on time, never in the past (no early-delivery buffer)."""
        now = timezone.now()
        return self.schedule.next_after(max(after, now) if after else now)

    @property
    def resource_kind(self) -> str:
        return "Insight" if self.insight_id else "Dashboard"

    @property
    def resource_name(self) -> str:
        if self.insight_id:
            return self.insight.display_name
        return self.dashboard.name if self.dashboard_id else ""

    @property
    def url(self) -> str:
        """The page that manages this subscription."""
        short_id = self.insight.short_id if self.insight_id else None
        return subscription_url(
            self.team_id, self.id, dashboard_id=self.dashboard_id, insight_short_id=short_id
        )

    @property
    def resource_url(self) -> str:
        """The page of the insight or dashboard this subscription reports on."""
        if self.insight_id:
            return insight_url(self.team_id, self.insight.short_id)
        return dashboard_url(self.team_id, self.dashboard_id)

    def __str__(self) -> str:
        return self.title or f"Subscription {self.pk}"


class SubscriptionDelivery(models.Model):
    class Trigger(models.TextChoices):
        SCHEDULED = "scheduled"
        MANUAL = "manual"
        TARGET_CHANGE = "target_change"

    class Status(models.TextChoices):
        STARTING = "starting"
        COMPLETED = "completed"
        FAILED = "failed"
        SKIPPED = "skipped"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Few indexes: every one slows the scheduler's batch inserts. (subscription, -created_at) serves the
    # delivery log; look-ups by team alone happen only when a whole team is deleted.
    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="deliveries", db_index=False
    )
    team = models.ForeignKey("core.Team", on_delete=models.CASCADE, related_name="+", db_index=False)
    idempotency_key = models.CharField(max_length=255)  # unique: see Meta (no extra LIKE index)
    trigger_type = models.CharField(max_length=20, choices=Trigger.choices)
    scheduled_at = models.DateTimeField(null=True, blank=True)
    target_type = models.CharField(max_length=TARGET_TYPE_MAX_LENGTH)
    target_value = models.TextField()
    # For target changes: only these recipients are invited (the new addresses).
    previous_value = models.TextField(null=True, blank=True)
    invite_message = models.TextField(null=True, blank=True)
    content_snapshot = models.JSONField(default=dict, blank=True)
    recipient_results = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.STARTING)
    error = models.JSONField(null=True, blank=True)
    attempts = models.IntegerField(default=0)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    # True from each hand-out to a worker until one worker claims it: a second copy of the same hand-out
    # (a redelivered task, a recovery racing a slow worker) finds it claimed and sends nothing.
    claimable = models.BooleanField(default=True, db_default=True)
    # Set while a delivery asked for over the API waits for a scheduler (or the process that asked) to take
    # it, cleared when one does. Internal: the delivery log shows it as `starting`.
    queued_at = models.DateTimeField(null=True, blank=True)
    # Set while a delivery waits to retry recipients that failed transiently (the back-off is never slept in
    # a delivery thread), cleared when a scheduler or the pool that ran it takes it again. Internal: the
    # delivery log shows it as `starting`.
    retry_at = models.DateTimeField(null=True, blank=True)
    # Per-recipient progress a channel keeps between attempts (Slack: the thread and the messages already
    # posted), so a retry resumes rather than repeats. Internal.
    channel_state = models.JSONField(null=True, blank=True)
    # The X-Request-ID of the request that asked for it (test deliveries, invites): its log lines carry it.
    request_id = models.CharField(max_length=128, blank=True, default="", db_default="")
    created_at = models.DateTimeField(default=timezone.now)
    last_updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # A constraint, not `unique=True`: on PostgreSQL that would add a second (LIKE) index.
            models.UniqueConstraint(fields=["idempotency_key"], name="delivery_idempotency_key_unique"),
        ]
        indexes = [
            models.Index(fields=["subscription", "-created_at"], name="delivery_sub_created_idx"),
            # Recovery scan: deliveries still starting whose worker lease ran out.
            models.Index(
                fields=["lease_expires_at"],
                name="delivery_starting_lease_idx",
                condition=Q(status="starting"),
            ),
            # The queue scan: deliveries asked for over the API that nobody has taken yet.
            models.Index(
                fields=["queued_at"], name="delivery_queued_idx", condition=Q(queued_at__isnull=False)
            ),
            # The retry scan: deliveries waiting to retry some recipients.
            models.Index(fields=["retry_at"], name="delivery_retry_idx", condition=Q(retry_at__isnull=False)),
        ]
