"""Deliveries as Celery tasks (burrow.core.workers), for installations with BURROW_BROKER_URL."""

from datetime import datetime

from burrow.core.workers import app
from burrow.subscriptions.delivery.engine import run_delivery
from burrow.subscriptions.wakeup import wake_scheduler


@app.task(name="burrow.subscriptions.deliver")
def deliver(delivery_id: str) -> str | None:
    return run_delivery(delivery_id, on_retry=_wake_for_retry)


def _wake_for_retry(delivery_id: str, when: datetime) -> None:
    """A worker cannot wait for a retry: it wakes a scheduler on this machine, which then waits no longer
    than `when` (without one, the next tick of any scheduler takes it)."""
    wake_scheduler()
