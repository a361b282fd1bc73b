"""With BURROW_BROKER_URL, deliveries run as Celery tasks on Redis (skipped when Redis is not on loopback)."""

import time
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from burrow.devtools import port_open
from burrow.subscriptions.models import Subscription, SubscriptionDelivery
from burrow.subscriptions.scheduler import tick
from tests.factories import make_subscription
from tests.fakes.smtp import smtp_server_fixture  # noqa: F401

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not port_open("127.0.0.1", 6379), reason="Redis is not running on 127.0.0.1:6379"),
]
BROKER = "redis://127.0.0.1:6379/15"


@pytest.fixture
def celery_worker(settings):
    from celery.contrib.testing.worker import start_worker

    from burrow.subscriptions.tasks import app

    settings.BROKER_URL = BROKER
    saved = app.conf.broker_url, app.conf.task_default_queue
    app.conf.broker_url = BROKER
    app.conf.task_default_queue = f"burrow-test-{uuid.uuid4().hex}"  # never steal another run's tasks
    try:
        with start_worker(app, pool="threads", concurrency=2, perform_ping_check=False, shutdown_timeout=10):
            yield
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
