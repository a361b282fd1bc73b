"""The embedded warehouse of a tenant, filled with the small table every engine's SQL suite reads."""

import datetime

import duckdb
import pytest

from burrow.queries.sources import embedded_path

# 30 days x 3 browsers; `n` = day number x browser weight, so every aggregate is easy to predict.
BROWSERS = {"Chrome": 3, "Firefox": 2, "Safari": 1}
START = datetime.date(2026, 1, 1)
EVENT_ROWS = [
    (START + datetime.timedelta(days=day), browser, (day + 1) * weight)
    for day in range(30)
    for browser, weight in BROWSERS.items()
]


def fill_duckdb(path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as connection:
        connection.execute("CREATE OR REPLACE TABLE events (day DATE, browser VARCHAR, n INTEGER)")
        connection.executemany("INSERT INTO events VALUES (?, ?, ?)", EVENT_ROWS)


@pytest.fixture
def warehouse(tenant):
    """`tenant`'s embedded warehouse with the `events` table."""
    path = embedded_path(tenant.team.id)
    fill_duckdb(path)
    yield path
    path.unlink(missing_ok=True)
