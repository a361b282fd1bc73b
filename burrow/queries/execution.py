"""Running one query for the query API: check it, answer from the shared cache when the refresh mode
allows, else run it in one of the environment's slots and cache the answer. Shaped as the reference's
`HogQLQueryResponse`."""

import hashlib
import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from burrow.core.models import Team
from burrow.queries import sqlcheck
from burrow.queries.errors import QueryError, TooManyQueries
from burrow.queries.models import QueryResult, RunningQuery
from burrow.queries.runners import runner
from burrow.queries.runners.base import MAX_RESULT_BYTES
from burrow.queries.sources import Target, target_for

MAX_RUNNING_PER_ENVIRONMENT = 4
RETRY_AFTER_SECONDS = 1
logger = logging.getLogger(__name__)

REFRESH_MODES = ("blocking", "force_blocking", "lazy_async", "async", "force_async")
STALE_RESULTS_KEPT = timedelta(days=1)


def refresh_mode(value) -> str:
    """The reference also takes `true` (recompute) and `false`/absent (use the cache)."""
    if value is None or value is False:
        return "blocking"
    if value is True:
        return "force_blocking"
    if value not in REFRESH_MODES:
        raise QueryError(f"refresh must be one of {', '.join(REFRESH_MODES)}.")
    return value


def cache_key(target: Target, checked: sqlcheck.Checked) -> str:
    material = "\x00".join([target.identity, checked.sql, str(checked.limit)])
    return "query_" + hashlib.sha256(material.encode()).hexdigest()[:48]


def run_query(team: Team, sql: str, *, source_id=None, refresh="blocking") -> dict:
    """The answer per the refresh mode: `blocking` answers a fresh cached answer, else computes;
    `force_blocking` computes; `lazy_async` answers any cached answer, else computes; `async` answers any cached
    answer and refreshes a stale one in the background; `force_async` answers any cached answer and always
    refreshes it in the background. Without a cached answer every mode computes in the request."""
    mode = refresh_mode(refresh)
    target = target_for(team, source_id)
    checked = sqlcheck.check(sql, target.kind)
    key = cache_key(target, checked)
    cached = (
        None if mode == "force_blocking" else QueryResult.objects.filter(cache_key=key, team=team).first()
    )
    if cached is not None:
        fresh = cached.last_refresh >= timezone.now() - timedelta(seconds=settings.QUERY_CACHE_SECONDS)
        if mode == "force_async" or (mode == "async" and not fresh):
            _refresh_in_background(team, target, checked, sql, key)
        if fresh or mode != "blocking":
            return {**cached.response, "is_cached": True, "cache_key": key}
    return _compute(team, target, checked, sql, key)


def _compute(team: Team, target: Target, checked: sqlcheck.Checked, sql: str, key: str) -> dict:
    started = time.perf_counter()
    with running_slot(team):
        result = runner(target.kind).run(target, checked.sql, settings.QUERY_TIMEOUT, MAX_RESULT_BYTES)
    elapsed = time.perf_counter() - started
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


# Background refreshes of the async modes: a small pool per process, one refresh per cache key at a time.
_refresher = ThreadPoolExecutor(max_workers=2, thread_name_prefix="burrow-query-refresh")
_refreshing: dict[str, Future] = {}
_refreshing_lock = threading.Lock()


def _refresh_in_background(team: Team, target: Target, checked: sqlcheck.Checked, sql: str, key: str) -> None:
    with _refreshing_lock:
        if key in _refreshing:
            return
        _refreshing[key] = _refresher.submit(_refresh, team, target, checked, sql, key)


def _refresh(team: Team, target: Target, checked: sqlcheck.Checked, sql: str, key: str) -> None:
    try:
        _compute(team, target, checked, sql, key)
    except (QueryError, TooManyQueries) as error:
        # The cached answer stays; the next request in an async mode tries again.
        logger.info("background query refresh failed: %s", error, extra={"team": team.id, "cache_key": key})
    except Exception:  # a refresh thread must never die silently
        logger.exception("background query refresh crashed", extra={"team": team.id, "cache_key": key})
    finally:
        with _refreshing_lock:
            _refreshing.pop(key, None)
        connection.close()  # this thread's own connection


def wait_for_refreshes(timeout: float = 30) -> None:
    """Waits for the background refreshes started so far (tests, and graceful shutdowns)."""
    with _refreshing_lock:
        pending = list(_refreshing.values())
    wait(pending, timeout=timeout)


def _store(key: str, team: Team, response: dict, now) -> None:
    # One statement (an upsert), so concurrent processes storing the same key never collide.
    QueryResult.objects.bulk_create(
        [QueryResult(cache_key=key, team=team, response=response, last_refresh=now)],
        update_conflicts=True,
        unique_fields=["cache_key"],
        update_fields=["response", "last_refresh", "team"],
    )
    QueryResult.objects.filter(team=team, last_refresh__lt=now - STALE_RESULTS_KEPT).delete()


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
        taken = _take_slot(team, expires)
    if taken is None:
        raise TooManyQueries(RETRY_AFTER_SECONDS)
    try:
        yield
    finally:
        RunningQuery.objects.filter(id=taken).delete()
