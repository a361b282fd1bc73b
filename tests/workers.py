"""A Celery worker in the test process on the Redis broker (tests that use it skip without Redis)."""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

BROKER = "redis://127.0.0.1:6379/15"
# One queue per test process, no other run's: Celery builds its queue list once per app, so a worker started
# by a later test would still consume the first test's queue.
QUEUE = f"burrow-test-{uuid.uuid4().hex}"


@pytest.fixture
def celery_worker(settings):
    from celery.contrib.testing.worker import start_worker

    from burrow.core.workers import app

    with (
        own_queue(settings),
        start_worker(app, pool="threads", concurrency=2, perform_ping_check=False, shutdown_timeout=10),
    ):
        yield


@contextmanager
def own_queue(settings) -> Iterator[str]:
    """Points this process's Celery app at the test broker and this process's queue."""
    from burrow.core.workers import app

    settings.BROKER_URL = BROKER
    saved = app.conf.broker_url, app.conf.task_default_queue
    app.conf.broker_url, app.conf.task_default_queue = BROKER, QUEUE
    try:
        yield QUEUE
    finally:
        app.conf.broker_url, app.conf.task_default_queue = saved
