"""Delivery throughput: due email subscriptions (each mail carries an inline PNG) into a local SMTP sink.

    .venv/bin/python bench/delivery.py [--count 3000] [--insights 20] [--processes 2] [--celery]

PostgreSQL database burrow_bench_delivery (recreated). Without --celery, `--processes` scheduler
processes (`burrow scheduler --once`, each with its thread pool) claim and deliver; with --celery,
one scheduler tick hands the deliveries to `burrow worker --concurrency N` over Redis (db 14).
The SMTP sink (aiosmtpd) runs in its own process. Pictures are drawn once per insight and shared
(ExportedAsset by content hash); the first-render cost is printed separately."""

import argparse
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DB = "burrow_bench_delivery"
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


def env(pg: str, port: int, broker: str | None = None) -> dict:
    values = dict(
        os.environ,
        DATABASE_URL=f"{pg}/{DB}",
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


def prepare(pg: str, count: int, insights: int) -> None:
    import psycopg

    with psycopg.connect(f"{pg}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB}")
        conn.execute(f"CREATE DATABASE {DB}")
    os.environ.update(
        DATABASE_URL=f"{pg}/{DB}",
        DJANGO_SETTINGS_MODULE="burrow.settings",
        BURROW_LOG_LEVEL="WARNING",
        BURROW_SECRET_KEY=BENCH_SECRET_KEY,
        BURROW_DATA_DIR=BENCH_DATA_DIR,
    )
    sys.path.insert(0, ROOT)
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from burrow.analytics.assets import stored_picture
    from burrow.analytics.models import Insight
    from burrow.core.bootstrap import bootstrap
    from burrow.subscriptions.models import Subscription

    call_command("migrate", verbosity=0)
    team = bootstrap("bench@example.com", "Bench", "Bench", ["*"]).project.environments.first()
    series = [{"label": "Users", "data": list(range(30)), "labels": [f"d{i}" for i in range(30)]}]
    charts = [Insight.objects.create(team=team, name=f"Insight {i}", result=series) for i in range(insights)]
    started = time.perf_counter()
    for insight in charts:
        stored_picture(insight)
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


def wait_done(count: int) -> float:
    from burrow.subscriptions.models import SubscriptionDelivery

    while True:
        done = SubscriptionDelivery.objects.filter(status="completed").count()
        if done >= count:
            return time.perf_counter()
        time.sleep(0.05)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--insights", type=int, default=20)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--celery", action="store_true")
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432")
    args = parser.parse_args()
    prepare(args.pg, args.count, args.insights)
    port = 2600 + os.getpid() % 1000
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
                    env=env(args.pg, port, broker),
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            time.sleep(4)  # worker start-up is not part of the measurement
            started = time.perf_counter()
            subprocess.run(
                [*cli, "scheduler", "--once"], cwd=ROOT, env=env(args.pg, port, broker), check=True
            )
        else:
            started = time.perf_counter()
            children += [
                subprocess.Popen([*cli, "scheduler", "--once"], cwd=ROOT, env=env(args.pg, port))
                for _ in range(args.processes)
            ]
        finished = wait_done(args.count)
    finally:
        for child in children:
            child.terminate()
            child.wait(timeout=30)
        sink.terminate()
    elapsed = finished - started
    mode = (
        f"celery worker --concurrency {args.processes}"
        if args.celery
        else f"{args.processes} scheduler processes"
    )
    print(
        f"{args.count} deliveries ({mode}) in {elapsed:.2f} s = {args.count / elapsed * 60:,.0f} deliveries/min"
    )


if __name__ == "__main__":
    main()
