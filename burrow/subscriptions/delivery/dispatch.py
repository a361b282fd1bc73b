"""Hands deliveries to whoever runs them: Celery workers when BURROW_BROKER_URL is set, else a bounded thread
pool in this process (started on first use). A delivery that cannot be handed over keeps its lease and is
picked up again by a scheduler once the lease runs out.

A delivery put back to retry some recipients later is handed out again when its retry falls due: by the
local pool's timer, or by a scheduler tick (always, and the only way with Celery). Nothing sleeps in a
delivery thread, so one tenant's unreachable recipients never hold up another tenant's reports."""

import heapq
import logging
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone

from burrow.subscriptions.delivery.engine import run_delivery

logger = logging.getLogger(__name__)


class LocalPool:
    """At most `threads` deliveries run and `threads * 4` wait; `submit` can block or give up when full.
    Retries wait in a heap until due, then join the queue like any other delivery."""

    def __init__(self, threads: int) -> None:
        self.executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="delivery")
        self.slots = threading.BoundedSemaphore(threads * 4)
        self.pending: set[Future] = set()
        self.running = 0
        self.retries: list[tuple[float, str]] = []  # (time.monotonic() when due, delivery id)
        self.changed = threading.Condition()  # guards pending, running and retries
        self.timer: threading.Thread | None = None

    def submit(self, delivery_id: str, block: bool) -> bool:
        if not self.slots.acquire(blocking=block):
            return False
        with self.changed:
            future = self._start(delivery_id)
        future.add_done_callback(self._done)
        return True

    def _start(self, delivery_id: str) -> Future:
        future = self.executor.submit(self._run, delivery_id)
        self.pending.add(future)
        return future

    def retry_later(self, delivery_id: str, delay: float) -> None:
        with self.changed:
            heapq.heappush(self.retries, (time.monotonic() + delay, delivery_id))
            if self.timer is None:
                self.timer = threading.Thread(
                    target=self._hand_out_retries, name="delivery-retries", daemon=True
                )
                self.timer.start()
            self.changed.notify_all()

    def _hand_out_retries(self) -> None:
        while True:
            with self.changed:
                while not self.retries or self.retries[0][0] > time.monotonic():
                    self.changed.wait(self.retries[0][0] - time.monotonic() if self.retries else None)
                _, delivery_id = heapq.heappop(self.retries)
                if not self.slots.acquire(blocking=False):
                    # A full pool: the retry stays recorded and a scheduler tick hands it out.
                    logger.warning("delivery pool full", extra={"delivery_id": delivery_id, "retry": True})
                    self.changed.notify_all()
                    continue
                future = self._start(delivery_id)
            future.add_done_callback(self._done)

    def _run(self, delivery_id: str) -> None:
        with self.changed:
            self.running += 1
        try:
            _run_in_thread(delivery_id, keep_connection=self._has_waiting_work)
        finally:
            with self.changed:
                self.running -= 1

    def _has_waiting_work(self) -> bool:
        with self.changed:
            return len(self.pending) > self.running

    def _done(self, future: Future) -> None:
        self.slots.release()
        with self.changed:
            self.pending.discard(future)
            self.changed.notify_all()

    def drain(self, timeout: float | None = None, retries: bool = True) -> None:
        """Waits for every submitted delivery and, with `retries`, for the retries this pool hands out before
        the timeout (tests, `--once`). A scheduler shutting down leaves retries out: they are recorded, and
        the next scheduler takes them."""
        deadline = None if timeout is None else time.monotonic() + timeout

        def busy() -> bool:
            retry_due = bool(self.retries) and (deadline is None or self.retries[0][0] <= deadline)
            return bool(self.pending) or (retries and retry_due)

        with self.changed:
            while busy():
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return
                self.changed.wait(remaining)


def _run_in_thread(delivery_id: str, keep_connection: Callable[[], bool]) -> None:
    close_old_connections()
    try:
        run_delivery(delivery_id, on_retry=retry_later)
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


def dispatch(delivery_ids: Iterable[str], block: bool = False) -> int:
    """Hands deliveries to Celery or to the local pool; returns how many were handed over."""
    ids = [str(i) for i in delivery_ids]
    if settings.BROKER_URL:
        # Imported here: it loads Celery (a heavy library), which only processes with a broker need.
        from burrow.subscriptions.tasks import deliver

        handed = 0
        for delivery_id in ids:
            try:
                deliver.delay(delivery_id)
                handed += 1
            except Exception:
                logger.exception("broker unavailable", extra={"delivery_id": delivery_id})
        return handed
    pool = local_pool()
    handed = sum(1 for delivery_id in ids if pool.submit(delivery_id, block=block))
    if handed < len(ids):
        logger.warning("delivery pool full", extra={"queued": handed, "deferred": len(ids) - handed})
    return handed


def retry_later(delivery_id: str, when: datetime) -> None:
    """A delivery this pool ran was put back to retry some recipients at `when`: the pool hands it out
    again then. (A Celery worker cannot wait for it: see tasks.py.)"""
    # A little late rather than early: the claim compares `when` with the clock, not with the timer.
    delay = (when - timezone.now()).total_seconds() + 0.01
    local_pool().retry_later(delivery_id, max(0.0, delay))
