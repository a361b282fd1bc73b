"""Races that could go wrong: a compare-and-set wins nothing against a stale value, and work that several
takers race for (a slot, an expired lease, a due retry, an invite, a failure streak's notice) goes to one.
Racing threads start together and are joined and checked to have finished, so a hang fails the test."""

import threading
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone

from burrow.subscriptions.claims import _compare_and_set, expired_leases, take_expired
from burrow.subscriptions.delivery.dispatch import local_pool
from burrow.subscriptions.delivery.engine import LeaseLost, Outcome, _put_back, _save, _track_failure_streak
from burrow.subscriptions.models import Subscription, SubscriptionDelivery
from burrow.subscriptions.scheduler import tick
from tests.conftest import client_for
from tests.core.test_metrics import scrape, value
from tests.factories import make_delivery, make_subscription
from tests.subscriptions.test_scheduler import make_due

pytestmark = pytest.mark.django_db(transaction=True)


def race(*takers: Callable[[], object], timeout: float = 60) -> list:
    """Runs each taker in its own thread (own database connection) from a common start; returns their
    results in order once every thread has finished."""
    start = threading.Barrier(len(takers))
    results: list = [None] * len(takers)
    errors: list[BaseException] = []

    def run(index: int, taker: Callable[[], object]) -> None:
        try:
            start.wait(timeout)
            results[index] = taker()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, taker), daemon=True) for i, taker in enumerate(takers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(thread.is_alive() for thread in threads), "a racing thread did not finish"
    assert not errors, errors
    return results


def test_a_compare_and_set_with_a_stale_old_value_wins_nothing(tenant):
    [sub] = make_due(tenant, 1)
    old = Subscription.objects.get(id=sub.id).next_delivery_date
    new = old + timedelta(days=1)
    assert _compare_and_set([(sub.id, old - timedelta(minutes=1), new)]) == set()
    assert Subscription.objects.get(id=sub.id).next_delivery_date == old
    first, second = race(*[lambda: _compare_and_set([(sub.id, old, new)])] * 2)
    assert sorted([first, second], key=len) == [set(), {sub.id}]
    assert _compare_and_set([(sub.id, old, new + timedelta(days=1))]) == set()  # `old` is stale now
    assert Subscription.objects.get(id=sub.id).next_delivery_date == new


def test_two_schedulers_with_the_same_stale_snapshot_take_an_expired_lease_once(tenant):
    make_due(tenant, 1)
    tick(dispatcher=lambda ids: len(ids))  # handed to a worker that died
    SubscriptionDelivery.objects.update(
        claimable=False, lease_expires_at=timezone.now() - timedelta(seconds=1)
    )
    now = timezone.now()
    snapshot = expired_leases(now, 10)
    [(delivery_id, _, _)] = snapshot
    first, second = race(*[lambda: take_expired(snapshot, now)] * 2)
    assert sorted([first, second], key=len) == [[], [str(delivery_id)]]
    assert take_expired(snapshot, now) == []  # a scheduler that read the same rows later takes nothing
    delivery = SubscriptionDelivery.objects.get(id=delivery_id)
    assert delivery.claimable and delivery.lease_expires_at > now


def test_racing_schedulers_take_each_due_retry_once(tenant, settings):
    settings.SCHEDULER_BATCH_SIZE = 4  # several batches each, interleaved
    due = timezone.now() - timedelta(seconds=1)
    waiting = [make_delivery(tenant, retry_at=due, claimable=False, attempts=1) for _ in range(12)]
    later = make_delivery(tenant, retry_at=timezone.now() + timedelta(hours=1), claimable=False, attempts=1)
    taken: list[str] = []
    race(*[lambda: tick(dispatcher=lambda ids: taken.extend(ids) or len(ids))] * 3)
    assert sorted(taken) == sorted(str(d.id) for d in waiting)
    assert list(SubscriptionDelivery.objects.filter(retry_at__isnull=False)) == [later]
    assert all(d.claimable for d in SubscriptionDelivery.objects.filter(id__in=[d.id for d in waiting]))


def test_failures_finishing_together_disable_the_subscription_and_tell_its_creator_once(
    tenant, smtp_server, settings
):
    sub = make_subscription(tenant, title="Daily numbers")
    race(*[lambda: _track_failure_streak(sub.id, failed=True)] * 8)
    sub.refresh_from_db()
    assert not sub.enabled and sub.consecutive_failures == 8 and not sub.disabled_notice_due
    notices = [m["Subject"] for m in smtp_server.messages]
    assert notices == ['Burrow subscription "Daily numbers" has been automatically disabled']


def test_identical_parallel_patches_adding_an_address_send_one_invite(tenant, smtp_server):
    sub = make_subscription(tenant, target_value="old@example.com")
    url = tenant.url(f"subscriptions/{sub.id}/")
    body = {"target_value": "old@example.com,new@example.com"}

    def patch() -> int:
        return client_for(tenant.key).patch(url, body, format="json").status_code

    assert race(*[patch] * 20) == [200] * 20
    local_pool().drain(timeout=30)
    invites = SubscriptionDelivery.objects.filter(subscription=sub, trigger_type="target_change")
    assert [(d.previous_value, d.status) for d in invites] == [("old@example.com", "completed")]
    assert [m["To"] for m in smtp_server.messages] == ["new@example.com"]


def test_saving_progress_renews_the_lease_and_a_worker_whose_run_was_taken_over_writes_nothing(tenant):
    """A long delivery must not look dead to the scheduler while it still works through its recipients, and a
    worker that lost its delivery to another (the hand-out's `attempts` moved on, or it was finished) must
    not overwrite it."""
    almost_over = timezone.now() + timedelta(seconds=1)
    long_ago = timezone.now() - timedelta(days=1)
    fields = {"status": "starting", "attempts": 1, "lease_expires_at": almost_over}
    delivery, neighbour, finished = (make_delivery(tenant, **fields) for _ in range(3))
    SubscriptionDelivery.objects.update(last_updated_at=long_ago)  # (auto_now sets it on create)
    progress = [{"recipient": "a@example.com", "status": "success", "attempts": 1}]
    _save(delivery, recipient_results=progress)
    saved = SubscriptionDelivery.objects.get(pk=delivery.pk)
    assert saved.recipient_results == progress and saved.lease_expires_at > almost_over + timedelta(seconds=5)
    assert saved.last_updated_at > long_ago
    assert SubscriptionDelivery.objects.get(pk=neighbour.pk).recipient_results == []
    SubscriptionDelivery.objects.filter(pk=delivery.pk).update(attempts=2)  # another worker's claim
    SubscriptionDelivery.objects.filter(pk=finished.pk).update(status="completed")
    for lost in (delivery, finished):
        with pytest.raises(LeaseLost):
            _save(
                lost, recipient_results=[{"recipient": "b@example.com", "status": "success", "attempts": 1}]
            )
    assert SubscriptionDelivery.objects.get(pk=delivery.pk).recipient_results == progress
    assert SubscriptionDelivery.objects.get(pk=finished.pk).recipient_results == []


def test_a_delivery_put_back_for_a_retry_waits_unclaimable_without_a_lease_unless_it_was_taken_over(tenant):
    """Put back, a delivery holds no lease (the scheduler must not recover it) and no worker may claim it
    before its retry is due; a worker that lost it meanwhile puts nothing back and tells nobody."""
    long_ago = timezone.now() - timedelta(days=1)
    # A channel of its own name: no other test's retries move its counter.
    fields = {"status": "starting", "attempts": 1, "claimable": True, "lease_expires_at": timezone.now()}
    fields["target_type"] = "carrier_pigeon"
    delivery, neighbour, finished = (make_delivery(tenant, **fields) for _ in range(3))
    SubscriptionDelivery.objects.update(last_updated_at=long_ago)  # (auto_now sets it on create)
    results = [{"recipient": "a@example.com", "status": "failed", "attempts": 1, "permanent": False}]
    due = timezone.now() + timedelta(minutes=5)
    told = []

    def put_back(d):
        outcome = Outcome("starting", None, results, {"recipient_results": results}, due)
        return _put_back(d, outcome, lambda *call: told.append(call))

    retries_before = value(scrape(), "burrow_delivery_retries_total", target_type="carrier_pigeon")
    assert put_back(delivery) == "starting" and told == [(str(delivery.id), due)]
    assert (
        value(scrape(), "burrow_delivery_retries_total", target_type="carrier_pigeon") == retries_before + 1
    )
    waiting = SubscriptionDelivery.objects.get(pk=delivery.pk)
    assert (waiting.retry_at, waiting.claimable, waiting.lease_expires_at) == (due, False, None)
    assert waiting.recipient_results == results and waiting.last_updated_at > long_ago
    assert SubscriptionDelivery.objects.get(pk=neighbour.pk).retry_at is None
    SubscriptionDelivery.objects.filter(pk=delivery.pk).update(attempts=2, retry_at=None)  # another's claim
    SubscriptionDelivery.objects.filter(pk=finished.pk).update(status="completed")
    told.clear()
    assert put_back(delivery) is None and put_back(finished) is None and told == []
    assert SubscriptionDelivery.objects.get(pk=delivery.pk).retry_at is None
    assert SubscriptionDelivery.objects.get(pk=finished.pk).retry_at is None


def test_a_success_ends_the_failure_streak_and_a_subscription_deleted_meanwhile_counts_nothing(
    tenant, settings
):
    settings.DELIVERY_AUTO_DISABLE_AFTER = 3
    subscription, neighbour = make_subscription(tenant), make_subscription(tenant)
    Subscription.objects.filter(pk=neighbour.pk).update(consecutive_failures=2)

    def streak() -> int:
        return Subscription.objects.get(pk=subscription.pk).consecutive_failures

    _track_failure_streak(subscription.id, failed=True)
    _track_failure_streak(subscription.id, failed=False)
    assert streak() == 0
    for _ in range(2):
        _track_failure_streak(subscription.id, failed=True)
    _track_failure_streak(subscription.id, failed=False)
    _track_failure_streak(subscription.id, failed=True)
    assert (
        streak() == 1 and Subscription.objects.get(pk=subscription.pk).enabled
    )  # 2 + 1 would have disabled it
    assert Subscription.objects.get(pk=neighbour.pk).consecutive_failures == 2
    Subscription.objects.filter(pk=subscription.pk).delete()
    _track_failure_streak(subscription.id, failed=True)  # a delivery finishing after its subscription is gone
    _track_failure_streak(subscription.id, failed=False)
