"""`POST /api/environments/:id/query/` on the embedded DuckDB warehouse: the reference's HogQLQueryResponse,
its row limits, the cache and its refresh modes, the concurrency bound, and every refusal a clear 4xx."""

import duckdb
import pytest

from burrow.queries.models import QueryResult, RunningQuery
from burrow.queries.sources import embedded_path
from tests.helpers import error
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
    assert query(tenant, DAILY, refresh="async").json()["is_cached"] is True
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
    from datetime import timedelta

    from django.utils import timezone

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


@pytest.mark.django_db(transaction=True)
def test_async_modes_answer_the_cache_and_refresh_it_in_the_background(tenant, warehouse):
    from burrow.queries.execution import wait_for_refreshes

    count = "SELECT count(*) AS n FROM events"
    assert query(tenant, count).json()["results"] == [[90]]
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("INSERT INTO events SELECT * FROM events")
    # Fresh: `async` and `lazy_async` answer the cache and start nothing.
    assert query(tenant, count, refresh="async").json()["results"] == [[90]]
    assert query(tenant, count, refresh="lazy_async").json()["results"] == [[90]]
    wait_for_refreshes()
    assert query(tenant, count).json()["results"] == [[90]]
    # `force_async` answers the cache at once and refreshes it.
    answer = query(tenant, count, refresh="force_async").json()
    assert answer["is_cached"] is True and answer["results"] == [[90]]
    wait_for_refreshes()
    assert query(tenant, count).json()["results"] == [[180]]
    # Stale: `async` answers the stale answer and refreshes it; `blocking` would have computed.
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("DELETE FROM events WHERE n > 10")
    QueryResult.objects.update(last_refresh="2020-01-01T00:00:00Z")
    assert query(tenant, count, refresh="async").json()["results"] == [[180]]
    wait_for_refreshes()
    fresh = query(tenant, count, refresh="lazy_async").json()
    assert fresh["results"] == [[36]] and fresh["is_cached"] is True


@pytest.mark.django_db(transaction=True)
def test_four_queries_of_an_environment_run_at_once_and_a_fifth_gets_429(tenant, warehouse, settings):
    import threading
    import time

    from django.db import connection

    from tests.conftest import client_for

    settings.QUERY_TIMEOUT = 3
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
