"""Celery: deliveries as tasks on the BURROW_BROKER_URL broker (Redis), run by `burrow worker`."""

import logging
from datetime import datetime

from celery import Celery
from django.conf import settings

from burrow.subscriptions.delivery.engine import run_delivery
from burrow.subscriptions.wakeup import wake_scheduler

logger = logging.getLogger(__name__)

app = Celery("burrow")
app.conf.update(
    broker_url=settings.BROKER_URL or "memory://",
    task_default_queue=settings.BROKER_QUEUE,
    task_ignore_result=True,
    # A worker that dies mid-delivery leaves the task unacknowledged: it is redelivered (and the scheduler
    # hands the delivery out again once its lease runs out); the claim and per-recipient results keep
    # served recipients from getting it twice.
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
)


@app.task(name="burrow.subscriptions.deliver")
def deliver(delivery_id: str) -> str | None:
    return run_delivery(delivery_id, on_retry=_wake_for_retry)


def _wake_for_retry(delivery_id: str, when: datetime) -> None:
    """A worker cannot wait for a retry: it wakes a scheduler on this machine, which then waits no longer
    than `when` (without one, the next tick of any scheduler takes it)."""
    wake_scheduler()


def run_worker(concurrency: int) -> int:
    if not settings.BROKER_URL:
        print("burrow: set BURROW_BROKER_URL (e.g. redis://127.0.0.1:6379/0) to run workers", flush=True)
        return 2
    app.worker_main(
        ["worker", f"--concurrency={concurrency}", "--loglevel=INFO", "--without-gossip", "--without-mingle"]
    )
    return 0
