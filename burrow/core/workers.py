"""Celery: background work as tasks on the BURROW_BROKER_URL broker (Redis), run by `burrow worker`. Each app
keeps its tasks in its own `tasks` module; a worker finds them among the installed apps."""

from celery import Celery
from celery.signals import worker_ready
from django.conf import settings

from burrow.core.heartbeats import start_beating

app = Celery("burrow")
app.conf.update(
    broker_url=settings.BROKER_URL or "memory://",
    task_default_queue=settings.BROKER_QUEUE,
    task_ignore_result=True,
    # A worker that dies mid-task leaves it unacknowledged: it is redelivered. Each task's own claim keeps
    # the work from being done twice (a delivery's per-recipient results, a query's status).
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
)
app.autodiscover_tasks(lambda: settings.INSTALLED_APPS)


@worker_ready.connect
def _beat_while_running(**kwargs) -> None:
    """A worker says it is alive (`/_readyz?role=worker`, `burrow status`) for as long as it runs."""
    start_beating("worker")


def run_worker(concurrency: int) -> int:
    if not settings.BROKER_URL:
        print("burrow: set BURROW_BROKER_URL (e.g. redis://127.0.0.1:6379/0) to run workers", flush=True)
        return 2
    app.worker_main(
        ["worker", f"--concurrency={concurrency}", "--loglevel=INFO", "--without-gossip", "--without-mingle"]
    )
    return 0
