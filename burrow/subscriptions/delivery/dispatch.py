"""Hands deliveries to whoever runs them: Celery workers when BURROW_BROKER_URL is set; else, from a web
worker of `burrow serve`, the scheduler process beside it (woken with a signal), so web workers never load
the chart renderer; else a bounded thread pool in this process (started on first use). A delivery that
cannot be handed over keeps its lease and is picked up again by the scheduler once the lease runs out."""

import logging
import os
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone

from burrow.supervisor import WAKE_SIGNAL

logger = logging.getLogger(__name__)


class LocalPool:
    """At most `threads` deliveries run and `threads * 4` wait; `submit` can block or give up when full."""

    def __init__(self, threads: int) -> None:
        self.executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="delivery")
        self.slots = threading.BoundedSemaphore(threads * 4)
        self.pending: set[Future] = set()
        self.running = 0
        self.lock = threading.Lock()

    def submit(self, delivery_id: str, block: bool) -> bool:
        if not self.slots.acquire(blocking=block):
            return False
        future = self.executor.submit(self._run, delivery_id)
        with self.lock:
            self.pending.add(future)
        future.add_done_callback(self._done)
        return True

    def _run(self, delivery_id: str) -> None:
        with self.lock:
            self.running += 1
        try:
            _run_in_thread(delivery_id, keep_connection=self._has_waiting_work)
        finally:
            with self.lock:
                self.running -= 1

    def _has_waiting_work(self) -> bool:
        with self.lock:
            return len(self.pending) > self.running

    def _done(self, future: Future) -> None:
        self.slots.release()
        with self.lock:
            self.pending.discard(future)

    def drain(self, timeout: float | None = None) -> None:
        """Waits for every submitted delivery (scheduler shutdown, `--once`, tests)."""
        import concurrent.futures

        with self.lock:
            futures = list(self.pending)
        concurrent.futures.wait(futures, timeout=timeout)


def _run_in_thread(delivery_id: str, keep_connection: Callable[[], bool]) -> None:
    from burrow.subscriptions.delivery.engine import run_delivery

    close_old_connections()
    try:
        run_delivery(delivery_id)
    except Exception:
        logger.exception("delivery thread failed", extra={"delivery_id": delivery_id})
    finally:
        # While deliveries wait, the thread keeps its connection (within CONN_MAX_AGE): connecting anew
        # for each one cost PostgreSQL a backend process per mail. An idle thread holds none.
        if keep_connection():
            close_old_connections()
        else:
            connection.close()


_pool: LocalPool | None = None
_pool_lock = threading.Lock()


def local_pool() -> LocalPool:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = LocalPool(settings.DELIVERY_THREADS)
        return _pool


SCHEDULER_PID_VARIABLE = "BURROW_SCHEDULER_PID"


def _hand_to_scheduler(ids: list[str]) -> bool:
    """Marks the deliveries as waiting for a taker and wakes the scheduler process, whose next tick takes
    them over; False when there is no scheduler process to wake."""
    try:
        pid = int(os.environ.get(SCHEDULER_PID_VARIABLE, ""))
    except ValueError:
        return False
    if pid == os.getpid():
        return False
    from burrow.subscriptions.models import SubscriptionDelivery

    waiting = timezone.now() - timedelta(seconds=1)
    SubscriptionDelivery.objects.filter(id__in=ids, status=SubscriptionDelivery.Status.STARTING).update(
        lease_expires_at=waiting
    )
    try:
        os.kill(pid, WAKE_SIGNAL)
    except OSError:
        return False  # the local pool runs them; their claim does not depend on the lease
    return True


def dispatch(delivery_ids: Iterable[str], block: bool = False) -> int:
    """Queues deliveries; returns how many were handed over."""
    ids = [str(i) for i in delivery_ids]
    if settings.BROKER_URL:
        from burrow.subscriptions.tasks import deliver

        handed = 0
        for delivery_id in ids:
            try:
                deliver.delay(delivery_id)
                handed += 1
            except Exception:
                logger.exception("broker unavailable", extra={"delivery_id": delivery_id})
        return handed
    if _hand_to_scheduler(ids):
        return len(ids)
    pool = local_pool()
    handed = sum(1 for delivery_id in ids if pool.submit(delivery_id, block=block))
    if handed < len(ids):
        logger.warning("delivery pool full", extra={"queued": handed, "deferred": len(ids) - handed})
    return handed
