"""With BURROW_BROKER_URL, deliveries run as Celery tasks on Redis (skipped when Redis is not on loopback)."""

import signal
import threading
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from burrow.subscriptions.models import Subscription, SubscriptionDelivery
from burrow.subscriptions.scheduler import tick
from tests.devtools import port_open
from tests.factories import make_subscription
from tests.fakes.smtp import start_sink
from tests.helpers import wait_for
from tests.subscriptions.processes import burrow_process
from tests.workers import BROKER, own_queue

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not port_open("127.0.0.1", 6379), reason="Redis is not running on 127.0.0.1:6379"),
]


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
