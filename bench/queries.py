"""Query API benchmark: a 30-day daily count over the embedded DuckDB warehouse, three ways, one after the
other in one process (no HTTP server, no network: what is measured is the engine and Burrow's own work):

  engine     the DuckDB runner alone (open read-only, run, read the rows, close)
  computed   POST /api/projects/:id/query/ with refresh=force_blocking (the runner plus the API around it)
  cached     the same with a warm cache (refresh=blocking), also as cache hits per second

Burrow's overhead is computed p50 minus engine p50 (goal: < 5 ms).

    .venv/bin/python bench/queries.py                       # 10,000,000 rows, 50 runs each
    .venv/bin/python bench/queries.py --rows 100000 --runs 5

Needs PostgreSQL for Burrow's own database (default postgres://postgres@127.0.0.1:5432, trust auth): the
database named by --database-url (default $BENCH_DATABASE_URL, else burrow_bench_queries) is dropped and
recreated. Only 127.0.0.1 is contacted."""

import argparse
import shutil
import statistics
import sys
import tempfile
import time

from api import setup_django
from harness import default_database_url, recreate_database

DAILY = (
    "SELECT CAST(timestamp AS DATE) AS day, count(*) AS events FROM events "
    "WHERE timestamp >= current_date - INTERVAL 29 DAY GROUP BY day ORDER BY day"
)


def build_warehouse(team_id: int, rows: int) -> float:
    import duckdb

    from burrow.queries.sources import embedded_path

    path = embedded_path(team_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with duckdb.connect(str(path)) as connection:
        connection.execute(
            "CREATE TABLE events AS SELECT current_date - CAST(i % 60 AS INTEGER) + to_seconds(i % 86400) AS timestamp, "
            "['Chrome', 'Safari', 'Firefox'][1 + CAST(i % 3 AS INTEGER)] AS browser FROM range(?) t(i)",
            [rows],
        )
    return time.perf_counter() - started


def timed(call, runs: int) -> list[float]:
    call()  # warm-up: imports, first connections
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return times


def line(name: str, times: list[float]) -> str:
    p99 = statistics.quantiles(times, n=100)[98] if len(times) > 1 else times[0]
    return f"  {name:9} p50 {statistics.median(times):8.2f} ms  p99 {p99:8.2f} ms"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--database-url", default=default_database_url("burrow_bench_queries"))
    args = parser.parse_args(argv)

    data_dir = tempfile.mkdtemp(prefix="burrow-bench-queries-")
    try:
        recreate_database(args.database_url)
        setup_django(args.database_url, data_dir)
        from django.conf import settings
        from django.core.management import call_command
        from rest_framework.test import APIClient

        from burrow.core.bootstrap import bootstrap
        from burrow.queries import sqlcheck
        from burrow.queries.runners import runner
        from burrow.queries.runners.base import MAX_RESULT_BYTES
        from burrow.queries.sources import target_for

        settings.ALLOWED_HOSTS.append("testserver")
        call_command("migrate", interactive=False, verbosity=0)
        boot = bootstrap("bench@burrow.local", "Bench organization", "Bench project", ["*"]).as_json()
        built = build_warehouse(boot["environment_id"], args.rows)
        print(
            f"bench: {args.rows:,} rows in the embedded warehouse (built in {built:.1f} s), {args.runs} runs each"
        )

        from burrow.core.models import Team

        team = Team.objects.get(id=boot["environment_id"])
        target = target_for(team)
        checked = sqlcheck.check(DAILY, "duckdb")
        duck = runner("duckdb")
        engine = timed(lambda: duck.run(target, checked.sql, 30, MAX_RESULT_BYTES), args.runs)

        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {boot['personal_api_key']}")
        url = f"/api/projects/{boot['project_id']}/query/"

        def ask(refresh: str) -> None:
            body = {"query": {"kind": "HogQLQuery", "query": DAILY}, "refresh": refresh}
            response = client.post(url, body, format="json")
            if response.status_code != 200 or len(response.json()["results"]) != 30:
                raise SystemExit(
                    f"bench: the query API answered {response.status_code}: {response.content[:300]}"
                )

        computed = timed(lambda: ask("force_blocking"), args.runs)
        cached = timed(lambda: ask("blocking"), args.runs)
        print(line("engine", engine))
        print(line("computed", computed))
        print(line("cached", cached) + f"  = {1000 / statistics.mean(cached):,.0f} cache hits/s")
        overhead = statistics.median(computed) - statistics.median(engine)
        print(f"overhead: computed p50 - engine p50 = {overhead:+.2f} ms (goal < 5 ms)")
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
