"""The small `events` table every engine's SQL suite reads: in a tenant's embedded warehouse (DuckDB), in a
PostgreSQL database of its own with a read-only role, and in ClickHouse (chDB behind its HTTP interface)."""

import datetime
import os

import pytest

from burrow.queries.sources import embedded_path
from burrow.queries.warehouse import writing
from tests.fakes.clickhouse import clickhouse_server  # noqa: F401  (a fixture)

# 30 days x 3 browsers; `n` = day number x browser weight, so every aggregate is easy to predict.
BROWSERS = {"Chrome": 3, "Firefox": 2, "Safari": 1}
START = datetime.date(2026, 1, 1)
EVENT_ROWS = [
    (START + datetime.timedelta(days=day), browser, (day + 1) * weight)
    for day in range(30)
    for browser, weight in BROWSERS.items()
]


def fill_duckdb(path) -> None:
    """As Burrow writes a warehouse (copy and swap), so a process reading it sees the new version."""
    with writing(path) as connection:
        connection.execute("CREATE OR REPLACE TABLE events (day DATE, browser VARCHAR, n INTEGER)")
        connection.executemany("INSERT INTO events VALUES (?, ?, ?)", EVENT_ROWS)


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    """Warehouses of this test only: ids of tenants repeat between tests."""
    settings.DATA_DIR = tmp_path / "data"


@pytest.fixture
def warehouse(tenant):
    """`tenant`'s embedded warehouse with the `events` table."""
    path = embedded_path(tenant.team.id)
    fill_duckdb(path)
    yield path
    path.unlink(missing_ok=True)


# --- the same table in PostgreSQL and ClickHouse -----------------------------------------------------------

PG_ADMIN = dict(host="127.0.0.1", port=5432, user="postgres", dbname="postgres", autocommit=True)
READER_PASSWORD = "reader-pass"


@pytest.fixture(scope="session")
def postgresql_source_url():
    """A database of its own (per test process) with `events`, and a role that may only read it."""
    from tests.devtools import port_open

    if not port_open("127.0.0.1", 5432):
        pytest.skip("PostgreSQL is not running on 127.0.0.1:5432")
    import psycopg

    name = f"burrow_queries_source_{os.getpid()}"
    reader = f"burrow_queries_reader_{os.getpid()}"
    with psycopg.connect(**PG_ADMIN) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.execute(f"DROP ROLE IF EXISTS {reader}")
        admin.execute(f"CREATE DATABASE {name}")
        admin.execute(f"CREATE ROLE {reader} LOGIN PASSWORD '{READER_PASSWORD}'")
    with psycopg.connect(**{**PG_ADMIN, "dbname": name}) as owner:
        owner.execute("CREATE TABLE events (day date, browser text, n integer)")
        with owner.cursor() as cursor:
            cursor.executemany("INSERT INTO events VALUES (%s, %s, %s)", EVENT_ROWS)
        owner.execute(f"GRANT SELECT ON events TO {reader}")
    yield f"postgresql://{reader}:{READER_PASSWORD}@127.0.0.1:5432/{name}?sslmode=disable"
    with psycopg.connect(**PG_ADMIN) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.execute(f"DROP ROLE IF EXISTS {reader}")


@pytest.fixture(scope="session")
def clickhouse_source_url(request):
    clickhouse = request.getfixturevalue("clickhouse_server")
    clickhouse.execute(
        "CREATE TABLE IF NOT EXISTS events (day Date, browser String, n Int64) ENGINE = MergeTree ORDER BY day"
    )
    clickhouse.execute("TRUNCATE TABLE events")
    values = ", ".join(f"('{day.isoformat()}', '{browser}', {n})" for day, browser, n in EVENT_ROWS)
    clickhouse.execute(f"INSERT INTO events VALUES {values}")
    return clickhouse.url()
