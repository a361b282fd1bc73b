"""Hands deliveries to whoever runs them: Celery workers when BURROW_BROKER_URL is set, else a bounded
thread pool in this process (started on first use). A delivery that cannot be handed over keeps its
lease and is picked up again by the scheduler once the lease runs out."""

import logging
import threading
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor

from django.conf import settings
from django.db import close_old_connections, connection

logger = logging.getLogger(__name__)


class LocalPool:
    """At most `threads` deliveries run and `threads * 4` wait; `submit` can block or give up when full."""

    def __init__(self, threads: int) -> None:
        self.executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="delivery")
        self.slots = threading.BoundedSemaphore(threads * 4)
        self.pending: set[Future] = set()
        self.lock = threading.Lock()

    def submit(self, delivery_id: str, block: bool) -> bool:
        if not self.slots.acquire(blocking=block):
            return False
        future = self.executor.submit(_run_in_thread, delivery_id)
        with self.lock:
            self.pending.add(future)
        future.add_done_callback(self._done)
        return True

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


def _run_in_thread(delivery_id: str) -> None:
    from burrow.subscriptions.delivery.engine import run_delivery

    close_old_connections()
    try:
        run_delivery(delivery_id)
    except Exception:
        logger.exception("delivery thread failed", extra={"delivery_id": delivery_id})
    finally:
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
    pool = local_pool()
    handed = sum(1 for delivery_id in ids if pool.submit(delivery_id, block=block))
    if handed < len(ids):
        logger.warning("delivery pool full", extra={"queued": handed, "deferred": len(ids) - handed})
    return handed
