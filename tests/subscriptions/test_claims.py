"""What one scheduler tick claims and hands out, one scheduler at a time (races are in test_races.py): every
due subscription batch by batch, each delivery for its slot under a lease, the latest missed slot only, a
count-limited rule never past its count, and queued, retry-due and lease-expired deliveries each taken when
they should be and not before."""

from datetime import UTC, datetime, timedelta

import pytest

from burrow.subscriptions.claims import claim_queued, expired_leases, take_expired, take_retries
from burrow.subscriptions.models import Subscription, SubscriptionDelivery
from burrow.subscriptions.scheduler import tick
from tests.factories import make_delivery, make_subscription

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 15, 12, 30, tzinfo=UTC)


def handed_out(now: datetime = NOW) -> tuple[object, list[list[str]]]:
    """One tick at `now`: its result and the batches it handed out, in order."""
    batches: list[list[str]] = []
    result = tick(now, dispatcher=lambda ids: batches.append(list(ids)) or len(ids))
    return result, batches


def due_daily(tenant, start: datetime, next_slot: datetime, **fields) -> Subscription:
    subscription = make_subscription(tenant, frequency="daily", start_date=start, **fields)
    Subscription.objects.filter(pk=subscription.pk).update(next_delivery_date=next_slot)
    return subscription


def test_a_tick_claims_every_due_subscription_batch_by_batch(tenant, settings):
    settings.SCHEDULER_BATCH_SIZE = 2
    start = NOW - timedelta(days=1, hours=3)
    for _ in range(5):
        due_daily(tenant, start, start)
    result, batches = handed_out()
    assert [len(b) for b in batches] == [2, 2, 1]
    assert (result.claimed, result.batches, result.skipped) == (5, 3, 0)
    assert SubscriptionDelivery.objects.count() == 5

    for _ in range(4):
        due_daily(tenant, start, start)
    result, batches = handed_out()
    # A full last batch may hide more: the tick looks once more and finds nothing.
    assert [len(b) for b in batches] == [2, 2] and (result.claimed, result.batches) == (4, 3)
    assert handed_out()[0].batches == 1


def test_each_delivery_is_for_its_slot_under_a_lease_and_the_subscription_moves_to_its_next_slot(tenant):
    slot = datetime(2026, 6, 15, 9, 0, tzinfo=UTC)
    subscription = due_daily(tenant, slot - timedelta(days=30), slot, target_value="ann@example.com")
    result, [[delivery_id]] = handed_out()
    delivery = SubscriptionDelivery.objects.get(id=delivery_id)
    assert delivery.scheduled_at == slot and delivery.subscription_id == subscription.id
    assert delivery.idempotency_key == f"scheduled:{subscription.id}:{slot.isoformat()}"
    assert (delivery.trigger_type, delivery.status, delivery.attempts) == ("scheduled", "starting", 0)
    assert (delivery.target_type, delivery.target_value) == ("email", "ann@example.com")
    assert delivery.team_id == tenant.team.id and delivery.recipient_results == []
    assert delivery.lease_expires_at > NOW and delivery.claimable  # open to the first worker's claim
    subscription.refresh_from_db()
    assert subscription.next_delivery_date == slot + timedelta(days=1)


def test_a_subscription_behind_gets_its_latest_missed_slot_once_at_its_time_of_day(tenant):
    start = datetime(2025, 1, 1, 9, 0, tzinfo=UTC)
    subscription = due_daily(tenant, start, datetime(2026, 6, 10, 9, 0, tzinfo=UTC))
    result, [[delivery_id]] = handed_out()
    assert SubscriptionDelivery.objects.get(id=delivery_id).scheduled_at == datetime(
        2026, 6, 15, 9, 0, tzinfo=UTC
    )
    subscription.refresh_from_db()
    assert subscription.next_delivery_date == datetime(2026, 6, 16, 9, 0, tzinfo=UTC)
    assert handed_out()[0].claimed == 0


def test_a_count_limited_rule_is_never_delivered_past_its_count(tenant):
    start = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
    # Three slots (1, 2 and 3 June); the first was delivered, the scheduler was down since.
    subscription = due_daily(tenant, start, start + timedelta(days=1), count=3)
    result, [[delivery_id]] = handed_out()
    assert SubscriptionDelivery.objects.get(id=delivery_id).scheduled_at == start + timedelta(days=2)
    subscription.refresh_from_db()
    assert subscription.next_delivery_date is None


def test_queued_deliveries_are_taken_by_id_when_named_and_each_once(tenant):
    first, second = (
        make_delivery(tenant, queued_at=NOW - timedelta(seconds=s), claimable=False) for s in (2, 1)
    )
    assert claim_queued(NOW, 10, ids=[str(second.id)]) == [str(second.id)]
    taken = SubscriptionDelivery.objects.get(pk=second.pk)
    assert taken.queued_at is None and taken.claimable and taken.lease_expires_at > NOW
    assert SubscriptionDelivery.objects.get(pk=first.pk).queued_at is not None
    assert claim_queued(NOW, 10) == [str(first.id)] and claim_queued(NOW, 10) == []


def test_a_retry_is_taken_once_it_is_due_and_not_before(tenant):
    later = make_delivery(tenant, retry_at=NOW + timedelta(minutes=1), claimable=False)
    due = make_delivery(tenant, retry_at=NOW - timedelta(seconds=1), claimable=False)
    result, batches = handed_out()
    assert result.retried == 1 and batches == [[str(due.id)]]
    taken = SubscriptionDelivery.objects.get(pk=due.pk)
    assert taken.retry_at is None and taken.claimable and taken.lease_expires_at > NOW
    assert SubscriptionDelivery.objects.get(pk=later.pk).retry_at == NOW + timedelta(minutes=1)
    assert take_retries(NOW, 10) == []
    assert take_retries(NOW + timedelta(minutes=1), 10) == [str(later.id)]


def test_only_started_deliveries_past_their_lease_are_recovered_oldest_first(tenant):
    def lapsed(seconds: int, **fields):
        lease = NOW - timedelta(seconds=seconds)
        return make_delivery(tenant, **{"status": "starting", "lease_expires_at": lease, **fields})

    older, newer = lapsed(60), lapsed(1)  # newest row first would put the oldest lease last
    lapsed(30, queued_at=NOW)  # the queue's: taken from the queue, not recovered
    lapsed(30, status="completed")
    make_delivery(tenant, status="starting", lease_expires_at=NOW + timedelta(seconds=1))
    assert [row[0] for row in expired_leases(NOW, 10)] == [older.id, newer.id]
    assert [row[0] for row in expired_leases(NOW, 1)] == [older.id]
    assert take_expired(expired_leases(NOW, 10), NOW) == [str(older.id), str(newer.id)]
    assert SubscriptionDelivery.objects.get(pk=older.pk).lease_expires_at > NOW


def test_a_delivery_given_up_is_finished_and_holds_no_lease(tenant, settings):
    stuck = make_delivery(
        tenant,
        status="starting",
        attempts=settings.DELIVERY_MAX_RUNS,
        lease_expires_at=NOW - timedelta(seconds=1),
    )
    assert take_expired(expired_leases(NOW, 10), NOW) == []
    stuck.refresh_from_db()
    assert (stuck.status, stuck.finished_at, stuck.lease_expires_at) == ("failed", NOW, None)
    assert stuck.error == {
        "message": f"Gave up after {settings.DELIVERY_MAX_RUNS} attempts: the process running it stopped every time.",
        "type": "gave_up",
    }
