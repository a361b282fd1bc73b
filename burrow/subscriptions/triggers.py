"""What API writes ask of delivery: an invite for new recipients, or a manual report now.

Each request is recorded as a queued SubscriptionDelivery row, so nothing asked for is ever lost. Once the
transaction commits, a scheduler on this machine is woken to take it from the queue (web workers never
load the chart renderer, so they stay small). With no scheduler listening, or with Celery, this process
takes it itself and hands it to its delivery pool or to Celery; if this process dies first, the next
scheduler tick takes it."""

import hashlib
import uuid

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from burrow.core.logs import request_id
from burrow.subscriptions.claims import claim_queued
from burrow.subscriptions.delivery.dispatch import dispatch
from burrow.subscriptions.models import Subscription, SubscriptionDelivery, split_addresses
from burrow.subscriptions.rules import lease_deadline
from burrow.subscriptions.wakeup import wake_scheduler

DISABLED_MESSAGE = "Subscription is disabled. Re-enable it before sending a test delivery."
IN_PROGRESS_MESSAGE = "Delivery already in progress"
BROKER_DOWN = (
    "Deliveries cannot start: the broker (BURROW_BROKER_URL) is unreachable. Check that Redis is running, "
    "then try again."
)


class DeliveryRefused(Exception):
    """The request cannot be honoured now; the message says why."""


def _record(subscription: Subscription, trigger: str, key: str, **fields) -> SubscriptionDelivery:
    delivery = SubscriptionDelivery.objects.create(
        subscription=subscription,
        team_id=subscription.team_id,
        idempotency_key=key,
        trigger_type=trigger,
        scheduled_at=timezone.now(),
        target_type=subscription.target_type,
        target_value=subscription.target_value,
        lease_expires_at=lease_deadline(),
        queued_at=timezone.now(),
        claimable=False,  # no worker may run it before it is taken from the queue
        request_id=request_id.get() or "",
        **fields,
    )
    transaction.on_commit(lambda: _hand_off(str(delivery.id)))
    return delivery


def _hand_off(delivery_id: str) -> None:
    if not settings.BROKER_URL and wake_scheduler():
        return
    dispatch(claim_queued(timezone.now(), 1, ids=[delivery_id]))


def request_target_change_delivery(
    subscription: Subscription, previous_value: str | None, invite_message: str | None
) -> SubscriptionDelivery | None:
    """Invites the recipients that `previous_value` did not have ("" for a new subscription), once: the
    idempotency key names the subscription and the invited addresses (lower-cased, sorted), so the same
    change saved by racing requests, or asked for twice, records one invite. The same addresses added back
    later are not invited again."""
    known = {a.lower() for a in split_addresses(previous_value)}
    added = sorted({a.lower() for a in split_addresses(subscription.target_value)} - known)
    if not added:
        return None
    digest = hashlib.sha256("\n".join(added).encode()).hexdigest()
    try:
        with transaction.atomic():  # a savepoint: a duplicate leaves the caller's transaction usable
            return _record(
                subscription,
                SubscriptionDelivery.Trigger.TARGET_CHANGE,
                f"target-change:{subscription.id}:{digest}",
                previous_value=previous_value,
                invite_message=invite_message,
            )
    except IntegrityError:
        return None


def request_manual_delivery(subscription: Subscription) -> SubscriptionDelivery:
    """A full report now (test delivery); one at a time per subscription. Raises DeliveryRefused."""
    with transaction.atomic():
        # Locks the subscription row (PostgreSQL) so two requests cannot both see "nothing in flight".
        current = Subscription.objects.select_for_update().get(id=subscription.id)
        if not current.enabled:
            raise DeliveryRefused(DISABLED_MESSAGE)
        in_flight = SubscriptionDelivery.objects.filter(
            subscription_id=current.id,
            trigger_type=SubscriptionDelivery.Trigger.MANUAL,
            status=SubscriptionDelivery.Status.STARTING,
        )
        if in_flight.exists():
            raise DeliveryRefused(IN_PROGRESS_MESSAGE)
        return _record(current, SubscriptionDelivery.Trigger.MANUAL, f"manual:{current.id}:{uuid.uuid4()}")
