"""The scheduler claims each slot and takes each queued delivery once, however many schedulers run, is woken
by deliveries asked for over the API, and finishes deliveries whose worker died."""

import signal
import subprocess
import threading
import time
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone
from werkzeug.wrappers import Response

from burrow.analytics.models import Insight
from burrow.subscriptions.delivery.dispatch import LocalPool
from burrow.subscriptions.delivery.engine import run_delivery
from burrow.subscriptions.models import Subscription, SubscriptionDelivery
from burrow.subscriptions.scheduler import _pause, tick
from burrow.subscriptions.wakeup import wake_scheduler
from tests.factories import make_delivery, make_subscription
from tests.fakes.smtp import start_sink
from tests.helpers import wait_for
from tests.subscriptions.processes import burrow_process

pytestmark = pytest.mark.django_db(transaction=True)


def make_due(tenant, n: int, **fields) -> list[Subscription]:
    subs = [make_subscription(tenant, **fields) for _ in range(n)]
    Subscription.objects.filter(id__in=[s.id for s in subs]).update(next_delivery_date=timezone.now())
    return subs


def test_racing_schedulers_claim_each_slot_once(tenant):
    subs = make_due(tenant, 30)
    claimed: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(4)

    def scheduler() -> None:
        try:
            start.wait()
            for _ in range(3):
                tick(dispatcher=lambda ids: claimed.extend(ids) or len(ids))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=scheduler) for _ in range(4)]
    with lock:
        for t in threads:
            t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(claimed) == len(set(claimed)) == 30
    for sub in subs:
        assert SubscriptionDelivery.objects.filter(subscription=sub).count() == 1


def test_racing_ticks_take_each_queued_delivery_once(tenant, settings):
    settings.SCHEDULER_BATCH_SIZE = 4  # several batches each, interleaved
    queued = [make_delivery(tenant, queued_at=timezone.now(), claimable=False) for _ in range(30)]
    taken: list[str] = []
    start = threading.Barrier(2)

    def scheduler() -> None:
        try:
            start.wait()
            tick(dispatcher=lambda ids: taken.extend(ids) or len(ids))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(taken) == sorted(str(d.id) for d in queued)
    assert not SubscriptionDelivery.objects.filter(queued_at__isnull=False).exists()
    assert tick(dispatcher=lambda ids: pytest.fail("taken twice")).queued == 0


def test_deleted_resources_and_disabled_subscriptions_are_not_delivered(tenant):
    gone = Insight.objects.create(team=tenant.team, name="Old", deleted=True)
    [deleted_resource] = make_due(tenant, 1, insight=gone)
    make_due(tenant, 1, enabled=False)
    make_due(tenant, 1, deleted=True)
    result = tick(dispatcher=lambda ids: len(ids))
    assert result.claimed == 0 and result.skipped == 1
    assert not SubscriptionDelivery.objects.exists()
    deleted_resource.refresh_from_db()
    assert deleted_resource.next_delivery_date > timezone.now()


def test_expired_lease_is_taken_over_by_the_next_tick(tenant):
    [sub] = make_due(tenant, 1)
    first: list[str] = []
    tick(dispatcher=lambda ids: first.extend(ids) or 0)  # handed to a worker that never ran it
    SubscriptionDelivery.objects.update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    again: list[str] = []
    result = tick(dispatcher=lambda ids: again.extend(ids) or 0)
    assert result.recovered == 1 and again == first
    assert tick(dispatcher=lambda ids: len(ids)).recovered == 0


def _scheduler_process(sink, settings, interval: float = 0.2) -> subprocess.Popen:
    return burrow_process(["scheduler", "--interval", str(interval)], settings, sink)


def test_delivery_interrupted_by_a_killed_scheduler_completes_once_after_restart(tenant, settings):
    sink, controller = start_sink()
    sink.stall = threading.Event()
    sink.stall.set()
    [sub] = make_due(tenant, 1, target_value="boss@example.com")
    first = _scheduler_process(sink, settings)
    try:
        wait_for(sink.in_data.is_set)  # the mail is being sent when the process dies
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        delivery = SubscriptionDelivery.objects.get(subscription=sub)
        assert delivery.status == "starting"
        sink.stall.clear()
        second = _scheduler_process(sink, settings)
        try:
            wait_for(lambda: SubscriptionDelivery.objects.get(id=delivery.id).status != "starting")
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(timeout=20)
    finally:
        if first.poll() is None:
            first.kill()
        controller.stop()
    delivery.refresh_from_db()
    assert delivery.status == "completed" and delivery.attempts >= 2
    assert [m["To"] for m in sink.messages] == ["boss@example.com"]
    assert SubscriptionDelivery.objects.filter(subscription=sub).count() == 1


def test_a_test_delivery_wakes_the_scheduler_process_which_sends_it(tenant, settings, monkeypatch):
    """Under `burrow serve`, a delivery asked for over the API is queued and the scheduler process is woken
    to send it at once (its own interval is far longer than the wait here); the web worker does not run it."""
    sink, controller = start_sink()
    sub = make_subscription(tenant, target_value="boss@example.com")
    scheduler = _scheduler_process(sink, settings, interval=600)
    try:
        wait_for(wake_scheduler)  # it listens (this first wake-up costs it an idle tick)
        monkeypatch.setattr(LocalPool, "submit", lambda *a, **k: pytest.fail("ran in the web process"))
        response = tenant.client.post(tenant.url(f"subscriptions/{sub.id}/test-delivery/"))
        assert response.status_code == 202
        delivery = SubscriptionDelivery.objects.get(subscription=sub, trigger_type="manual")
        wait_for(lambda: SubscriptionDelivery.objects.get(id=delivery.id).status == "completed", timeout=30)
        assert SubscriptionDelivery.objects.get(id=delivery.id).attempts == 1
        assert scheduler.poll() is None
    finally:
        scheduler.send_signal(signal.SIGTERM)
        scheduler.wait(timeout=20)
        controller.stop()
    assert [m["To"] for m in sink.messages] == ["boss@example.com"]


def test_a_second_hand_out_of_a_running_delivery_sends_nothing(tenant, httpserver, settings):
    """A redelivered task or a recovery racing a slow worker must not start a parallel run."""
    settings.WEBHOOK_ALLOW_PRIVATE = True
    entered, release, posts = threading.Event(), threading.Event(), []

    def slow_endpoint(request):
        posts.append(request.get_data())
        entered.set()
        release.wait(20)
        return Response("", status=204)

    httpserver.expect_request("/hook", method="POST").respond_with_handler(slow_endpoint)
    [sub] = make_due(tenant, 1, target_type="webhook", target_value=httpserver.url_for("/hook"))
    handed: list[str] = []
    tick(dispatcher=lambda ids: handed.extend(ids) or len(ids))
    [delivery_id] = handed

    def worker() -> None:
        try:
            run_delivery(delivery_id)
        finally:
            connections.close_all()

    first = threading.Thread(target=worker)
    first.start()
    try:
        assert entered.wait(20)
        assert run_delivery(delivery_id) is None  # the same hand-out again: already claimed
    finally:
        release.set()
        first.join(timeout=30)
    delivery = SubscriptionDelivery.objects.get(id=delivery_id)
    assert delivery.status == "completed" and delivery.attempts == 1
    assert len(posts) == 1


def test_a_delivery_that_keeps_killing_its_worker_is_given_up(tenant, settings):
    [sub] = make_due(tenant, 1)
    tick(dispatcher=lambda ids: len(ids))
    SubscriptionDelivery.objects.update(
        attempts=settings.DELIVERY_MAX_RUNS,
        claimable=False,
        lease_expires_at=timezone.now() - timedelta(seconds=1),
    )
    handed: list[str] = []
    assert tick(dispatcher=lambda ids: handed.extend(ids) or len(ids)).recovered == 0
    delivery = SubscriptionDelivery.objects.get(subscription=sub)
    assert handed == [] and delivery.status == "failed" and delivery.error["type"] == "gave_up"


def test_a_schedule_that_cannot_be_computed_does_not_stall_the_others(tenant):
    broken, healthy = make_due(tenant, 2)
    Subscription.objects.filter(id=broken.id).update(
        frequency="hourly", next_delivery_date=timezone.now() - timedelta(hours=1)
    )
    handed: list[str] = []
    result = tick(dispatcher=lambda ids: handed.extend(ids) or len(ids))
    assert result.claimed == 1 and result.skipped == 1
    assert SubscriptionDelivery.objects.get(id=handed[0]).subscription_id == healthy.id
    assert Subscription.objects.get(id=broken.id).next_delivery_date is None


def test_the_scheduler_waits_no_longer_than_the_next_retry(tenant):
    """A Celery worker that put a delivery back cannot hand it out itself: the scheduler ticks when it is due."""
    assert _pause(600, time.monotonic()) > 590
    assert 590 < _pause(600, time.monotonic() - 5) <= 595  # the tick's own time counts against the interval
    assert _pause(1, time.monotonic() - 5) == 0.0  # a tick longer than the interval: the next one at once
    make_delivery(tenant, retry_at=timezone.now() + timedelta(seconds=5), claimable=False)
    assert 0.5 <= _pause(600, time.monotonic()) <= 5
    make_delivery(tenant, retry_at=timezone.now() - timedelta(seconds=5), claimable=False)
    assert _pause(600, time.monotonic()) == 0.5  # an overdue retry it could not take: no busy loop
