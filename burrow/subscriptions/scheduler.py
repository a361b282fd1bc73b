"""The delivery scheduler: `burrow scheduler` (and a child process of `burrow serve`).

Every tick:
1. Take the deliveries asked for over the API (test deliveries, invites) from the queue, in batches: one
   transaction per batch selects queued rows (on PostgreSQL `FOR UPDATE SKIP LOCKED`) and moves each out
   of the queue with a compare-and-set on `queued_at`. Each queued delivery is taken once.
2. Claim due subscriptions in batches. One transaction per batch selects due rows (an index range
   scan; on PostgreSQL `FOR UPDATE SKIP LOCKED`), advances each `next_delivery_date` with a
   compare-and-set on its old value, and inserts a delivery per claimed slot under a unique
   idempotency key. Any number of schedulers may run: a slot is claimed once.
3. A subscription behind (scheduler was down) gets its latest missed slot only, then moves to the
   next future slot. One whose insight or dashboard was deleted moves on without a delivery.
4. Take the deliveries whose retry is due (some recipients failed transiently), the same way as queued
   ones: a compare-and-set on `retry_at`, each taken once.
5. Deliveries whose worker lease ran out (a worker died) are taken over and run again.
6. Taken and claimed deliveries go to the workers (thread pool or Celery), batch by batch, so memory
   stays flat.
Between ticks it waits SCHEDULER_INTERVAL seconds, or less: until the next retry is due, or until a web
worker wakes it (burrow.subscriptions.wakeup) because it queued a delivery.
The claims of steps 1-5 are in burrow.subscriptions.claims."""

import logging
import signal
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from burrow.core import chores, heartbeats, metrics
from burrow.subscriptions.claims import claim_batch, claim_queued, recover_expired, take_retries
from burrow.subscriptions.delivery.dispatch import dispatch, local_pool
from burrow.subscriptions.delivery.notices import Notice, send_due_disabled_notice
from burrow.subscriptions.models import Subscription, SubscriptionDelivery
from burrow.subscriptions.wakeup import Listener

logger = logging.getLogger("burrow.scheduler")

Dispatcher = Callable[[Iterable[str]], int]


@dataclass
class TickResult:
    queued: int = 0
    retried: int = 0
    claimed: int = 0
    skipped: int = 0
    recovered: int = 0
    batches: int = 0
    notices: int = 0


def tick(now: datetime | None = None, dispatcher: Dispatcher | None = None) -> TickResult:
    now = now or timezone.now()
    send = dispatcher or (lambda ids: dispatch(ids, block=True))
    size = settings.SCHEDULER_BATCH_SIZE
    result = TickResult()
    result.queued = _hand_out_all(lambda: claim_queued(now, size), send, size)
    result.retried = _hand_out_all(lambda: take_retries(now, size), send, size)
    while True:
        ids, seen, skipped = claim_batch(now, size)
        result.batches += 1
        result.claimed += len(ids)
        result.skipped += skipped
        if ids:
            send(ids)
        if seen < size:
            break
    recovered = recover_expired(now, size)
    if recovered:
        send(recovered)
    result.recovered = len(recovered)
    result.notices = send_due_notices()
    return result


def _hand_out_all(take: Callable[[], list[str]], send: Dispatcher, size: int) -> int:
    """Takes and hands out batch after batch until a batch comes back short."""
    handed = 0
    while True:
        taken = take()
        handed += len(taken)
        if taken:
            send(taken)
        if len(taken) < size:
            return handed


def send_due_notices(limit: int = 20) -> int:
    """Auto-disable notices whose first sending failed; stops when the mail server is down (so a tick never
    waits on many timeouts), and goes on past a notice that fails on its own (it stays due)."""
    sent = 0
    due = Subscription.objects.filter(disabled_notice_due=True).order_by("id").values_list("id", flat=True)
    for subscription_id in list(due[:limit]):
        outcome = send_due_disabled_notice(subscription_id)
        if outcome == Notice.MAIL_DOWN:
            break
        sent += outcome == Notice.SENT
    return sent


def next_retry_at() -> datetime | None:
    """When the earliest delivery waiting for a retry is due (a range scan over delivery_retry_idx)."""
    waiting = SubscriptionDelivery.objects.filter(retry_at__isnull=False).order_by("retry_at")
    return waiting.values_list("retry_at", flat=True).first()


def _pause(interval: float, started: float) -> float:
    """How long to wait for the next tick: the rest of the interval, or less when a retry falls due sooner (a
    Celery worker that put it back cannot hand it out itself). Never a busy loop on an overdue retry."""
    pause = max(0.0, interval - (time.monotonic() - started))
    try:
        due = next_retry_at()
    except Exception:
        logger.exception("scheduler could not read the next retry")
        return pause
    if due is not None:
        pause = min(pause, max((due - timezone.now()).total_seconds(), 0.5))
    return pause


def _logged_tick(started: float) -> None:
    close_old_connections()
    chores.run_due()  # the apps' housekeeping (burrow.core.chores), each at its own interval
    try:
        heartbeats.beat("scheduler")
        result = tick()
    except Exception:
        logger.exception("scheduler tick failed")
        return
    elapsed_ms = round((time.monotonic() - started) * 1000, 1)
    metrics.scheduler_tick.observe(elapsed_ms / 1000)
    metrics.scheduler_due.set(result.claimed + result.skipped)
    metrics.scheduler_claimed.inc(result.claimed)
    busy = any(
        (result.queued, result.retried, result.claimed, result.skipped, result.recovered, result.notices)
    )
    logger.log(
        logging.INFO if busy else logging.DEBUG,
        "scheduler tick",
        extra={**result.__dict__, "elapsed_ms": elapsed_ms},
    )


def run_scheduler(interval: float | None = None, once: bool = False) -> None:
    interval = settings.SCHEDULER_INTERVAL if interval is None else interval
    stop = threading.Event()
    # Bound before the first tick: a delivery queued while that tick runs wakes the next one at once.
    listener = None if once else Listener()

    def shut_down(*_) -> None:
        stop.set()
        if listener is not None:
            listener.interrupt()

    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, shut_down)
    logger.info("scheduler started", extra={"interval": interval, "broker": bool(settings.BROKER_URL)})
    try:
        while not stop.is_set():
            started = time.monotonic()
            _logged_tick(started)
            if listener is None:
                break
            listener.wait(_pause(interval, started))
    finally:
        if listener is not None:
            listener.close()
    if not settings.BROKER_URL:
        # `--once` finishes its deliveries, retries included; a scheduler stopping leaves its retries to the
        # next one (they are recorded).
        local_pool().drain(retries=once)
    logger.info("scheduler stopped")
