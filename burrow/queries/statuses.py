"""Background computations of the query API's async refresh modes, as the reference's query status: a row per
computation (`QueryTask`), its id the client's `client_query_id` or else the cache key, so identical queries
share one computation. Polled at `GET …/query/:id/`, cancelled at `DELETE …/query/:id/`. What runs a task is
burrow.queries.execution; this module keeps the rows."""

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from burrow.core.models import Team
from burrow.core.prepared import PreparedQuery
from burrow.queries.models import QueryResult, QueryTask

KEPT_FOR = timedelta(days=1)
UNFINISHED = (QueryTask.Status.QUEUED, QueryTask.Status.RUNNING)
# Waiting for one of the environment's query slots, before a task gives up.
SLOT_WAIT_SECONDS = 60


def _waits_at_most() -> timedelta:
    """How long a task may sit queued, or run, before it counts as lost with its process."""
    return timedelta(seconds=settings.QUERY_TIMEOUT + SLOT_WAIT_SECONDS + 60)


def enqueue(team: Team, source_id, sql: str, key: str, query_id: str | None) -> tuple[QueryTask, bool]:
    """The task under `query_id` (default: the cache key) and whether it is new and must be handed to a
    worker; a task of that id still queued or running is reused, a finished or lost one starts again."""
    now = timezone.now()
    query_id = query_id or key
    QueryTask.objects.filter(team=team, expires_at__lt=now).delete()
    fields = dict(
        cache_key=key,
        sql=sql,
        data_source_id=source_id,
        status=QueryTask.Status.QUEUED,
        error_message=None,
        created_at=now,
        picked_up_at=None,
        finished_at=None,
        expires_at=now + KEPT_FOR,
    )
    for _ in range(2):  # a concurrent request may create the same id in between: then take that one
        task = find(team, query_id)
        if task is not None and task.status in UNFINISHED:
            return task, False
        try:
            with transaction.atomic():
                if task is None:
                    return QueryTask.objects.create(team=team, query_id=query_id, **fields), True
                restarted = QueryTask.objects.filter(pk=task.pk, status=task.status).update(**fields)
            if restarted:
                task.refresh_from_db()
                return task, True
        except IntegrityError:
            pass
    return find(team, query_id), False


# Asked for every cached answer (its `query_status`): compiled once (burrow/core/prepared.py).
_TASK_BY_ID = PreparedQuery(
    lambda p: QueryTask.objects.filter(team_id=p.team, query_id=p.query_id).order_by("pk")[:1],
    team=int,
    query_id=str,
)


def find(team: Team, query_id: str) -> QueryTask | None:
    """The task of `team` under `query_id`; one queued or running for longer than any query may take is
    marked failed first (its process stopped, or no worker took it)."""
    task = _TASK_BY_ID.first(team=team.id, query_id=query_id)
    if task is not None and task.status in UNFINISHED:
        since = task.picked_up_at or task.created_at
        if timezone.now() - since > _waits_at_most():
            message = (
                "The query stopped with the process running it; run it again."
                if task.picked_up_at
                else "No worker picked the query up; check that `burrow worker` runs beside BURROW_BROKER_URL."
            )
            finish(task, QueryTask.Status.ERROR, message)
    return task


def running_status(team: Team, query_id: str) -> dict | None:
    """The status of an unfinished task under `query_id`, else None (a cached answer's `query_status`)."""
    task = find(team, query_id)
    return status_of(task) if task is not None and task.status in UNFINISHED else None


def pick_up(task_pk: int) -> QueryTask | None:
    """Claims a queued task for running (once, whatever number of workers got it)."""
    claimed = QueryTask.objects.filter(pk=task_pk, status=QueryTask.Status.QUEUED).update(
        status=QueryTask.Status.RUNNING, picked_up_at=timezone.now()
    )
    return QueryTask.objects.select_related("team").filter(pk=task_pk).first() if claimed else None


def finish(
    task: QueryTask, status: str, error_message: str | None = None, cache_key: str | None = None
) -> None:
    """Records how a running task ended; a task cancelled (deleted) meanwhile stays gone."""
    task.status, task.error_message, task.finished_at = status, error_message, timezone.now()
    task.cache_key = cache_key or task.cache_key
    QueryTask.objects.filter(pk=task.pk, status__in=UNFINISHED).update(
        status=status, error_message=error_message, finished_at=task.finished_at, cache_key=task.cache_key
    )


def cancel(task: QueryTask) -> None:
    """Forgets the task: a queued one never runs; a running one's answer is still cached when it ends, but
    its status is gone, as the reference answers for a cancelled query."""
    QueryTask.objects.filter(pk=task.pk).delete()


def status_of(task: QueryTask) -> dict:
    """The reference's `QueryStatus`; a complete one carries the answer in `results`."""
    complete = task.status not in UNFINISHED
    results = None
    if task.status == QueryTask.Status.COMPLETE:
        cached = QueryResult.objects.filter(team_id=task.team_id, cache_key=task.cache_key).first()
        results = {**cached.response, "is_cached": False} if cached else None
    return {
        "id": task.query_id,
        "team_id": task.team_id,
        "insight_id": None,
        "dashboard_id": None,
        "query_async": True,
        "complete": complete,
        "error": task.status == QueryTask.Status.ERROR,
        "error_message": task.error_message,
        "results": results,
        "start_time": _iso(task.created_at),
        "pickup_time": _iso(task.picked_up_at),
        "end_time": _iso(task.finished_at),
        "expiration_time": _iso(task.expires_at),
        "task_id": str(task.pk),
        "query_progress": None,
        "labels": None,
    }


def _iso(moment) -> str | None:
    return moment.isoformat() if moment else None
