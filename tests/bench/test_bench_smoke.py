"""Every bench in bench/ still runs: a smoke run of each, as a user would start it, at a tiny size.

Nothing here measures anything (the machine running the suite is whatever it is): a run passes when the
bench exits 0, its output carries the lines that prove it did its work (for bench/api.py: the baseline's SQL
and bytes checked against Burrow's), and every rate it prints is above zero. A change that breaks a bench
fails the build instead of rotting until someone next measures.

The benches bring their own PostgreSQL databases (burrow_bench_smoke_<bench>_<pid>, dropped afterwards),
whatever database the suite itself runs on, so they run once per `make test`: in its first (SQLite) pass.
Without PostgreSQL on 127.0.0.1:5432 they skip, saying so (CI sets BURROW_REQUIRE_SERVICES=1, so there a
missing PostgreSQL stops the run instead).

A new bench joins with one entry in BENCHES: its script, smoke-sized arguments, and the output it must print.
"""

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.devtools import SERVICES, port_open

ROOT = Path(__file__).resolve().parents[2]
PG_HOST, PG_PORT, _ = SERVICES["PostgreSQL"]
PG_SERVER = f"postgres://postgres@{PG_HOST}:{PG_PORT}"
RATE = r"(?P<rate>[\d,.]+)"


@dataclass(frozen=True)
class Bench:
    script: str
    args: tuple[str, ...]
    # (pattern, how many lines must match it); every `rate` group they capture must be above zero
    expect: tuple[tuple[str, int], ...]


BENCHES = {
    "api": Bench(
        "api.py",
        # 12 dashboards on pages of 10: the list has a `next` link, built from the request's host
        ("--servers", "gunicorn", "--load", "python", "--requests", "50", "--rounds", "2", "--warmup", "0",
         "--connections", "4", "--workers", "1", "--threads", "2", "--dashboards", "12", "--page-size", "10"),
        (
            (r"^bench: retrieve: baseline == Burrow \(\d+ queries, \d+ bytes\)$", 1),
            (r"^bench: list: baseline == Burrow \(\d+ queries, \d+ bytes\)$", 1),
            (rf"^\s+gunicorn\s+(burrow|baseline)\s+(retrieve|list)\s+{RATE} req/s", 4),
        ),
    ),
    "delivery": Bench(
        "delivery.py",
        ("--count", "40", "--insights", "2", "--processes", "1"),
        ((rf"^40 deliveries \(1 scheduler processes, stored results\) in [\d.]+ s = {RATE} deliveries/min$", 1),),
    ),
    "delivery_sql": Bench(
        "delivery.py",
        ("--count", "40", "--insights", "2", "--processes", "1", "--sql"),
        (
            (rf"^computing an insight adds {RATE} ms per delivery \(p50\)$", 1),
            (rf"^40 deliveries \(1 scheduler processes, SQL insights computed per delivery\) in [\d.]+ s = {RATE} deliveries/min$", 1),
        ),
    ),
    "queries": Bench(
        "queries.py",
        ("--rows", "100000", "--runs", "5"),
        (
            (r"^\s+(engine|computed|cached)\s+p50\s+[\d.]+ ms\s+p99", 3),
            (rf"= {RATE} cache hits/s$", 1),
            (r"^overhead: computed p50 - engine p50 = ", 1),
        ),
    ),
    "recordings": Bench(
        "recordings.py",
        ("--sessions", "4", "--batches", "5", "--clients", "2", "--workers", "1", "--threads", "2"),
        (
            (rf"^\s+snapshots\s+{RATE} req/s\s+[\d,]+ events/s", 1),
            (r"^\s+stored 20 blocks for 20 requests \(each once\)$", 1),
            (r"^\s+[\d,.]+ kB stored per minute of recording", 1),
        ),
    ),
    "scheduler": Bench(
        "scheduler.py",
        ("--sizes", "200,2000", "--runs", "1"),
        (
            (rf"^\s+(200|2,000)\s+\d+\s+[\d.]+ms\s+[\d.]+ms\s+[\d.]+ms\s+[\d.]+ms\s+[\d.]+MB\s+{RATE}/s$", 2),
            (r"^ratio 2,000/200 ", 3),
        ),
    ),
    "scim": Bench(
        "scim.py",
        ("--people", "120", "--lookups", "20", "--pages", "4"),
        (
            (r"^bench: 120 people in the domain", 1),
            (rf"^\s+(lookup|page)\s+CPU\s+[\d.]+ ms/request\s+p50\s+[\d.]+ ms\s+\d+ queries\s+= {RATE} requests/s", 2),
        ),
    ),
    "sharing": Bench(
        "sharing.py",
        ("--requests", "60", "--warmup", "0", "--clients", "3", "--workers", "1", "--threads", "2",
         "--tiles", "4", "--views", "60"),
        (
            (rf"^\s+(page|json|session)\s+{RATE} req/s\s+server p50", 3),
            (r"^\s+60 more page views: worker RSS", 1),
        ),
    ),
}  # fmt: skip

pytestmark = [
    pytest.mark.skipif(
        os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="the benches use PostgreSQL databases of their own: their smoke runs are in the SQLite pass",
    ),
    pytest.mark.skipif(
        not port_open(PG_HOST, PG_PORT),
        reason=f"PostgreSQL is not running on {PG_HOST}:{PG_PORT}, and every bench needs it",
    ),
]


def drop_database(name: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def bench_environment() -> dict[str, str]:
    """The caller's environment without the suite's settings, as when someone runs the bench by hand."""
    dropped = ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "BENCH_DATABASE_URL")
    return {k: v for k, v in os.environ.items() if k not in dropped and not k.startswith("BURROW_")}


@pytest.mark.parametrize("name", sorted(BENCHES))
def test_bench_runs_at_smoke_size_and_prints_its_results(name: str) -> None:
    bench = BENCHES[name]
    database = f"burrow_bench_smoke_{name}_{os.getpid()}"
    try:
        run = subprocess.run(
            [sys.executable, str(ROOT / "bench" / bench.script), *bench.args],
            cwd=ROOT,
            env={**bench_environment(), "BENCH_DATABASE_URL": f"{PG_SERVER}/{database}"},
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        drop_database(database)
    assert run.returncode == 0, f"bench/{bench.script} exited {run.returncode}:\n{run.stdout}\n{run.stderr}"
    lines = run.stdout.splitlines()
    for pattern, count in bench.expect:
        matches = [m for m in map(re.compile(pattern).search, lines) if m]
        assert len(matches) == count, f"{count} line(s) like {pattern!r} expected in:\n{run.stdout}"
        rates = [float(m["rate"].replace(",", "")) for m in matches if "rate" in m.groupdict()]
        assert all(rate > 0 for rate in rates), f"a zero rate in:\n{run.stdout}"
