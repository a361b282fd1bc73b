"""Running one query for the query API: check it, answer from the shared cache when the refresh mode
allows, else run it in one of the environment's slots and cache the answer. Shaped as the reference's
`HogQLQueryResponse`."""

import hashlib
import logging
import random
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from burrow.core import metrics
from burrow.core.models import Team
from burrow.core.prepared import PreparedQuery
from burrow.queries import sqlcheck, statuses
from burrow.queries.errors import QueryError, TooManyQueries
from burrow.queries.models import QueryResult, QueryTask, RunningQuery
from burrow.queries.runners import runner
from burrow.queries.runners.base import MAX_RESULT_BYTES
from burrow.queries.sources import Target, target_for

MAX_RUNNING_PER_ENVIRONMENT = 4
RETRY_AFTER_SECONDS = 1
logger = logging.getLogger(__name__)

REFRESH_MODES = ("blocking", "force_blocking", "lazy_async", "async", "force_async", "force_cache")
ASYNC_MODES = ("lazy_async", "async", "force_async")
STALE_RESULTS_KEPT = timedelta(days=1)
LAZY_FRESH_FOR = STALE_RESULTS_KEPT  # `lazy_async` takes any cached answer that is still kept


def refresh_mode(value) -> str:
    """The reference also takes `true` (recompute) and `false`/absent (use the cache)."""
    if value is None or value is False:
        return "blocking"
    if value is True:
        return "force_blocking"
    if value not in REFRESH_MODES:
        raise QueryError(f"refresh must be one of {', '.join(REFRESH_MODES)}.")
    return value


_CACHED_ANSWER = PreparedQuery(
    lambda p: QueryResult.objects.filter(cache_key=p.key, team_id=p.team)[:1], key=str, team=int
)


def cache_key(target: Target, checked: sqlcheck.Checked) -> str:
    material = "\x00".join([target.identity, checked.sql, str(checked.limit)])
    return "query_" + hashlib.sha256(material.encode()).hexdigest()[:48]


def run_query(
    team: Team,
    sql: str,
    *,
    source_id=None,
    refresh="blocking",
    query_id: str | None = None,
    slot_wait: float = 0,
) -> dict:
    """The answer per the refresh mode, as the reference's query runner:
    - `blocking`: a fresh cached answer, else computed now; `force_blocking`: computed now;
    - `async`: a fresh cached answer; a stale one with a background refresh started; none: only the status
      of a background computation (`query_status`, polled at `GET …/query/:id/`);
    - `lazy_async`: as `async`, but a cached answer counts as fresh for a day;
    - `force_async`: always a background computation, and only its status;
    - `force_cache`: any cached answer, never computed (none: only `cache_key` and `query_status`).
    The background computation's id is `query_id` (the client's), else the cache key, so identical queries
    share one computation. With `slot_wait`, a query that finds the environment's slots taken waits up to
    that many seconds for one (background work); else it is refused at once (TooManyQueries: a 429)."""
    mode = refresh_mode(refresh)
    target = target_for(team, source_id)
    checked = sqlcheck.check(sql, target.kind)
    key = cache_key(target, checked)
    if mode == "force_async":
        return {"query_status": start_background(team, source_id, sql, key, query_id)}
    cached = None if mode == "force_blocking" else _CACHED_ANSWER.first(key=key, team=team.id)
    if mode != "force_blocking":
        metrics.query_cache.labels("hit" if cached is not None else "miss").inc()
    if cached is not None:
        age = timezone.now() - cached.last_refresh
        fresh_for = (
            LAZY_FRESH_FOR if mode == "lazy_async" else timedelta(seconds=settings.QUERY_CACHE_SECONDS)
        )
        answer = {**cached.response, "is_cached": True, "cache_key": key}
        if age <= fresh_for or mode == "force_cache":
            return {**answer, "query_status": statuses.running_status(team, query_id or key)}
        if mode in ASYNC_MODES:
            return {**answer, "query_status": start_background(team, source_id, sql, key, query_id)}
    elif mode == "force_cache":
        return {"cache_key": key, "query_status": statuses.running_status(team, query_id or key)}
    elif mode in ASYNC_MODES:
        return {"cache_key": key, "query_status": start_background(team, source_id, sql, key, query_id)}
    return compute_waiting(team, target, checked, sql, key, slot_wait)


def compute_waiting(
    team: Team, target: Target, checked: sqlcheck.Checked, sql: str, key: str, slot_wait: float
) -> dict:
    """`compute`, waiting up to `slot_wait` seconds for one of the environment's slots. Threads of this
    process queue on a local semaphore first (woken as a query of theirs ends), so only as many of them as
    there are slots compete for the shared ones."""
    if not slot_wait:
        return compute(team, target, checked, sql, key)
    deadline = time.monotonic() + slot_wait
    local = _local_slots(team.id)
    if not local.acquire(timeout=slot_wait):
        raise TooManyQueries(RETRY_AFTER_SECONDS)
    try:
        while True:
            try:
                return compute(team, target, checked, sql, key)
            except TooManyQueries:
                if time.monotonic() >= deadline:
                    raise
                # Slots held by other processes free as their queries end: nothing to wait on but the clock.
                time.sleep(random.uniform(0.005, 0.05))
    finally:
        local.release()


_local_slot_semaphores: dict[int, threading.BoundedSemaphore] = {}
_local_slots_lock = threading.Lock()


def _local_slots(team_id: int) -> threading.BoundedSemaphore:
    with _local_slots_lock:
        if team_id not in _local_slot_semaphores:
            _local_slot_semaphores[team_id] = threading.BoundedSemaphore(MAX_RUNNING_PER_ENVIRONMENT)
        return _local_slot_semaphores[team_id]


def compute(team: Team, target: Target, checked: sqlcheck.Checked, sql: str, key: str) -> dict:
    started = time.perf_counter()
    with running_slot(team), metrics.provider_call(target.kind):
        result = runner(target.kind).run(target, checked.sql, settings.QUERY_TIMEOUT, MAX_RESULT_BYTES)
    elapsed = time.perf_counter() - started
    metrics.query_duration.labels(target.kind).observe(elapsed)
    rows = result.rows
    has_more = checked.probe and len(rows) > checked.limit
    now = timezone.now()
    response = {
        "results": rows[: checked.limit] if checked.probe else rows,
        "columns": result.columns,
        "types": result.types,
        "hasMore": has_more,
        "limit": checked.limit,
        "offset": checked.offset,
        "query": sql,
        "hogql": checked.sql,
        "timings": [{"k": "./execute", "t": round(elapsed, 6)}],
        "error": None,
        "modifiers": {},
        "query_status": None,
        "timezone": "UTC",
        "is_cached": False,
        "cache_key": key,
        "last_refresh": now.isoformat(),
        "next_allowed_client_refresh": now.isoformat(),
    }
    _store(key, team, response, now)
    return response


def start_background(team: Team, source_id, sql: str, key: str, query_id: str | None) -> dict:
    """Starts (or joins) the background computation of `key` and answers its status."""
    task, new = statuses.enqueue(team, source_id, sql, key, query_id)
    if new:
        # After the commit: a worker on another connection must see the task it is handed.
        transaction.on_commit(lambda: _hand_over(task))
    return statuses.status_of(task)


def _hand_over(task: QueryTask) -> None:
    if settings.BROKER_URL:
        # Imported here: Celery is a heavy library that only processes with a broker need.
        from burrow.core.workers import app as celery_app

        try:
            # By name (the task module imports this one); no retries: a dead broker fails the task at once.
            celery_app.send_task(COMPUTE_TASK, args=[task.pk], retry=False)
        except Exception:
            logger.exception("broker unavailable", extra={"team": task.team_id, "query_id": task.query_id})
            statuses.finish(task, QueryTask.Status.ERROR, "The broker at BURROW_BROKER_URL is unreachable.")
        return
    future = _background.submit(_run_in_thread, task.pk)
    with _background_lock:
        _background_running.add(future)
    future.add_done_callback(_forget)


COMPUTE_TASK = "burrow.queries.compute"
# Without a broker, background computations run in a small pool of this process.
_background = ThreadPoolExecutor(max_workers=2, thread_name_prefix="burrow-query")
_background_running: set[Future] = set()
_background_lock = threading.Lock()


def _forget(future: Future) -> None:
    with _background_lock:
        _background_running.discard(future)


def _run_in_thread(task_pk: int) -> None:
    try:
        run_task(task_pk)
    finally:
        connection.close()  # this thread's own


def wait_for_background(timeout: float = 30) -> None:
    """Waits for the background computations this process started (tests, and graceful shutdowns)."""
    with _background_lock:
        pending = list(_background_running)
    wait(pending, timeout=timeout)


def run_task(task_pk: int) -> None:
    """Runs a queued background computation (in a worker or this process's pool) and records how it ended;
    while the environment's slots are all taken it waits for one, a while."""
    task = statuses.pick_up(task_pk)
    if task is None:
        return  # cancelled, or another worker has it
    try:
        target = target_for(task.team, task.data_source_id)
        checked = sqlcheck.check(task.sql, target.kind)
        key = cache_key(target, checked)
        compute_waiting(task.team, target, checked, task.sql, key, statuses.SLOT_WAIT_SECONDS)
    except TooManyQueries as busy:
        statuses.finish(task, QueryTask.Status.ERROR, str(busy))
    except QueryError as error:
        statuses.finish(task, QueryTask.Status.ERROR, error.message)
    except Exception:  # a background computation must end with a status, never silently
        logger.exception("background query crashed", extra={"team": task.team_id, "query_id": task.query_id})
        statuses.finish(
            task, QueryTask.Status.ERROR, "The query failed unexpectedly; the server log has why."
        )
    else:
        statuses.finish(task, QueryTask.Status.COMPLETE, cache_key=key)


def _store(key: str, team: Team, response: dict, now) -> None:
    # One statement (an upsert), so concurrent processes storing the same key never collide.
    QueryResult.objects.bulk_create(
        [QueryResult(cache_key=key, team=team, response=response, last_refresh=now)],
        update_conflicts=True,
        unique_fields=["cache_key"],
        update_fields=["response", "last_refresh", "team"],
    )
    if _cleanup_due(team.id):
        QueryResult.objects.filter(team=team, last_refresh__lt=now - STALE_RESULTS_KEPT).delete()


# Answers older than a day are deleted by the next store of their environment, at most every few minutes per
# process: a delete per computed query was a round trip that almost always found nothing.
CLEANUP_EVERY_SECONDS = 300
_last_cleanup: dict[int, float] = {}
_cleanup_lock = threading.Lock()


def _cleanup_due(team_id: int) -> bool:
    now = time.monotonic()
    with _cleanup_lock:
        if now - _last_cleanup.get(team_id, -CLEANUP_EVERY_SECONDS) < CLEANUP_EVERY_SECONDS:
            return False
        _last_cleanup[team_id] = now
        return True


_TAKE_SLOT = """
    INSERT INTO queries_runningquery (team_id, slot, expires_at)
    SELECT %s, slots.slot, %s FROM ({slots}) AS slots
    WHERE slots.slot NOT IN (SELECT slot FROM queries_runningquery WHERE team_id = %s)
    ORDER BY slots.slot LIMIT 1
    ON CONFLICT DO NOTHING
    RETURNING id
"""


def _take_slot(team: Team, expires) -> int | None:
    """The id of a free slot just taken, in one statement; None when all are taken (or a concurrent query
    took the one chosen)."""
    slots = " UNION ALL ".join(f"SELECT {n} AS slot" for n in range(MAX_RUNNING_PER_ENVIRONMENT))
    with connection.cursor() as cursor:
        cursor.execute(_TAKE_SLOT.format(slots=slots), [team.id, expires, team.id])
        row = cursor.fetchone()
    return row[0] if row else None


@contextmanager
def running_slot(team: Team):
    """Holds one of the environment's slots while a query runs; TooManyQueries when all are taken. A slot
    is a row (unique per environment and number), so every process sees the same count; a slot whose
    process died frees itself when it expires."""
    now = timezone.now()
    expires = now + timedelta(seconds=settings.QUERY_TIMEOUT + 60)
    taken = _take_slot(team, expires)
    if taken is None:
        RunningQuery.objects.filter(team=team, expires_at__lt=now).delete()
        # None also means a query starting at the same moment took the slot this one chose: try again while
        # a slot is free (each lost race is another query's win, so this ends within the number of slots).
        for _ in range(MAX_RUNNING_PER_ENVIRONMENT):
            taken = _take_slot(team, expires)
            if (
                taken is not None
                or RunningQuery.objects.filter(team=team).count() >= MAX_RUNNING_PER_ENVIRONMENT
            ):
                break
    if taken is None:
        raise TooManyQueries(RETRY_AFTER_SECONDS)
    try:
        yield
    finally:
        RunningQuery.objects.filter(id=taken).delete()
