"""The same SQL suite on all three kinds of source: the embedded DuckDB warehouse, PostgreSQL (a read-only
role in a database of its own) and ClickHouse (chDB behind ClickHouse's HTTP interface), through the query
API; and each engine's own bad input: a clear 4xx, never a 500."""

from dataclasses import dataclass

import pytest

from burrow.queries.errors import QueryError
from burrow.queries.models import DataSource
from burrow.queries.runners import runner
from burrow.queries.sources import target_of
from tests.helpers import error
from tests.queries.test_query_api import query

pytestmark = pytest.mark.django_db


@dataclass
class Engine:
    kind: str
    tenant: object

    def query(self, sql: str, **extra):
        return query(self.tenant, sql, **extra)

    def rows(self, sql: str) -> list:
        response = self.query(sql)
        assert response.status_code == 200, response.content
        return response.json()["results"]


@pytest.fixture(params=["duckdb", "postgresql", "clickhouse"])
def engine(request, tenant, warehouse) -> Engine:
    """`tenant` whose default source is the kind under test, holding `events`."""
    if request.param != "duckdb":
        url = request.getfixturevalue(f"{request.param}_source_url")
        body = {"name": request.param, "kind": request.param, "url": url, "is_default": True}
        created = tenant.client.post(tenant.url("data_sources/"), body, format="json")
        assert created.status_code == 201, created.content
    return Engine(request.param, tenant)


# Per engine: a query that would run for minutes, 10 million rows, 20 rows of 1 MB, reading a server file.
NATIVE = {
    "duckdb": {
        "forever": "SELECT count(*) FROM range(100000000000) t(i) WHERE i % 7 = 3",
        "rows": "SELECT range AS i FROM range(10000000) LIMIT 10000000",
        "big": "SELECT repeat('x', 1000000) AS big FROM range(20)",
        "file": "SELECT * FROM read_csv('/etc/passwd')",
    },
    "postgresql": {
        "forever": "SELECT pg_sleep(60)",
        "rows": "SELECT i FROM generate_series(1, 10000000) AS i LIMIT 10000000",
        "big": "SELECT repeat('x', 1000000) AS big FROM generate_series(1, 20)",
        "file": "SELECT pg_read_file('/etc/passwd')",
    },
    "clickhouse": {
        "forever": "SELECT count() FROM numbers(1000000000000) WHERE number % 7 = 3",
        "rows": "SELECT number FROM numbers(10000000) LIMIT 10000000",
        "big": "SELECT repeat('x', 1000000) AS big FROM numbers(20)",
        "file": "SELECT * FROM file('/etc/passwd', 'LineAsString')",
    },
}


def test_aggregates_by_group(engine):
    rows = engine.rows("SELECT browser, sum(n) AS total FROM events GROUP BY browser ORDER BY browser")
    assert rows == [["Chrome", 1395], ["Firefox", 930], ["Safari", 465]]


def test_dates_come_back_as_iso_strings_in_order(engine):
    rows = engine.rows("SELECT day, n FROM events WHERE browser = 'Safari' ORDER BY day LIMIT 3")
    assert rows == [["2026-01-01", 1], ["2026-01-02", 2], ["2026-01-03", 3]]


def test_with_and_union_queries_run(engine):
    sql = (
        "WITH firsts AS (SELECT browser, min(day) AS first_day FROM events GROUP BY browser) "
        "SELECT name FROM (SELECT browser AS name FROM firsts WHERE browser = 'Chrome' "
        "UNION ALL SELECT 'total' AS name) AS both_kinds ORDER BY name"
    )
    assert engine.rows(sql) == [["Chrome"], ["total"]]


def test_columns_and_types_name_what_the_engine_returned(engine):
    answer = engine.query("SELECT browser, n FROM events ORDER BY day, browser LIMIT 1").json()
    assert answer["columns"] == ["browser", "n"] and answer["results"] == [["Chrome", 3]]
    assert [name for name, _ in answer["types"]] == ["browser", "n"] and all(t for _, t in answer["types"])


def test_default_limit_and_hasmore(engine):
    answer = engine.query("SELECT a.day FROM events a CROSS JOIN events b").json()
    assert len(answer["results"]) == 100 and answer["hasMore"] is True


def test_ten_million_rows_stop_at_the_50000_row_cap(engine):
    answer = engine.query(NATIVE[engine.kind]["rows"]).json()
    assert len(answer["results"]) == 50_000 and answer["hasMore"] is True and answer["limit"] == 50_000


def test_a_query_running_forever_is_stopped_at_the_timeout(engine, settings):
    settings.QUERY_TIMEOUT = 1
    body = error(engine.query(NATIVE[engine.kind]["forever"]))
    assert body["code"] == "query_timeout", body


def test_a_result_over_10_mb_is_refused(engine):
    assert error(engine.query(NATIVE[engine.kind]["big"]))["code"] == "result_too_large"


def test_writes_and_file_reads_are_refused_before_they_reach_the_engine(engine):
    for sql in ("INSERT INTO events SELECT * FROM events", NATIVE[engine.kind]["file"], "DROP TABLE events"):
        assert error(engine.query(sql))["code"] == "query_not_allowed"
    assert engine.rows("SELECT count(*) AS n FROM events") == [[90]]


def test_the_engine_refuses_writes_and_file_reads_even_without_the_sql_check(engine):
    """The second lock: SQL the check would have refused, sent to the runner directly."""
    source = DataSource.objects.filter(team=engine.tenant.team, is_default=True).first()
    target = target_of(source, engine.tenant.team)
    run = runner(engine.kind).run
    for sql in (NATIVE[engine.kind]["file"], "CREATE TABLE stolen AS SELECT * FROM events"):
        with pytest.raises(QueryError):
            run(target, sql, 10, 10_000_000)
    assert engine.rows("SELECT count(*) AS n FROM events") == [[90]]


def test_a_database_error_is_400_with_the_databases_message(engine):
    body = error(engine.query("SELECT nope FROM events"))
    assert body["code"] == "invalid_input" and "nope" in body["detail"]
    assert "reader-pass" not in body["detail"] and "127.0.0.1" not in body["detail"]


def test_testing_the_source_answers_the_engine_version(engine):
    source = DataSource.objects.filter(team=engine.tenant.team).first()
    if source is None:
        source_id = engine.tenant.client.post(engine.tenant.url("data_sources/"), {"kind": "duckdb"}).json()[
            "id"
        ]
    else:
        source_id = source.id
    answer = engine.tenant.client.post(engine.tenant.url(f"data_sources/{source_id}/test/")).json()
    assert answer["ok"] is True and answer["version"].lower().startswith(engine.kind[:6])
