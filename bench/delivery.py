"""Delivery throughput: due email subscriptions (each mail carries an inline PNG) into a local SMTP sink.

    .venv/bin/python bench/delivery.py [--count 3000] [--insights 20] [--processes 2] [--celery] [--sql]
    .venv/bin/python bench/delivery.py --count 40 --insights 2 --processes 1     # smoke run (the test suite's)

With --sql the insights are SQL over the embedded DuckDB warehouse (a daily count over 100,000 rows, about
5 ms), so every delivery computes its numbers before it draws and sends; the time one computation adds to a
delivery is measured first, in-process (p50 of 30).

PostgreSQL database named by --database-url (default $BENCH_DATABASE_URL, else burrow_bench_delivery on
127.0.0.1; recreated). Without --celery, `--processes` scheduler processes (`burrow scheduler --once`,
each with its thread pool) claim and deliver; with --celery, one scheduler tick hands the deliveries to
`burrow worker --concurrency N` over Redis (db 14). The SMTP sink (aiosmtpd) runs in its own process (on a
free port). Pictures are drawn once per insight and shared (ExportedAsset by content hash); the first-render
cost is printed separately."""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from harness import ROOT, default_database_url, free_port, recreate_database

# Settings write nothing: the bench brings its own key and a data dir it throws away.
BENCH_SECRET_KEY = "burrow-bench-only"
BENCH_DATA_DIR = tempfile.mkdtemp(prefix="burrow-bench-")
SINK = """
import sys, time
from aiosmtpd.controller import Controller
class Count:
    n = 0
    async def handle_DATA(self, server, session, envelope):
        Count.n += 1
        return "250 OK"
c = Controller(Count(), hostname="127.0.0.1", port=int(sys.argv[1])); c.start()
print("ready", flush=True)
while True:
    time.sleep(3600)
"""


def env(database_url: str, port: int, broker: str | None = None) -> dict:
    values = dict(
        os.environ,
        DATABASE_URL=database_url,
        BURROW_EMAIL_URL=f"smtp://127.0.0.1:{port}",
        BURROW_LOG_LEVEL="WARNING",
        BURROW_DELIVERY_THREADS=os.environ.get("BURROW_DELIVERY_THREADS", "16"),
        DJANGO_SETTINGS_MODULE="burrow.settings",
        BURROW_SECRET_KEY=BENCH_SECRET_KEY,
        BURROW_DATA_DIR=BENCH_DATA_DIR,
    )
    values.pop("BURROW_BROKER_URL", None)
    if broker:
        values["BURROW_BROKER_URL"] = broker
    return values


WAREHOUSE = """
    CREATE TABLE events AS
    SELECT current_date - CAST(i % 30 AS INTEGER) AS day, CAST(i % 5 AS INTEGER) AS kind FROM range(100000) t(i)
"""


def sql_insights(team, count: int) -> list:
    """`count` insights, each a daily count of one kind of event in the team's embedded warehouse."""
    import duckdb

    from burrow.analytics.models import Insight
    from burrow.queries.sources import embedded_path

    path = embedded_path(team.id)
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as connection:
        connection.execute(WAREHOUSE)
    return [
        Insight.objects.create(
            team=team,
            name=f"Insight {i}",
            query={
                "kind": "DataVisualizationNode",
                "display": "ActionsLineGraph",
                "source": {
                    "kind": "HogQLQuery",
                    "query": f"SELECT day, count(*) AS events FROM events WHERE kind = {i % 5} "
                    "GROUP BY day ORDER BY day",
                },
            },
        )
        for i in range(count)
    ]


def computing_p50(insight, runs: int = 30) -> float:
    """Milliseconds one delivery's computation of `insight` takes (force_blocking, as deliveries do)."""
    from burrow.analytics.computing import compute

    times = []
    for _ in range(runs):
        started = time.perf_counter()
        answer = compute(insight, "force_blocking")
        times.append((time.perf_counter() - started) * 1000)
        assert answer is not None and answer.error is None, answer
    return statistics.median(times)


def prepare(database_url: str, count: int, insights: int, sql: bool) -> None:
    recreate_database(database_url)
    os.environ.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="burrow.settings",
        BURROW_LOG_LEVEL="WARNING",
        BURROW_SECRET_KEY=BENCH_SECRET_KEY,
        BURROW_DATA_DIR=BENCH_DATA_DIR,
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from burrow.analytics.assets import stored_picture
    from burrow.analytics.computing import compute
    from burrow.analytics.models import Insight
    from burrow.core.bootstrap import bootstrap
    from burrow.subscriptions.models import Subscription

    call_command("migrate", verbosity=0)
    team = bootstrap("bench@example.com", "Bench", "Bench", ["*"]).project.environments.first()
    if sql:
        charts = sql_insights(team, insights)
        print(f"computing an insight adds {computing_p50(charts[0]):.1f} ms per delivery (p50)")
    else:
        series = [{"label": "Users", "data": list(range(30)), "labels": [f"d{i}" for i in range(30)]}]
        charts = [
            Insight.objects.create(team=team, name=f"Insight {i}", result=series) for i in range(insights)
        ]
    started = time.perf_counter()
    for insight in charts:
        answer = compute(insight, "blocking")
        stored_picture(insight, answer.result if answer else insight.result)
    print(f"first render: {(time.perf_counter() - started) * 1000 / insights:.1f} ms per chart (then shared)")
    now = timezone.now()
    Subscription.objects.bulk_create(
        Subscription(
            team=team,
            insight=charts[i % insights],
            target_type="email",
            frequency="daily",
            target_value=f"user{i}@example.com",
            start_date=now,
            next_delivery_date=now,
        )
        for i in range(count)
    )


def wait_done(count: int, children: list[subprocess.Popen], timeout: float) -> float:
    """When the last delivery completed; exits the bench when one failed, or when the deliveries stopped
    short (every scheduler process gone) or took longer than `timeout` seconds."""
    from django.db.models import Count

    from burrow.subscriptions.models import SubscriptionDelivery

    deadline = time.monotonic() + timeout
    while True:
        # Read before the poll: a process that exits after it still had its deliveries counted.
        exited = all(child.poll() is not None for child in children)
        statuses = dict(SubscriptionDelivery.objects.values_list("status").annotate(n=Count("id")).order_by())
        if statuses.get("completed", 0) >= count:
            return time.perf_counter()
        if statuses.get("failed") or exited or time.monotonic() > deadline:
            codes = [child.poll() for child in children]
            raise SystemExit(f"bench: deliveries stopped short: {statuses} (process exit codes {codes})")
        time.sleep(0.05)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--insights", type=int, default=20)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--celery", action="store_true")
    parser.add_argument("--sql", action="store_true", help="SQL insights, computed at every delivery")
    parser.add_argument("--timeout", type=float, default=600, help="seconds before the bench gives up")
    parser.add_argument("--database-url", default=default_database_url("burrow_bench_delivery"))
    args = parser.parse_args()
    prepare(args.database_url, args.count, args.insights, args.sql)
    port = free_port()
    sink = subprocess.Popen([sys.executable, "-c", SINK, str(port)], stdout=subprocess.PIPE, text=True)
    sink.stdout.readline()
    cli = [sys.executable, "-m", "burrow.cli"]
    children = []
    try:
        if args.celery:
            broker = "redis://127.0.0.1:6379/14"
            children.append(
                subprocess.Popen(
                    [*cli, "worker", "--concurrency", str(args.processes)],
                    cwd=ROOT,
                    env=env(args.database_url, port, broker),
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            time.sleep(4)  # worker start-up is not part of the measurement
            started = time.perf_counter()
            subprocess.run(
                [*cli, "scheduler", "--once"], cwd=ROOT, env=env(args.database_url, port, broker), check=True
            )
        else:
            started = time.perf_counter()
            children += [
                subprocess.Popen([*cli, "scheduler", "--once"], cwd=ROOT, env=env(args.database_url, port))
                for _ in range(args.processes)
            ]
        finished = wait_done(args.count, children, args.timeout)
    finally:
        for child in children:
            child.terminate()
            child.wait(timeout=30)
        sink.terminate()
        sink.wait(timeout=30)
        shutil.rmtree(BENCH_DATA_DIR, ignore_errors=True)
    elapsed = finished - started
    mode = (
        f"celery worker --concurrency {args.processes}"
        if args.celery
        else f"{args.processes} scheduler processes"
    )
    kind = "SQL insights computed per delivery" if args.sql else "stored results"
    print(
        f"{args.count} deliveries ({mode}, {kind}) in {elapsed:.2f} s = "
        f"{args.count / elapsed * 60:,.0f} deliveries/min"
    )


if __name__ == "__main__":
    main()
