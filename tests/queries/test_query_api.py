"""`POST /api/environments/:id/query/` on the embedded DuckDB warehouse: the reference's HogQLQueryResponse,
its row limits, the cache and its refresh modes, the concurrency bound, and every refusal a clear 4xx."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from burrow.queries import execution
from burrow.queries.execution import wait_for_background
from burrow.queries.models import QueryResult, QueryTask, RunningQuery
from burrow.queries.sources import embedded_path
from burrow.queries.warehouse import writing
from tests.devtools import port_open
from tests.helpers import error, wait_for
from tests.queries.conftest import fill_duckdb

pytestmark = pytest.mark.django_db

RESPONSE_FIELDS = {
    "results", "columns", "types", "hasMore", "limit", "offset", "query", "hogql", "timings", "error",
    "is_cached", "last_refresh", "cache_key",
}  # fmt: skip
DAILY = "SELECT day, sum(n) AS total FROM events GROUP BY day ORDER BY day"


def query(tenant, sql, route="environments", client=None, **extra):
    body = {"query": {"kind": "HogQLQuery", "query": sql}, **extra}
    return (client or tenant.client).post(tenant.url("query/", route), body, format="json")


def test_a_query_answers_the_reference_shape_with_rows_as_arrays(tenant, warehouse):
    response = query(tenant, DAILY, route="projects")
    assert response.status_code == 200, response.content
    answer = response.json()
    assert RESPONSE_FIELDS <= set(answer)
    assert answer["columns"] == ["day", "total"]
    assert answer["types"] == [["day", "DATE"], ["total", "HUGEINT"]]
    assert answer["results"][0] == ["2026-01-01", 6] and answer["results"][29] == ["2026-01-30", 180]
    assert answer["hasMore"] is False and answer["limit"] == 100 and answer["offset"] == 0
    assert answer["error"] is None and answer["is_cached"] is False and answer["query"] == DAILY
    assert "LIMIT 101" in answer["hogql"]


def test_rows_stop_at_100_without_a_limit_and_at_50000_above_it(tenant, warehouse):
    default = query(tenant, "SELECT range AS i FROM range(250)").json()
    assert len(default["results"]) == 100 and default["hasMore"] is True and default["limit"] == 100
    own = query(tenant, "SELECT range AS i FROM range(250) LIMIT 120").json()
    assert len(own["results"]) == 120 and own["hasMore"] is False and own["limit"] == 120
    assert own["hogql"] == "SELECT range AS i FROM range(250) LIMIT 120"
    capped = query(tenant, "SELECT range AS i FROM range(60000) ORDER BY i LIMIT 60000").json()
    assert len(capped["results"]) == 50_000 and capped["hasMore"] is True and capped["limit"] == 50_000
    assert capped["results"][-1] == [49_999]


def test_blocking_answers_from_the_cache_and_force_blocking_recomputes(tenant, warehouse):
    first = query(tenant, DAILY).json()
    second = query(tenant, DAILY, refresh="blocking").json()
    assert second["is_cached"] is True and second["cache_key"] == first["cache_key"]
    assert second["results"] == first["results"] and second["last_refresh"] == first["last_refresh"]
    assert query(tenant, DAILY, refresh="async").json()["is_cached"] is True  # fresh: no refresh
    fill_duckdb(warehouse)  # unchanged data, but a forced refresh must run the query again
    forced = query(tenant, DAILY, refresh="force_blocking").json()
    assert forced["is_cached"] is False and forced["last_refresh"] != first["last_refresh"]
    assert QueryResult.objects.count() == 1
    assert "refresh must be one of" in error(query(tenant, DAILY, refresh="sometimes"))["detail"]


def test_the_cache_expires_after_query_cache_seconds(tenant, warehouse, settings):
    settings.QUERY_CACHE_SECONDS = 0
    query(tenant, DAILY)
    QueryResult.objects.update(last_refresh="2020-01-01T00:00:00Z")
    assert query(tenant, DAILY).json()["is_cached"] is False


@pytest.mark.parametrize(
    "sql, named",
    [
        ("DELETE FROM events", "DELETE"),
        ("CREATE TABLE x AS SELECT 1", "CREATE"),
        ("SELECT 1; SELECT 2", "Exactly one statement"),
        ("COPY events TO '/tmp/out.csv'", "COPY"),
        ("ATTACH '/tmp/other.duckdb' AS other", "ATTACH"),
        ("INSTALL httpfs", "INSTALL"),
        ("SELECT * FROM read_csv('/etc/passwd')", "read_csv()"),
        ("SELECT * FROM '/etc/passwd'", "/etc/passwd"),
        ("SELECT * FROM glob('/*')", "glob()"),
        ("SELECT path FROM duckdb_databases()", "duckdb_databases()"),
        ("PRAGMA version", "PRAGMA"),
        ("SET threads = 1", "SET"),
        ("SELECT FROM WHERE", "Syntax error"),
        ("", "This field may not be blank."),
    ],
)
def test_anything_but_one_select_of_the_sources_own_tables_is_refused(tenant, warehouse, sql, named):
    body = error(query(tenant, sql))
    assert named in body["detail"], body


def test_a_query_nested_too_deeply_to_parse_is_a_400(tenant, warehouse):
    body = error(query(tenant, "SELECT " + "(" * 5000 + "1" + ")" * 5000))
    assert body["code"] == "query_syntax_error"


def test_a_database_error_answers_400_with_the_databases_own_message(tenant, warehouse):
    body = error(query(tenant, "SELECT nope FROM events"))
    assert body["type"] == "validation_error" and 'column "nope"' in body["detail"]
    assert str(embedded_path(tenant.team.id)) not in body["detail"]


def test_a_query_running_longer_than_the_timeout_is_stopped(tenant, warehouse, settings):
    settings.QUERY_TIMEOUT = 0.5
    body = error(query(tenant, "SELECT count(*) FROM range(100000000000) t(i) WHERE i % 7 = 3"))
    assert body["code"] == "query_timeout" and "BURROW_QUERY_TIMEOUT" in body["detail"]
    assert not RunningQuery.objects.exists()


def test_a_result_larger_than_10_mb_is_refused(tenant, warehouse):
    body = error(query(tenant, "SELECT repeat('x', 1000000) AS big FROM range(20)"))
    assert body["code"] == "result_too_large"
    assert not QueryResult.objects.exists()


def test_a_fifth_concurrent_query_of_an_environment_waits_429(tenant, other_tenant, warehouse):
    later = timezone.now() + timedelta(minutes=5)
    for slot in range(4):
        RunningQuery.objects.create(team=tenant.team, slot=slot, expires_at=later)
    busy = query(tenant, DAILY)
    assert error(busy, 429)["type"] == "throttled_error" and busy["Retry-After"] == "1"
    assert query(other_tenant, "SELECT 1 AS one").status_code == 200  # others are unaffected
    RunningQuery.objects.filter(slot=3).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert query(tenant, DAILY).status_code == 200  # a slot its process left behind expires


def test_each_environment_reads_only_its_own_warehouse(tenant, other_tenant, warehouse):
    body = error(query(other_tenant, "SELECT count(*) FROM events"))
    assert "events" in body["detail"]
    other_path = embedded_path(tenant.team.id)
    assert error(query(other_tenant, f"SELECT * FROM read_parquet('{other_path}')"))


def test_an_unknown_data_source_and_another_tenants_source_are_refused(tenant, other_tenant, warehouse):
    source_id = tenant.client.post(tenant.url("data_sources/"), {"kind": "duckdb"}, format="json").json()[
        "id"
    ]
    body = error(query(other_tenant, "SELECT 1", data_source=source_id))
    assert body["attr"] == "data_source"
    assert query(tenant, "SELECT count(*) AS n FROM events", data_source=source_id).json()["results"] == [
        [90]
    ]


def test_the_query_api_needs_the_query_read_scope(tenant, warehouse, key_client):
    assert error(query(tenant, DAILY, client=key_client(["insight:read"])), 403)
    assert query(tenant, DAILY, client=key_client(["query:read"])).status_code == 200


def test_other_query_kinds_are_refused(tenant, warehouse):
    body = {"query": {"kind": "TrendsQuery", "series": []}}
    assert error(tenant.client.post(tenant.url("query/"), body, format="json"))["attr"] == "query__kind"


def status_of(tenant, query_id, client=None):
    return (client or tenant.client).get(tenant.url(f"query/{query_id}/"))


@pytest.mark.django_db(transaction=True)
def test_async_modes_answer_the_cache_and_refresh_it_in_the_background(tenant, warehouse):
    count = "SELECT count(*) AS n FROM events"
    assert query(tenant, count).json()["results"] == [[90]]
    with writing(warehouse) as connection:
        connection.execute("INSERT INTO events SELECT * FROM events")
    # Fresh: `async` and `lazy_async` answer the cache and start nothing.
    for mode in ("async", "lazy_async"):
        fresh = query(tenant, count, refresh=mode)
        assert fresh.status_code == 200 and fresh.json()["results"] == [[90]]
        assert fresh.json()["query_status"] is None
    assert not QueryTask.objects.exists()
    # Stale: `async` answers the stale answer with the status of the refresh it started (202)...
    QueryResult.objects.update(last_refresh="2020-01-01T00:00:00Z")
    stale = query(tenant, count, refresh="async")
    assert stale.status_code == 202, stale.content
    assert stale.json()["results"] == [[90]] and stale.json()["is_cached"] is True
    started = stale.json()["query_status"]
    assert started["id"] == stale.json()["cache_key"] and started["query_async"] is True
    wait_for_background()
    # ...which, polled, answers the new numbers; the cache has them too.
    done = status_of(tenant, started["id"])
    assert done.status_code == 200 and done.json()["query_status"]["complete"] is True
    assert done.json()["query_status"]["results"]["results"] == [[180]]
    assert query(tenant, count).json()["results"] == [[180]]
    # `lazy_async` takes an answer up to a day old without refreshing.
    QueryResult.objects.update(last_refresh=timezone.now() - timedelta(hours=20))
    with writing(warehouse) as connection:
        connection.execute("DELETE FROM events WHERE n > 10")
    assert query(tenant, count, refresh="lazy_async").json()["results"] == [[180]]


@pytest.mark.django_db(transaction=True)
def test_async_without_a_cached_answer_answers_a_status_to_poll(tenant, warehouse):
    miss = query(tenant, DAILY, refresh="async", client_query_id="my-query.1")
    assert miss.status_code == 202, miss.content
    body = miss.json()
    assert set(body) == {"cache_key", "query_status"}
    assert body["query_status"]["id"] == "my-query.1" and body["query_status"]["team_id"] == tenant.team.id
    wait_for_background()
    done = status_of(tenant, "my-query.1").json()["query_status"]
    assert done["complete"] is True and done["error"] is False and done["pickup_time"] and done["end_time"]
    assert done["results"]["columns"] == ["day", "total"] and len(done["results"]["results"]) == 30
    # `force_async` always computes in the background and answers only the status.
    forced = query(tenant, DAILY, refresh="force_async")
    assert forced.status_code == 202 and set(forced.json()) == {"query_status"}
    wait_for_background()
    assert status_of(tenant, forced.json()["query_status"]["id"]).status_code == 200
    # A finished computation is let go: the process keeps no future (nor its answer) of it.
    wait_for(lambda: not execution._background_running, timeout=10, what="finished computations let go")


@pytest.mark.django_db(transaction=True)
def test_a_failing_background_query_answers_400_with_the_databases_message(tenant, warehouse):
    failed = query(tenant, "SELECT nope FROM events", refresh="async", client_query_id="bad")
    assert failed.status_code == 202
    wait_for_background()
    answer = status_of(tenant, "bad")
    assert answer.status_code == 400
    state = answer.json()["query_status"]
    assert state["complete"] is True and state["error"] is True and 'column "nope"' in state["error_message"]


def test_a_query_status_is_its_environments_alone_and_can_be_cancelled(tenant, other_tenant, warehouse):
    # Not handed to a worker (this test's transaction never commits): it stays queued.
    query(tenant, DAILY, refresh="force_async", client_query_id="mine")
    assert status_of(tenant, "mine").status_code == 202
    assert error(status_of(other_tenant, "mine"), 404)["detail"] == "Query not found."
    assert error(other_tenant.client.delete(other_tenant.url("query/mine/")), 404)
    assert QueryTask.objects.filter(query_id="mine").exists()
    cancelled = tenant.client.delete(tenant.url("query/mine/"))
    assert cancelled.status_code == 200 and cancelled.json() == {"message": "Query cancelled"}
    assert error(status_of(tenant, "mine"), 404)
    assert error(query(tenant, DAILY, refresh="async", client_query_id="a/b"))["attr"] == "client_query_id"


def test_a_queued_query_no_worker_takes_ends_with_a_message_saying_so(tenant, warehouse, settings):
    settings.QUERY_TIMEOUT = 1
    query(tenant, DAILY, refresh="force_async", client_query_id="lost")
    QueryTask.objects.update(created_at=timezone.now() - timedelta(minutes=10))
    answer = status_of(tenant, "lost")
    assert answer.status_code == 400 and "burrow worker" in answer.json()["query_status"]["error_message"]
    # Asked again, the same id starts afresh.
    assert query(tenant, DAILY, refresh="force_async", client_query_id="lost").status_code == 202
    assert status_of(tenant, "lost").status_code == 202


@pytest.mark.django_db(transaction=True)
def test_four_queries_of_an_environment_run_at_once_and_a_fifth_gets_429(tenant, warehouse, settings):
    import threading
    import time

    from django.db import connection

    from tests.conftest import client_for

    settings.QUERY_TIMEOUT = 5
    forever = "SELECT count(*) FROM range(100000000000) t(i) WHERE i % 7 = {}"
    answers = []

    def run(n: int) -> None:
        try:
            answers.append(query(tenant, forever.format(n), client=client_for(tenant.key)).status_code)
        finally:
            connection.close()  # this thread's own

    threads = [threading.Thread(target=run, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 20
    while RunningQuery.objects.filter(team=tenant.team).count() < 4 and time.monotonic() < deadline:
        time.sleep(0.05)  # waiting for the four to take their slots
    busy = query(tenant, "SELECT 1 AS one")
    for thread in threads:
        thread.join()
    assert error(busy, 429)["code"] == "throttled"
    assert sorted(answers) == [400, 400, 400, 400]  # each stopped at the timeout, none refused
    assert query(tenant, "SELECT 1 AS one").status_code == 200 and not RunningQuery.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not port_open("127.0.0.1", 6379), reason="Redis is not running on 127.0.0.1:6379")
def test_with_a_broker_a_celery_worker_computes_in_the_background(tenant, warehouse, celery_worker):
    started = query(tenant, DAILY, refresh="force_async", client_query_id="on-celery")
    assert started.status_code == 202
    deadline = time.monotonic() + 30
    while (answer := status_of(tenant, "on-celery")).status_code == 202 and time.monotonic() < deadline:
        time.sleep(0.05)  # polling, as a client does: the worker is another thread with its own connection
    assert answer.status_code == 200, answer.content
    assert len(answer.json()["query_status"]["results"]["results"]) == 30


def test_answers_older_than_a_day_go_when_the_environment_stores_a_new_one(tenant, warehouse):
    from burrow.queries import execution

    query(tenant, "SELECT 1 AS one")
    QueryResult.objects.update(last_refresh=timezone.now() - timedelta(days=2))
    execution._last_cleanup.pop(tenant.team.id, None)  # as after a few minutes
    query(tenant, "SELECT 2 AS two")
    assert list(QueryResult.objects.values_list("response__query", flat=True)) == ["SELECT 2 AS two"]
    # At most every few minutes per process: the next store does not look again.
    QueryResult.objects.update(last_refresh=timezone.now() - timedelta(days=2))
    query(tenant, "SELECT 3 AS three")
    assert QueryResult.objects.count() == 2


def test_a_loaded_warehouse_is_read_at_once_while_queries_of_the_old_version_finish(tenant, warehouse):
    from burrow.queries.runners.duckdb import query_connection
    from burrow.queries.sources import target_for

    count = "SELECT count(*) AS n FROM events"
    assert query(tenant, count, refresh="force_blocking").json()["results"] == [[90]]
    running = query_connection(target_for(tenant.team))  # a query of the old version, still open
    with writing(warehouse) as connection:
        connection.execute("INSERT INTO events SELECT * FROM events")
    assert query(tenant, count, refresh="force_blocking").json()["results"] == [[180]]
    assert running.execute(count).fetchall() == [(90,)]  # it finishes on what it started with
    running.close()
    # One name per warehouse in `.open/`: the current version's (older names are swept).
    names = [p.name for p in (warehouse.parent / ".open").iterdir()]
    assert len(names) == 1 and names[0].startswith(f"{warehouse.name}.{warehouse.stat().st_ino}.")
