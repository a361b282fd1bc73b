"""The one small interface every delivery channel implements, and the errors they raise."""

from dataclasses import dataclass, field

from burrow.subscriptions.models import Subscription, SubscriptionDelivery


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
    result: object
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


class Channel:
    """One class per target type: who receives a delivery, and how one recipient is served."""

    def recipients(self, delivery: SubscriptionDelivery) -> list[str]:
        raise NotImplementedError

    def send(self, recipient: str, report: Report) -> None:
        """Serves one recipient or raises DeliveryError."""
        raise NotImplementedError
