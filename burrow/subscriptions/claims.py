"""The scheduler's claims: the compare-and-set queries that claim due subscriptions (one delivery per slot)
and take queued, retry-due and lease-expired deliveries, each once however many schedulers race. They are
plain UPDATEs checked by the rows they return, so they work on every database; on PostgreSQL a batch also
skips the rows another scheduler holds (`FOR UPDATE SKIP LOCKED`)."""

import functools
import json
import logging
import uuid
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime
from types import SimpleNamespace

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet, TextField
from django.db.models.functions import Cast

from burrow.subscriptions.models import Subscription, SubscriptionDelivery
from burrow.subscriptions.rules import lease_deadline
from burrow.subscriptions.schedule import RRULE_FIELDS, Schedule

# The scheduler's logger: these lines are part of its tick.
logger = logging.getLogger("burrow.scheduler")

# Timestamps are read as text: the database driver's timezone-aware datetime loader is Python code and
# cost more than the rest of the scan; `datetime.fromisoformat` is C.
_CLAIM_TIMESTAMPS = ("next_delivery_date", "start_date", "until_date")
_CLAIM_FIELDS = (
    "id",
    "team_id",
    "target_type",
    "target_value",
    *(f for f in RRULE_FIELDS if f not in _CLAIM_TIMESTAMPS),
    "insight__deleted",
    "dashboard__deleted",
)
# The batch INSERT: columns that differ per row (their PostgreSQL types), then those every row shares.
_DELIVERY_ROW_COLUMNS = (
    ("subscription_id", "bigint"),
    ("team_id", "bigint"),
    ("idempotency_key", "text"),
    ("scheduled_at", "timestamptz"),
    ("target_type", "text"),
    ("target_value", "text"),
)
_DELIVERY_SHARED_COLUMNS = (
    ("trigger_type", "text"),
    ("content_snapshot", "jsonb"),
    ("recipient_results", "jsonb"),
    ("status", "text"),
    ("attempts", "integer"),
    ("lease_expires_at", "timestamptz"),
    ("created_at", "timestamptz"),
    ("last_updated_at", "timestamptz"),
)


def _slots(row: dict, now: datetime) -> tuple[datetime, datetime | None]:
    """(slot to deliver, next future slot): the latest slot due by now, so missed slots are sent once."""
    old = row["next_delivery_date"]
    schedule = Schedule.of(SimpleNamespace(**row))
    if schedule.count is None and old >= schedule.start_date:
        # `old` is an occurrence, so the rule restarted there yields the same later slots; dateutil walks
        # from dtstart, and a year-old daily rule would otherwise cost ~1.5 ms per subscription. It also
        # makes subscriptions with the same rule and slot share one answer (see _slots_of).
        schedule = replace(schedule, start_date=old)
    return _slots_of(schedule, old, now)


@functools.lru_cache(maxsize=4096)
def _slots_of(schedule: Schedule, old: datetime, now: datetime) -> tuple[datetime, datetime | None]:
    # Reports cluster on a few slots (every daily 9:00 report is due in the same tick), so a tick of
    # thousands of due rows builds only a handful of rules.
    rule = schedule.rule()
    following = rule.after(old, inc=False)
    if following is None or following > now:
        return old, following
    return rule.before(now, inc=True) or old, rule.after(now, inc=False)


def _rows_source(types: tuple[str, ...], rows: list[tuple]) -> tuple[str, list]:
    """A row source for `rows`, usable as `SELECT … FROM (<source>) AS v` or `WITH v AS (<source>)`.

    On PostgreSQL the batch travels as one JSON document: a VALUES list of 500 rows × 6 columns has
    3,000 placeholders, and psycopg's client-side quoting of those (or of one array per column) cost more
    than the database spends running the statement; `json.dumps` is C."""
    if connection.vendor == "postgresql":
        columns = ", ".join(f"(e->>{i})::{t}" for i, t in enumerate(types))
        document = json.dumps([[_json_value(v) for v in row] for row in rows])
        return f"SELECT {columns} FROM jsonb_array_elements(%s::jsonb) AS e", [document]
    row = "(" + ", ".join(["%s"] * len(types)) + ")"
    return "VALUES " + ", ".join([row] * len(rows)), [p for r in rows for p in r]


def _json_value(value: object) -> object:
    return value.isoformat() if isinstance(value, datetime) else value


def _compare_and_set(moves: list[tuple[int, datetime, datetime | None]]) -> set[int]:
    """Moves each `next_delivery_date` from old to new only where it still holds old; returns the winners."""
    if not moves:
        return set()
    table = connection.ops.quote_name(Subscription._meta.db_table)
    adapt = connection.ops.adapt_datetimefield_value
    source, params = _rows_source(
        ("bigint", "timestamptz", "timestamptz"),
        [(sub_id, adapt(old), adapt(new) if new else None) for sub_id, old, new in moves],
    )
    sql = (
        f"WITH v(id, old, new) AS ({source}) "
        f"UPDATE {table} SET next_delivery_date = v.new FROM v "
        f"WHERE {table}.id = v.id AND {table}.next_delivery_date = v.old RETURNING {table}.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {r[0] for r in cursor.fetchall()}


def _insert_deliveries(rows: list[dict], now: datetime) -> list[str]:
    """One INSERT for the batch, returning the new delivery ids; a slot that already has its delivery
    (unique key) is left alone."""
    if not rows:
        return []
    quote = connection.ops.quote_name
    adapt = connection.ops.adapt_datetimefield_value
    values = [
        (
            row["id"],
            row["team_id"],
            f"scheduled:{row['id']}:{row['slot'].isoformat()}",
            adapt(row["slot"]),
            row["target_type"],
            row["target_value"],
        )
        for row in rows
    ]
    source, params = _rows_source(tuple(t for _, t in _DELIVERY_ROW_COLUMNS), values)
    postgres = connection.vendor == "postgresql"
    # SQLite stores UUIDs as 32 hex digits.
    new_id = "gen_random_uuid()" if postgres else "lower(hex(randomblob(16)))"
    names = ("id", *(c for c, _ in _DELIVERY_ROW_COLUMNS), *(c for c, _ in _DELIVERY_SHARED_COLUMNS))
    columns = ", ".join(quote(c) for c in names)
    lease = adapt(lease_deadline(now))
    shared = [
        SubscriptionDelivery.Trigger.SCHEDULED.value,
        "{}",
        "[]",
        SubscriptionDelivery.Status.STARTING.value,
        0,
        lease,
        adapt(now),
        adapt(now),
    ]
    placeholders = ", ".join(f"%s::{t}" if postgres else "%s" for _, t in _DELIVERY_SHARED_COLUMNS)
    sql = (
        f"INSERT INTO {quote(SubscriptionDelivery._meta.db_table)} ({columns}) "
        f"SELECT {new_id}, v.*, {placeholders} FROM ({source}) AS v WHERE true "
        f"ON CONFLICT (idempotency_key) DO NOTHING RETURNING id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*shared, *params])
        return [str(uuid.UUID(str(r[0]))) for r in cursor.fetchall()]


def _due_batch(now: datetime, size: int) -> list[dict]:
    due = Subscription.objects.filter(next_delivery_date__lte=now, deleted=False, enabled=True).order_by(
        "next_delivery_date"
    )
    if connection.features.has_select_for_update_skip_locked:
        due = due.select_for_update(skip_locked=True, of=("self",))
    as_text = {f"text_{name}": Cast(name, TextField()) for name in _CLAIM_TIMESTAMPS}
    rows = list(due.values(*_CLAIM_FIELDS, **as_text)[:size])
    for row in rows:
        for name in _CLAIM_TIMESTAMPS:
            row[name] = _timestamp(row.pop(f"text_{name}"))
    return rows


def _timestamp(text: str | None) -> datetime | None:
    if text is None:
        return None
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)  # SQLite keeps UTC without an offset


def claim_batch(now: datetime, size: int) -> tuple[list[str], int, int]:
    """Claims up to `size` due subscriptions: (delivery ids, rows seen, rows skipped)."""
    with transaction.atomic():
        rows = _due_batch(now, size)
        for row in rows:
            try:
                row["slot"], row["next"] = _slots(row, now)
            except (ValueError, OverflowError, TypeError, KeyError):
                # A rule that cannot be computed must not stall the rows behind it: it stops here.
                logger.exception("subscription schedule failed", extra={"subscription_id": row["id"]})
                row["slot"], row["next"] = None, None
        won = _compare_and_set([(r["id"], r["next_delivery_date"], r["next"]) for r in rows])
        claimed = [r for r in rows if r["id"] in won]
        # A subscription whose insight or dashboard was deleted moves on without a delivery.
        live = [
            r
            for r in claimed
            if r["slot"] is not None and not r["insight__deleted"] and not r["dashboard__deleted"]
        ]
        ids = _insert_deliveries(live, now)
    return ids, len(rows), len(claimed) - len(live)


def claim_queued(now: datetime, size: int, ids: Iterable[str] | None = None) -> list[str]:
    """Takes up to `size` queued deliveries (only `ids`, when given) out of the queue and opens each to one
    worker's claim; returns those taken. A delivery is taken once, however many takers race."""
    queued = SubscriptionDelivery.objects.filter(queued_at__isnull=False)
    if ids is not None:
        queued = queued.filter(id__in=list(ids))
    return _take(queued.order_by("queued_at"), "queued_at", now, size, due=False)


def take_retries(now: datetime, size: int) -> list[str]:
    """Takes up to `size` deliveries whose retry is due and opens each to one worker's claim; each is taken
    once, however many schedulers race (the pool that put one back may also claim it: one of them runs it)."""
    due = SubscriptionDelivery.objects.filter(retry_at__isnull=False, retry_at__lte=now).order_by("retry_at")
    return _take(due, "retry_at", now, size, due=True)


def _take(waiting: QuerySet, column: str, now: datetime, size: int, due: bool) -> list[str]:
    """Moves up to `size` rows of `waiting` out of their wait with a compare-and-set on `column` (still set;
    with `due`, not later than `now`), opening each to one worker's claim under a fresh lease; returns the
    ids taken."""
    with transaction.atomic():
        if connection.features.has_select_for_update_skip_locked:
            waiting = waiting.select_for_update(skip_locked=True)
        pk = SubscriptionDelivery._meta.pk
        candidates = [
            pk.get_db_prep_value(i, connection) for i in waiting.values_list("id", flat=True)[:size]
        ]
        if not candidates:
            return []
        table = connection.ops.quote_name(SubscriptionDelivery._meta.db_table)
        adapt = connection.ops.adapt_datetimefield_value
        lease = adapt(lease_deadline(now))
        sql = (
            f"UPDATE {table} SET {column} = NULL, claimable = %s, lease_expires_at = %s "
            f"WHERE id IN ({', '.join(['%s'] * len(candidates))}) "
            f"AND {column} {'<= %s' if due else 'IS NOT NULL'} RETURNING id"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [True, lease, *candidates, *([adapt(now)] if due else [])])
            return [str(uuid.UUID(str(r[0]))) for r in cursor.fetchall()]


def recover_expired(now: datetime, size: int) -> list[str]:
    """Hands out again deliveries still `starting` after their lease (their worker died, or the hand-over
    was lost); one that has already been started DELIVERY_MAX_RUNS times is given up as failed, so a
    delivery that kills its process is not retried forever. Queued deliveries are the queue's, and those
    waiting for a retry hold no lease."""
    return take_expired(expired_leases(now, size), now)


def expired_leases(now: datetime, size: int) -> list[tuple]:
    """(id, lease, attempts) of up to `size` deliveries whose lease ran out, oldest lease first."""
    # In the order of delivery_starting_lease_idx (not the model's -created_at).
    expired = SubscriptionDelivery.objects.filter(
        status=SubscriptionDelivery.Status.STARTING, lease_expires_at__lt=now, queued_at=None
    ).order_by("lease_expires_at")
    return list(expired.values_list("id", "lease_expires_at", "attempts")[:size])


def take_expired(expired: list[tuple], now: datetime) -> list[str]:
    """Takes over what `expired_leases` saw, each row with a compare-and-set on the lease it saw: of two
    schedulers holding the same snapshot, one takes each delivery."""
    Status = SubscriptionDelivery.Status
    lease = lease_deadline(now)
    taken = []
    for delivery_id, old, attempts in expired:
        rows = SubscriptionDelivery.objects.filter(
            id=delivery_id, status=Status.STARTING, lease_expires_at=old
        )
        if attempts >= settings.DELIVERY_MAX_RUNS:
            gave_up = {
                "message": f"Gave up after {attempts} attempts: the process running it stopped every time.",
                "type": "gave_up",
            }
            if rows.update(status=Status.FAILED, error=gave_up, finished_at=now, lease_expires_at=None):
                logger.error(
                    "delivery given up", extra={"delivery_id": str(delivery_id), "attempts": attempts}
                )
        elif rows.update(lease_expires_at=lease, claimable=True):
            taken.append(str(delivery_id))
    return taken
