"""Runs one delivery to the end, whoever calls it (thread pool, Celery worker, recovery after a crash).

Steps:
1. Claim the delivery: compare-and-set on `attempts` renews its lease, so one worker owns it at a time.
2. Work out the recipients, skipping those an earlier attempt already served.
3. Build the report (pictures are stored and shared) and send it to each recipient, retrying
   transient errors with exponential back-off; every outcome is saved as it happens.
4. Finish: status, error, and for scheduled runs the failure streak that auto-disables a broken
   subscription (its creator is told once)."""

import logging
import time
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db.models import Case, F, Value, When
from django.utils import timezone

from burrow.core.mail import MailError
from burrow.subscriptions.delivery.base import Channel, DeliveryError, Report
from burrow.subscriptions.delivery.content import build_report, snapshot
from burrow.subscriptions.delivery.email import EmailChannel, send_disabled_notice
from burrow.subscriptions.delivery.slack import SlackChannel
from burrow.subscriptions.delivery.webhook import WebhookChannel
from burrow.subscriptions.models import Subscription, SubscriptionDelivery

logger = logging.getLogger(__name__)

CHANNELS: dict[str, type[Channel]] = {"email": EmailChannel, "slack": SlackChannel, "webhook": WebhookChannel}
Status = SubscriptionDelivery.Status


class LeaseLost(Exception):
    """Another worker took the delivery over (our lease ran out); stop without writing."""


@dataclass
class Outcome:
    status: str
    error: dict | None = None
    results: list[dict] = field(default_factory=list)
    # Progress not saved yet (the last recipient's result): written together with the final status.
    unsaved: dict = field(default_factory=dict)


def lease_deadline():
    return timezone.now() + timedelta(seconds=settings.DELIVERY_LEASE_SECONDS)


def run_delivery(delivery_id: str) -> str | None:
    """Delivers and returns the final status; None when the delivery is not ours to run."""
    delivery = _claim(delivery_id)
    if delivery is None:
        return None
    log = {"delivery_id": str(delivery.id), "subscription_id": delivery.subscription_id}
    try:
        outcome = _deliver(delivery)
    except LeaseLost:
        logger.warning("delivery lease lost", extra=log)
        return None
    except Exception as exc:
        logger.exception("delivery crashed", extra=log)
        outcome = Outcome(
            Status.FAILED, {"message": str(exc), "type": type(exc).__name__}, delivery.recipient_results
        )
    finished = SubscriptionDelivery.objects.filter(
        id=delivery.id, attempts=delivery.attempts, status=Status.STARTING
    )
    if not finished.update(
        status=outcome.status,
        error=outcome.error,
        finished_at=timezone.now(),
        lease_expires_at=None,
        last_updated_at=timezone.now(),
        **outcome.unsaved,
    ):
        return None
    logger.info(
        "delivery finished", extra={**log, "status": outcome.status, "trigger": delivery.trigger_type}
    )
    if delivery.trigger_type == SubscriptionDelivery.Trigger.SCHEDULED and outcome.status != Status.SKIPPED:
        _track_failure_streak(delivery.subscription, failed=outcome.status == Status.FAILED)
    return outcome.status


def _claim(delivery_id: str) -> SubscriptionDelivery | None:
    """Takes the delivery if it is waiting for a worker; each hand-out is claimed once."""
    claimed = SubscriptionDelivery.objects.filter(id=delivery_id, status=Status.STARTING, claimable=True)
    if not claimed.update(claimable=False, attempts=F("attempts") + 1, lease_expires_at=lease_deadline()):
        return None
    # Only the relations every delivery reads: PostgreSQL spent ~8 ms planning the 7-table join this was,
    # more than running it. The creator (invites) and the Slack integration load when used.
    return SubscriptionDelivery.objects.select_related(
        "subscription__insight", "subscription__dashboard"
    ).get(id=delivery_id)


def _save(delivery: SubscriptionDelivery, **fields) -> None:
    """Writes progress only while we still hold the delivery."""
    fields.setdefault("lease_expires_at", lease_deadline())
    mine = SubscriptionDelivery.objects.filter(
        id=delivery.id, attempts=delivery.attempts, status=Status.STARTING
    )
    if not mine.update(last_updated_at=timezone.now(), **fields):
        raise LeaseLost()


def _skip_reason(delivery: SubscriptionDelivery) -> str | None:
    subscription = delivery.subscription
    if subscription.deleted:
        return "Subscription was deleted."
    if not subscription.enabled and delivery.trigger_type != SubscriptionDelivery.Trigger.MANUAL:
        return "Subscription is disabled."
    resource = subscription.insight if subscription.insight_id else subscription.dashboard
    if resource is None or resource.deleted:
        return "The subscribed insight or dashboard was deleted."
    if delivery.target_type not in CHANNELS:
        return f"Unsupported delivery channel {delivery.target_type!r}."
    return None


def _deliver(delivery: SubscriptionDelivery) -> Outcome:
    reason = _skip_reason(delivery)
    if reason:
        return Outcome(Status.SKIPPED, {"message": reason, "type": "skipped"})
    channel = CHANNELS[delivery.target_type]()
    recipients = channel.recipients(delivery)
    results = [r for r in delivery.recipient_results if r.get("status") == "success"]
    served = {r["recipient"] for r in results}
    pending = [r for r in recipients if r not in served]
    if not recipients:
        return Outcome(Status.SKIPPED, {"message": "No new recipients.", "type": "skipped"})
    unsaved: dict = {}
    if pending:
        report = build_report(delivery)
        for index, recipient in enumerate(pending):
            results.append(_send(channel, recipient, report))
            if index < len(pending) - 1:
                _save(delivery, recipient_results=results, content_snapshot=snapshot(report))
        # Each outcome is saved as it happens; the last one goes out with the final status (one write
        # fewer per delivery, and a crash in between re-sends that recipient either way).
        unsaved = {"recipient_results": results, "content_snapshot": snapshot(report)}
    failures = [r for r in results if r["status"] != "success"]
    if not failures:
        return Outcome(Status.COMPLETED, None, results, unsaved)
    error = {
        "message": f"{len(failures)} of {len(results)} recipients failed: {failures[0]['error']}",
        "type": "delivery_failed",
    }
    # One unreachable recipient must not stop a report the others received.
    return Outcome(
        Status.FAILED if len(failures) == len(results) else Status.COMPLETED, error, results, unsaved
    )


def _send(channel: Channel, recipient: str, report: Report) -> dict:
    attempts = settings.DELIVERY_MAX_ATTEMPTS
    for attempt in range(1, attempts + 1):
        try:
            channel.send(recipient, report)
            return {"recipient": recipient, "status": "success", "attempts": attempt}
        except DeliveryError as exc:
            error, permanent = str(exc), exc.permanent
        except Exception as exc:  # an unexpected fault is treated as transient
            logger.exception("channel error", extra={"delivery_id": str(report.delivery.id)})
            error, permanent = f"{type(exc).__name__}: {exc}", False
        logger.info(
            "recipient failed",
            extra={
                "delivery_id": str(report.delivery.id),
                "attempt": attempt,
                "permanent": permanent,
                "error": error,
            },
        )
        if permanent or attempt == attempts:
            break
        time.sleep(settings.DELIVERY_RETRY_DELAY * 2 ** (attempt - 1))
    return {
        "recipient": recipient,
        "status": "failed",
        "attempts": attempt,
        "error": error,
        "permanent": permanent,
    }


def _track_failure_streak(subscription: Subscription, failed: bool) -> None:
    rows = Subscription.objects.filter(id=subscription.id)
    if not failed:
        if subscription.consecutive_failures:
            rows.filter(consecutive_failures__gt=0).update(consecutive_failures=0)
        return
    rows.update(consecutive_failures=F("consecutive_failures") + 1)
    limit = settings.DELIVERY_AUTO_DISABLE_AFTER
    # Compare-and-set: only the worker that flips enabled acts. The creator hears once per failure streak:
    # a subscription re-enabled without the API (its streak not reset) is disabled again without a mail.
    disabled = rows.filter(enabled=True, consecutive_failures__gte=limit).update(
        enabled=False,
        disabled_notice_due=Case(When(consecutive_failures=limit, then=Value(True)), default=Value(False)),
    )
    if disabled:
        logger.warning("subscription auto-disabled", extra={"subscription_id": subscription.id})
        send_due_disabled_notice(subscription.id)


def send_due_disabled_notice(subscription_id: int) -> bool:
    """Mails the creator of an auto-disabled subscription, once; on a mail failure the notice stays due
    and the scheduler tries again on a later tick."""
    rows = Subscription.objects.filter(id=subscription_id, disabled_notice_due=True)
    if not rows.update(disabled_notice_due=False):  # claimed: nobody else sends it
        return False
    subscription = Subscription.objects.select_related("created_by", "insight").get(id=subscription_id)
    try:
        send_disabled_notice(subscription, settings.DELIVERY_AUTO_DISABLE_AFTER)
    except MailError:
        logger.warning("disabled notice not sent; will retry", extra={"subscription_id": subscription_id})
        Subscription.objects.filter(id=subscription_id).update(disabled_notice_due=True)
        return False
    return True
