"""Runs one delivery, whoever calls it (thread pool, Celery worker, recovery after a crash, a due retry).

Steps:
1. Claim the delivery: compare-and-set on `attempts` renews its lease, so one worker owns it at a time.
2. Work out the recipients, skipping those an earlier run already served or gave up on.
3. Build the report (pictures are stored and shared) and try each remaining recipient once; every outcome
   is saved as it happens, with the channel's progress (a Slack thread) so a retry resumes it.
4. Recipients that failed transiently and have attempts left: put the delivery back with `retry_at`
   (exponential back-off) and return. The worker thread is free at once; the pool's timer or a scheduler
   tick hands the delivery out again when the retry is due.
5. Otherwise finish: status, error, and for scheduled runs the failure streak that auto-disables a broken
   subscription (its creator is told once)."""

import logging
import smtplib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import httpx
from django.conf import settings
from django.db import connection
from django.db.models import F, Q
from django.utils import timezone

from burrow.core import metrics
from burrow.core.logs import request_id
from burrow.subscriptions.delivery.base import Channel, DeliveryError, Report
from burrow.subscriptions.delivery.content import build_report, snapshot
from burrow.subscriptions.delivery.notices import send_due_disabled_notice
from burrow.subscriptions.delivery.registry import channel_for
from burrow.subscriptions.models import Subscription, SubscriptionDelivery
from burrow.subscriptions.rules import lease_deadline, retry_at, retryable

logger = logging.getLogger(__name__)

# Told when a delivery was put back to retry some recipients: (delivery id, when the retry is due).
RetryHook = Callable[[str, datetime], None]
Status = SubscriptionDelivery.Status
# Causes no retry can fix, even behind an error a channel reports as transient: text that cannot be
# encoded, a URL that cannot be requested, a mail server that lacks a required extension.
HOPELESS_CAUSES = (
    UnicodeEncodeError,
    httpx.InvalidURL,
    httpx.UnsupportedProtocol,
    smtplib.SMTPNotSupportedError,
)


class LeaseLost(Exception):
    """Another worker took the delivery over (our lease ran out); stop without writing."""


@dataclass
class Outcome:
    status: str  # STARTING: put back until `retry_at`
    error: dict | None = None
    results: list[dict] = field(default_factory=list)
    # Progress not saved yet (the last recipient's result): written together with the final status.
    unsaved: dict = field(default_factory=dict)
    retry_at: datetime | None = None


def run_delivery(delivery_id: str, on_retry: RetryHook | None = None) -> str | None:
    """Delivers and returns the final status (`starting` when put back for a retry); None when the delivery
    is not ours to run. A delivery put back is handed out again by a scheduler tick once its retry is due,
    or sooner by `on_retry`: the caller (the local pool, a Celery task) knows how it runs deliveries."""
    delivery = _claim(delivery_id)
    if delivery is None:
        return None
    # Its log lines carry the id of the request that asked for it (a test delivery, an invite).
    token = request_id.set(delivery.request_id or None)
    try:
        return _run_claimed(delivery, on_retry)
    finally:
        request_id.reset(token)


def _run_claimed(delivery: SubscriptionDelivery, on_retry: RetryHook | None) -> str | None:
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
    if outcome.status == Status.STARTING:
        return _put_back(delivery, outcome, on_retry)
    mine = SubscriptionDelivery.objects.filter(
        id=delivery.id, attempts=delivery.attempts, status=Status.STARTING
    )
    if not mine.update(
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
    _observe_finished(delivery, outcome.status)
    if delivery.trigger_type == SubscriptionDelivery.Trigger.SCHEDULED and outcome.status != Status.SKIPPED:
        _track_failure_streak(delivery.subscription_id, failed=outcome.status == Status.FAILED)
    return outcome.status


def _observe_finished(delivery: SubscriptionDelivery, status: str) -> None:
    """Counts the delivery; a scheduled one sent also gives its lag (slot to last recipient sent)."""
    metrics.deliveries.labels(status, delivery.target_type).inc()
    if (
        status == Status.COMPLETED
        and delivery.trigger_type == SubscriptionDelivery.Trigger.SCHEDULED
        and delivery.scheduled_at
    ):
        lag = (timezone.now() - delivery.scheduled_at).total_seconds()
        metrics.delivery_lag.labels(delivery.target_type).observe(max(lag, 0.0))


def _put_back(delivery: SubscriptionDelivery, outcome: Outcome, on_retry: RetryHook | None) -> str | None:
    """Leaves the delivery `starting`, holding no lease and open to no claim until `retry_at`."""
    mine = SubscriptionDelivery.objects.filter(
        id=delivery.id, attempts=delivery.attempts, status=Status.STARTING
    )
    if not mine.update(
        retry_at=outcome.retry_at,
        claimable=False,
        lease_expires_at=None,
        last_updated_at=timezone.now(),
        **outcome.unsaved,
    ):
        return None
    metrics.delivery_retries.labels(delivery.target_type).inc()
    logger.info(
        "delivery will retry",
        extra={"delivery_id": str(delivery.id), "retry_at": outcome.retry_at.isoformat()},
    )
    if on_retry is not None:
        on_retry(str(delivery.id), outcome.retry_at)
    return Status.STARTING


def _claim(delivery_id: str) -> SubscriptionDelivery | None:
    """Takes the delivery if it is waiting for a worker (each hand-out is claimed once) or its retry is due.
    A queued delivery waits for a scheduler (or the process that asked for it) to take it from the queue
    first."""
    waiting = Q(claimable=True) | Q(retry_at__lte=timezone.now())
    claimed = SubscriptionDelivery.objects.filter(waiting, id=delivery_id, status=Status.STARTING)
    if not claimed.update(
        claimable=False, retry_at=None, attempts=F("attempts") + 1, lease_expires_at=lease_deadline()
    ):
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
    if channel_for(delivery.target_type) is None:
        return f"Unsupported delivery channel {delivery.target_type!r}."
    return None


def _deliver(delivery: SubscriptionDelivery) -> Outcome:
    reason = _skip_reason(delivery)
    if reason:
        return Outcome(Status.SKIPPED, {"message": reason, "type": "skipped"})
    channel = channel_for(delivery.target_type)
    recipients = channel.recipients(delivery)
    if not recipients:
        return Outcome(Status.SKIPPED, {"message": "No new recipients.", "type": "skipped"})
    # Earlier runs' outcomes, in recipient order: served and given-up recipients are never sent again.
    known = set(recipients)
    results = {r["recipient"]: r for r in delivery.recipient_results if r["recipient"] in known}
    pending = [r for r in recipients if r not in results or retryable(results[r])]
    unsaved: dict = {}
    if pending:
        report = build_report(delivery)
        report.channel_state.update(delivery.channel_state or {})
        for index, recipient in enumerate(pending):
            attempt = results[recipient]["attempts"] + 1 if recipient in results else 1
            results[recipient] = _send(channel, recipient, report, attempt)
            progress = {
                "recipient_results": list(results.values()),
                "content_snapshot": snapshot(report),
                "channel_state": report.channel_state,
            }
            if index < len(pending) - 1:
                _save(delivery, **progress)
        # Each outcome is saved as it happens; the last one goes out with the final status (one write
        # fewer per delivery, and a crash in between re-sends that recipient either way).
        unsaved = progress
    final = list(results.values())
    waiting = [r for r in final if retryable(r)]
    if waiting:
        attempt = min(r["attempts"] for r in waiting)
        return Outcome(Status.STARTING, None, final, unsaved, retry_at(attempt))
    failures = [r for r in final if r["status"] != "success"]
    if not failures:
        return Outcome(Status.COMPLETED, None, final, unsaved)
    error = {
        "message": f"{len(failures)} of {len(final)} recipients failed: {failures[0]['error']}",
        "type": "delivery_failed",
    }
    # One unreachable recipient must not stop a report the others received.
    return Outcome(Status.FAILED if len(failures) == len(final) else Status.COMPLETED, error, final, unsaved)


def _send(channel: Channel, recipient: str, report: Report, attempt: int) -> dict:
    """One attempt for one recipient; never sleeps (retries are rescheduled by the caller)."""
    try:
        channel.send(recipient, report)
        return {"recipient": recipient, "status": "success", "attempts": attempt}
    except DeliveryError as exc:
        error, permanent = str(exc), exc.permanent or _hopeless(exc.__cause__)
    except Exception as exc:  # an unexpected fault: bad data cannot get better, anything else may
        logger.exception("channel error", extra={"delivery_id": str(report.delivery.id)})
        error = f"{type(exc).__name__}: {exc}"
        permanent = isinstance(exc, (ValueError, TypeError)) or _hopeless(exc)
    logger.info(
        "recipient failed",
        extra={
            "delivery_id": str(report.delivery.id),
            "attempt": attempt,
            "permanent": permanent,
            "error": error,
        },
    )
    return {
        "recipient": recipient,
        "status": "failed",
        "attempts": attempt,
        "error": error,
        "permanent": permanent,
    }


def _hopeless(exc: BaseException | None) -> bool:
    while exc is not None:
        if isinstance(exc, HOPELESS_CAUSES):
            return True
        exc = exc.__cause__
    return False


def _track_failure_streak(subscription_id: int, failed: bool) -> None:
    """Counts consecutive failed scheduled deliveries; the failure that completes the streak disables the
    subscription and owes its creator the notice. Every write is a single atomic statement, so deliveries
    finishing together lose no count and no notice."""
    rows = Subscription.objects.filter(id=subscription_id)
    if not failed:
        rows.filter(consecutive_failures__gt=0).update(consecutive_failures=0)
        return
    streak = _count_failure(subscription_id)
    limit = settings.DELIVERY_AUTO_DISABLE_AFTER
    if streak is None or streak < limit:
        return
    if streak == limit:
        # Exactly one failure brings the count to the limit: its worker owes the notice, also when a later
        # failure has disabled the subscription first (the count is past the limit then). Not after a
        # streak reset over the API, nor for a subscription its owner disabled meanwhile.
        still_ours = Q(enabled=True) | Q(consecutive_failures__gt=limit)
        disabled = rows.filter(still_ours, consecutive_failures__gte=limit).update(
            enabled=False, disabled_notice_due=True
        )
    else:
        # Re-enabled without the API (the streak not reset): disabled again, without a second mail.
        disabled = rows.filter(enabled=True, consecutive_failures__gte=limit).update(enabled=False)
    if disabled:
        metrics.auto_disabled.inc()
        logger.warning("subscription auto-disabled", extra={"subscription_id": subscription_id})
    if disabled and streak == limit:
        send_due_disabled_notice(subscription_id)


def _count_failure(subscription_id: int) -> int | None:
    """Adds one failure and returns the new count (None when the subscription is gone)."""
    table = connection.ops.quote_name(Subscription._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET consecutive_failures = consecutive_failures + 1 WHERE id = %s "
            "RETURNING consecutive_failures",
            [subscription_id],
        )
        row = cursor.fetchone()
    return row[0] if row else None
