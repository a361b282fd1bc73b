"""Scheduler due-scan benchmark on PostgreSQL: time per tick and scheduler RSS at 10k → 1M subscriptions.

    .venv/bin/python bench/scheduler.py [--sizes 10000,100000,1000000] [--runs 5] [--database-url URL]
    .venv/bin/python bench/scheduler.py --sizes 200,2000 --runs 1     # smoke run (the test suite's)

Uses its own database (--database-url; default $BENCH_DATABASE_URL, else burrow_bench_scheduler on
127.0.0.1; recreated). Rows are inserted with one INSERT … SELECT generate_series per size. For each size it
times `tick()` (claim + delivery rows, dispatch is a no-op; the median of --runs ticks) with 0.1 % of rows
due, with a fixed 10 rows due, and with none due, then prints the largest/smallest size ratios and the
due rows claimed per second at 0.1 % due. RSS is measured in a fresh process running one tick."""

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

from harness import ROOT, default_database_url, recreate_database


def setup(database_url: str, probe: bool) -> None:
    os.environ["DATABASE_URL"] = database_url
    if not probe:
        recreate_database(database_url)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "burrow.settings")
    os.environ["BURROW_LOG_LEVEL"] = "WARNING"
    # Settings write nothing: the bench brings its own key and a data dir it throws away.
    os.environ.setdefault("BURROW_SECRET_KEY", "burrow-bench-only")
    os.environ.setdefault("BURROW_DATA_DIR", tempfile.mkdtemp(prefix="burrow-bench-"))
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    if not probe:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)


def fill(size: int) -> None:
    """`size` live daily subscriptions, none due yet (due ones are armed per measurement)."""
    from django.db import connection

    from burrow.analytics.models import Insight
    from burrow.core.bootstrap import bootstrap

    team = bootstrap("bench@example.com", "Bench", "Bench", ["*"]).project.environments.first()
    insight = Insight.objects.create(team=team, name="Bench", result=[{"label": "x", "data": [1, 2]}])
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE subscriptions_subscriptiondelivery, subscriptions_subscription CASCADE")
        cursor.execute(
            """
            INSERT INTO subscriptions_subscription (team_id, insight_id, title, target_type, target_value,
                frequency, interval, start_date, next_delivery_date, enabled, deleted, created_at,
                webhook_secret, consecutive_failures, recipients_added_at)
            SELECT %s, %s, 'bench ' || g, 'email', 'bench' || g || '@example.com', 'daily', 1,
                date_trunc('hour', now()) - interval '1 day' + (g %% 24) * interval '1 hour',
                date_trunc('hour', now()) + interval '1 day' + (g %% 24) * interval '1 hour',
                true, false, now(), '', 0, '{}'
            FROM generate_series(1, %s) AS g
            """,
            [team.id, insight.id, size],
        )
        cursor.execute("VACUUM ANALYZE subscriptions_subscription")


def arm(due: int) -> None:
    """Makes `due` rows due (their slot 1 minute ago, matching their schedule) and clears deliveries."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM subscriptions_subscriptiondelivery")
        cursor.execute(
            """
            UPDATE subscriptions_subscription SET next_delivery_date = date_trunc('hour', now()),
                start_date = date_trunc('hour', now()) - interval '1 day'
            WHERE id IN (SELECT id FROM subscriptions_subscription ORDER BY id LIMIT %s)
            """,
            [due],
        )
        # Rows fall due by time passing, a day or so after their last claim wrote them: by then autovacuum
        # has cleared the old row versions. Without this the tick would walk the dead index entries the
        # UPDATE above just left, which production never sees.
        cursor.execute("VACUUM subscriptions_subscription, subscriptions_subscriptiondelivery")


def timed_tick() -> tuple[float, int]:
    from burrow.subscriptions.scheduler import tick

    started = time.perf_counter()
    result = tick(dispatcher=lambda ids: len(ids))
    return (time.perf_counter() - started) * 1000, result.claimed


def measure(due: int, runs: int) -> float:
    times = []
    for _ in range(runs):
        arm(due)
        ms, claimed = timed_tick()
        if claimed != due:
            raise SystemExit(f"bench: a tick claimed {claimed} rows, {due} were due")
        times.append(ms)
    return statistics.median(times)


def rss_probe(database_url: str, due: int) -> int:
    """Peak RSS (KiB) of a fresh process that runs one real tick with `due` rows due."""
    arm(due)
    out = subprocess.run(
        [sys.executable, __file__, "--probe", "--database-url", database_url],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--runs", type=int, default=5, help="ticks per measurement (their median counts)")
    parser.add_argument("--database-url", default=default_database_url("burrow_bench_scheduler"))
    parser.add_argument("--probe", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    setup(args.database_url, args.probe)
    if args.probe:
        timed_tick()
        print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
        return
    rows = {}
    for size in [int(s) for s in args.sizes.split(",")]:
        fill(size)
        due = max(1, size // 1000)
        rows[size] = {
            "due_0.1%": due,
            "tick_0.1%_ms": measure(due, args.runs),
            "tick_10_due_ms": measure(10, args.runs),
            "tick_empty_ms": measure(0, args.runs),
            "rss_kib": rss_probe(args.database_url, due),
        }
        print(size, rows[size], flush=True)
    small, large = min(rows), max(rows)
    print(
        f"\n{'subscriptions':>13} {'due':>6} {'tick 0.1%':>10} {'per due row':>12} {'tick 10 due':>12} "
        f"{'empty tick':>11} {'RSS':>8} {'claimed/s':>10}"
    )
    for size, r in rows.items():
        print(
            f"{size:>13,} {r['due_0.1%']:>6} {r['tick_0.1%_ms']:>8.1f}ms {r['tick_0.1%_ms'] / r['due_0.1%']:>10.3f}ms "
            f"{r['tick_10_due_ms']:>10.1f}ms {r['tick_empty_ms']:>9.2f}ms {r['rss_kib'] / 1024:>6.1f}MB "
            f"{r['due_0.1%'] / r['tick_0.1%_ms'] * 1000:>8.1f}/s"
        )
    for key in ("tick_10_due_ms", "tick_empty_ms", "rss_kib"):
        print(f"ratio {large:,}/{small:,} {key}: {rows[large][key] / rows[small][key]:.2f}")


if __name__ == "__main__":
    main()
