"""With BURROW_BROKER_URL, deliveries run as Celery tasks on Redis (skipped when Redis is not on loopback)."""

import signal
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.utils import timezone

from burrow.subscriptions.models import Subscription, SubscriptionDelivery
from burrow.subscriptions.scheduler import tick
from tests.devtools import port_open
from tests.factories import make_subscription
from tests.fakes.smtp import start_sink
from tests.subscriptions.processes import burrow_process, wait_for

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not port_open("127.0.0.1", 6379), reason="Redis is not running on 127.0.0.1:6379"),
]
BROKER = "redis://127.0.0.1:6379/15"
# One queue per test process, no other run's: Celery builds its queue list once per app, so a worker started
# by a later test would still consume the first test's queue.
QUEUE = f"burrow-test-{uuid.uuid4().hex}"


@pytest.fixture
def celery_worker(settings):
    from celery.contrib.testing.worker import start_worker

    from burrow.subscriptions.tasks import app

    with (
        own_queue(settings),
        start_worker(app, pool="threads", concurrency=2, perform_ping_check=False, shutdown_timeout=10),
    ):
        yield


@contextmanager
def own_queue(settings) -> Iterator[str]:
    """Points this process's Celery app at the test broker and this process's queue."""
    from burrow.subscriptions.tasks import app

    settings.BROKER_URL = BROKER
    saved = app.conf.broker_url, app.conf.task_default_queue
    app.conf.broker_url, app.conf.task_default_queue = BROKER, QUEUE
    try:
        yield QUEUE
    finally:
        app.conf.broker_url, app.conf.task_default_queue = saved


def test_scheduled_delivery_runs_on_a_celery_worker(tenant, smtp_server, celery_worker):
    sub = make_subscription(tenant, target_value="celery@example.com")
    Subscription.objects.filter(id=sub.id).update(next_delivery_date=timezone.now() - timedelta(seconds=1))
    assert tick().claimed == 1
    deadline = time.monotonic() + 30
    while SubscriptionDelivery.objects.get(subscription=sub).status == "starting":
        assert time.monotonic() < deadline, "the worker did not deliver"
        time.sleep(0.1)
    assert SubscriptionDelivery.objects.get(subscription=sub).status == "completed"
    assert [m["To"] for m in smtp_server.messages] == ["celery@example.com"]


def test_a_retry_goes_back_to_the_workers_through_a_scheduler_tick(
    tenant, smtp_server, celery_worker, settings
):
    """A worker does not wait out the back-off: it puts the delivery back, and a tick hands it out once due."""
    settings.DELIVERY_RETRY_DELAY = 0.05
    smtp_server.busy_answers = 1  # the first attempt is answered "try again later"
    sub = make_subscription(tenant, target_value="celery@example.com")
    Subscription.objects.filter(id=sub.id).update(next_delivery_date=timezone.now() - timedelta(seconds=1))
    assert tick().claimed == 1
    retried = []

    def finished() -> bool:
        retried.append(tick().retried)
        return SubscriptionDelivery.objects.get(subscription=sub).status != "starting"

    wait_for(finished, timeout=30)
    delivery = SubscriptionDelivery.objects.get(subscription=sub)
    assert delivery.status == "completed" and delivery.attempts == 2 and sum(retried) == 1
    assert [(r["status"], r["attempts"]) for r in delivery.recipient_results] == [("success", 2)]
    assert [m["To"] for m in smtp_server.messages] == ["celery@example.com"]


def test_a_killed_worker_process_delivery_completes_once_after_restart(tenant, settings):
    """SIGKILL a real `burrow worker` mid-send; once its lease runs out the scheduler hands the delivery
    out again and a new worker finishes it, without a second mail."""
    sink, controller = start_sink()
    sink.stall = threading.Event()
    sink.stall.set()
    sub = make_subscription(tenant, target_value="boss@example.com")
    Subscription.objects.filter(id=sub.id).update(next_delivery_date=timezone.now() - timedelta(seconds=1))
    workers = []
    with own_queue(settings) as queue:
        settings.DELIVERY_LEASE_SECONDS = 2

        def worker():
            process = burrow_process(
                ["worker", "--concurrency", "1"],
                settings,
                sink,
                BURROW_BROKER_URL=BROKER,
                BURROW_BROKER_QUEUE=queue,
            )
            workers.append(process)
            return process

        try:
            first = worker()
            assert tick().claimed == 1
            wait_for(sink.in_data.is_set)  # the mail is being sent when the worker dies
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=10)
            delivery = SubscriptionDelivery.objects.get(subscription=sub)
            assert delivery.status == "starting"
            sink.stall.clear()
            worker()

            def finished() -> bool:
                tick()  # recovery: hands the delivery out again once the dead worker's lease ran out
                return SubscriptionDelivery.objects.get(id=delivery.id).status != "starting"

            wait_for(finished)
        finally:
            for process in workers:
                process.kill()
                process.wait(timeout=10)
            controller.stop()
    delivery.refresh_from_db()
    assert delivery.status == "completed" and delivery.attempts == 2
    assert [m["To"] for m in sink.messages] == ["boss@example.com"]
