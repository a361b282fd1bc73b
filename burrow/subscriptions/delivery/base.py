"""The one small interface every delivery channel implements (delivery/channels/, one module each), what it
is given (a write's target to check, a report to send), the errors it raises, and the report links' UTM
tags, which every channel adds."""

from dataclasses import dataclass, field
from urllib.parse import urlencode

from burrow.core.models import Team
from burrow.integrations.models import Integration
from burrow.subscriptions.models import Subscription, SubscriptionDelivery

INTEGRATION_NOT_FOUND = "This integration does not exist or does not belong to your team."
UTM = {"utm_source": "posthog", "utm_campaign": "subscription_report", "utm_medium": "email"}


def with_utm(url: str, medium: str) -> str:
    """`url` tagged as a link from a subscription report sent through `medium` (the channel)."""
    return f"{url}{'&' if '?' in url else '?'}{urlencode(dict(UTM, utm_medium=medium))}"


class DeliveryError(Exception):
    """A recipient could not be served. Transient errors are retried with back-off; permanent ones not."""

    permanent = False


class TransientError(DeliveryError):
    pass


class PermanentError(DeliveryError):
    permanent = True


@dataclass
class ReportInsight:
    insight_id: int
    short_id: str
    name: str
    url: str
    result: object  # what the picture shows
    # Computed from the insight's query: the numbers as text, and the rows with their columns.
    summary: list[str] = field(default_factory=list)
    columns: list[str] | None = None
    rows: list[list] | None = None
    asset_id: int | None = None
    image_url: str | None = None
    png: bytes | None = None
    error: str | None = None

    @property
    def cid(self) -> str:
        return f"insight-{self.insight_id}@burrow"


@dataclass
class Report:
    """What one delivery shows, independent of the channel it goes through."""

    subscription: Subscription
    delivery: SubscriptionDelivery
    kind: str
    name: str
    resource_url: str
    subscription_url: str
    summary: str
    insights: list[ReportInsight] = field(default_factory=list)
    total_insight_count: int = 0
    # Per-recipient progress a channel keeps between retries of one send (Slack: messages already posted).
    channel_state: dict = field(default_factory=dict)

    @property
    def is_invite(self) -> bool:
        return self.delivery.trigger_type == SubscriptionDelivery.Trigger.TARGET_CHANGE

    @property
    def showing_note(self) -> str | None:
        if self.total_insight_count > len(self.insights):
            return f"Showing {len(self.insights)} of {self.total_insight_count} insights"
        return None


@dataclass(frozen=True)
class TargetEdit:
    """Where a write (creating, updating or re-enabling a subscription) says its reports go, as the
    serializer hands it to the channel to check: the values after the write, and what the write sets."""

    team: Team
    value: str
    integration_id: int | None
    fields: frozenset[str]  # which of target_type, target_value and integration_id the write sets
    creating: bool
    re_enabling: bool

    @property
    def value_changed(self) -> bool:
        """A target value to check: a new subscription, a re-enabled one, or a new type or value."""
        return self.creating or self.re_enabling or bool({"target_type", "target_value"} & self.fields)


class Channel:
    """A delivery channel: the target type it serves, how a write's target is checked, who receives a
    delivery and how one recipient is served, and the signing secret it keeps, if any. Each module of
    delivery/channels/ defines one as `CHANNEL`; everything else finds it in delivery/registry.py."""

    target_type: str  # stored in Subscription.target_type and SubscriptionDelivery.target_type
    label: str  # its name on pages and in the API schema's description of `target_type`
    # The target value is a list of email addresses: pages list them, let members edit them, and let a
    # recipient unsubscribe; the times addresses were added are kept for unsubscribe links.
    lists_addresses = False
    # The Subscription field holding the channel's signing secret (encrypted), for channels that sign.
    secret_field: str | None = None

    def check_target(self, target: TargetEdit) -> str | None:
        """Raises a ValidationError keyed by the field to fix when the channel cannot serve `target`;
        returns the target value to store when it normalises it (None: as given)."""
        return None

    def check_integration(self, integration: Integration, unchanged: bool) -> None:
        """Raises a ValidationError when the write names an integration (one of its team's) that this
        channel cannot use; `unchanged` when the subscription already had it."""

    def addresses(self, target_value: str | None) -> list[str]:
        """The email addresses a target value lists (see `lists_addresses`)."""
        return []

    def subscriptions_using(self, integration: Integration, limit: int) -> list[Subscription]:
        """Up to `limit` enabled, live subscriptions of this channel that send through `integration`, in id
        order: while there are any, the integration is not disconnected."""
        return []

    def new_secret(self, subscription: Subscription) -> str:
        """Sets a new signing secret on `subscription` (the caller saves `secret_field`) and returns it."""
        raise NotImplementedError

    def recipients(self, delivery: SubscriptionDelivery) -> list[str]:
        raise NotImplementedError

    def send(self, recipient: str, report: Report) -> None:
        """Serves one recipient or raises DeliveryError."""
        raise NotImplementedError
