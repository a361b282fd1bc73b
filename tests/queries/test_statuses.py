"""The rows behind the query API's background computations (burrow/queries/statuses.py): ids, reuse and
restart, the claim a worker takes once, how a run ends, lost runs, and every step scoped to its environment."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from burrow.queries import statuses
from burrow.queries.models import QueryResult, QueryTask

pytestmark = pytest.mark.django_db
SOURCE = uuid.uuid4()


def queued(tenant, query_id="q", **fields):
    task, new = statuses.enqueue(tenant.team, SOURCE, "SELECT 1", "query_key", query_id)
    assert new
    if fields:
        QueryTask.objects.filter(pk=task.pk).update(**fields)
        task.refresh_from_db()
    return task


def test_a_new_task_keeps_what_it_runs_and_expires_in_a_day(tenant):
    task = queued(tenant)
    assert (task.query_id, task.cache_key, task.sql, task.data_source_id) == (
        "q",
        "query_key",
        "SELECT 1",
        SOURCE,
    )
    assert task.status == "queued" and task.expires_at > timezone.now() + timedelta(hours=23)
    keyed, _ = statuses.enqueue(tenant.team, None, "SELECT 2", "other_key", None)
    assert keyed.query_id == "other_key"  # without a client id, the cache key names it


def test_expired_tasks_are_swept_only_in_their_own_environment(tenant, other_tenant):
    mine = queued(tenant, "old", expires_at=timezone.now() - timedelta(seconds=1))
    theirs = queued(other_tenant, "old", expires_at=timezone.now() - timedelta(seconds=1))
    kept = queued(tenant, "current")
    statuses.enqueue(tenant.team, None, "SELECT 3", "k3", "new")
    remaining = set(QueryTask.objects.values_list("pk", flat=True))
    assert mine.pk not in remaining and {theirs.pk, kept.pk} <= remaining


def test_an_unfinished_task_is_joined_and_a_finished_one_starts_afresh(tenant):
    task = queued(tenant)
    again, new = statuses.enqueue(tenant.team, SOURCE, "SELECT 1", "query_key", "q")
    assert again.pk == task.pk and not new
    bystander = queued(tenant, "other")
    statuses.finish(bystander, QueryTask.Status.ERROR, "also failed")
    statuses.finish(task, QueryTask.Status.ERROR, "boom")
    QueryTask.objects.filter(pk=task.pk).update(picked_up_at=timezone.now())
    restarted, new = statuses.enqueue(tenant.team, None, "SELECT 9", "new_key", "q")
    assert new and restarted.pk == task.pk
    assert (restarted.status, restarted.error_message, restarted.picked_up_at, restarted.finished_at) == (
        "queued",
        None,
        None,
        None,
    )
    assert (restarted.sql, restarted.cache_key, restarted.data_source_id) == ("SELECT 9", "new_key", None)
    untouched = QueryTask.objects.get(pk=bystander.pk)  # only that task restarted
    assert (untouched.sql, untouched.status) == ("SELECT 1", "error")


def test_a_worker_claims_a_task_once_and_only_that_task(tenant):
    task, other = queued(tenant, "a"), queued(tenant, "b")
    claimed = statuses.pick_up(task.pk)
    assert claimed.pk == task.pk and claimed.status == "running" and claimed.picked_up_at
    assert claimed.team.id == tenant.team.id
    assert statuses.pick_up(task.pk) is None
    assert QueryTask.objects.get(pk=other.pk).status == "queued"


def test_finishing_records_the_end_of_that_task_only_and_never_revives_a_finished_one(tenant):
    task, other = queued(tenant, "a"), queued(tenant, "b")
    statuses.finish(task, QueryTask.Status.COMPLETE, cache_key="answer_key")
    done = QueryTask.objects.get(pk=task.pk)
    assert (done.status, done.cache_key, done.error_message) == (
        "complete",
        "answer_key",
        None,
    ) and done.finished_at
    assert QueryTask.objects.get(pk=other.pk).status == "queued"
    statuses.finish(done, QueryTask.Status.ERROR, "late")
    assert QueryTask.objects.get(pk=task.pk).status == "complete"


@pytest.mark.parametrize(
    "picked_up, says",
    [
        (False, "No worker picked the query up; check that `burrow worker` runs beside BURROW_BROKER_URL."),
        (True, "The query stopped with the process running it; run it again."),
    ],
)
def test_a_task_older_than_any_query_may_take_is_lost_saying_why(tenant, settings, picked_up, says):
    settings.QUERY_TIMEOUT = 1
    limit = timedelta(seconds=1 + statuses.SLOT_WAIT_SECONDS + 60)
    assert statuses._waits_at_most() == limit  # a minute for a slot, the query's own time, a minute's grace
    long_ago = timezone.now() - limit - timedelta(seconds=5)
    fields = {"picked_up_at": long_ago, "status": "running"} if picked_up else {"created_at": long_ago}
    queued(tenant, "lost", **fields)
    recent = queued(tenant, "recent", created_at=timezone.now() - limit + timedelta(seconds=30))
    lost = statuses.find(tenant.team, "lost")
    assert lost.status == "error" and lost.error_message == says
    assert statuses.find(tenant.team, "recent").status == recent.status == "queued"


def test_the_status_of_a_running_task_and_of_nothing_else(tenant, other_tenant):
    task = queued(tenant, "q")
    assert statuses.running_status(tenant.team, "q")["id"] == "q"
    assert statuses.running_status(other_tenant.team, "q") is None
    assert statuses.find(other_tenant.team, "q") is None
    statuses.finish(task, QueryTask.Status.COMPLETE)
    assert statuses.running_status(tenant.team, "q") is None


def test_a_status_is_the_references_query_status_with_its_own_answer(tenant):
    now = timezone.now()
    QueryResult.objects.create(
        team=tenant.team,
        cache_key="query_key",
        response={"results": [[1]], "is_cached": True},
        last_refresh=now,
    )
    QueryResult.objects.create(
        team=tenant.team, cache_key="other_key", response={"results": [[2]]}, last_refresh=now
    )
    task = queued(tenant, "q", picked_up_at=now, status="running")
    running = statuses.status_of(task)
    assert running == {
        "id": "q",
        "team_id": tenant.team.id,
        "insight_id": None,
        "dashboard_id": None,
        "query_async": True,
        "complete": False,
        "error": False,
        "error_message": None,
        "results": None,
        "start_time": task.created_at.isoformat(),
        "pickup_time": now.isoformat(),
        "end_time": None,
        "expiration_time": task.expires_at.isoformat(),
        "task_id": str(task.pk),
        "query_progress": None,
        "labels": None,
    }
    statuses.finish(task, QueryTask.Status.COMPLETE)
    done = statuses.status_of(QueryTask.objects.get(pk=task.pk))
    assert done["complete"] is True and done["error"] is False and done["end_time"]
    assert done["results"] == {"results": [[1]], "is_cached": False}  # computed for this request, not cached
    QueryResult.objects.filter(cache_key="query_key").delete()  # evicted since
    assert statuses.status_of(QueryTask.objects.get(pk=task.pk))["results"] is None
