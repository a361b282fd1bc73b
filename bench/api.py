"""API benchmark: Burrow against a raw baseline, under gunicorn (gthread) and granian (WSGI), on PostgreSQL.

For each HTTP server, Burrow (`burrow.wsgi`) and the baseline (bench/baseline.py: psycopg, the same SQL,
the same JSON) are served side by side with the same worker and thread counts, and loaded by the same number
of concurrent keep-alive clients on two requests:

  retrieve  GET /api/projects/:id/dashboards/:id/          (one dashboard, its creator and 4 tiles)
  list      GET /api/projects/:id/dashboards/?limit=100    (a 100-item page of such dashboards)

Each request's measurement is split into rounds in which the two apps take turns (Burrow first in even
rounds, the baseline first in odd ones), so a slow spell of a shared machine falls on both; the ratio
Burrow/baseline is the median of the rounds' ratios (goals: retrieve >= 0.5, list >= 0.3). It prints
requests/s, p50 and p99 latency, the server's CPU time per request (workers and arbiter; PostgreSQL's and
the load generator's aside) and the peak RSS of a Burrow worker. Before loading anything it checks that the
baseline sends exactly Burrow's SQL and returns exactly Burrow's bytes. The load generator is `wrk` when it
is on PATH, else a built-in one (threads + http.client; it needs more CPU, so ratios are more pessimistic).

    .venv/bin/python bench/api.py                  # both servers, 10 s per app and request (about 2 minutes)
    .venv/bin/python bench/api.py --servers gunicorn --duration 5
    .venv/bin/python bench/api.py --servers gunicorn --load python --requests 50 --rounds 2 --warmup 0 \
        --connections 4 --workers 1 --threads 2 --dashboards 12 --page-size 10      # smoke run (the test suite's)

Needs PostgreSQL (default postgres://postgres@127.0.0.1:5432, trust auth); the database named by
--database-url (default $BENCH_DATABASE_URL, else burrow_bench) is dropped and recreated. Only 127.0.0.1 is
ever contacted."""

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile

from harness import (
    BENCH_DIR,
    ROOT,
    RSSSampler,
    cpu_seconds,
    default_database_url,
    free_port,
    python_load,
    recreate_database,
    start_server,
    stop_server,
    wait_ready,
    wrk_load,
)

SECRET_KEY = "burrow-bench-secret-key-not-for-production"
APPS = {"burrow": "burrow.wsgi:application", "baseline": "baseline:application"}
GOALS = {"retrieve": 0.5, "list": 0.3}
# The Host the equivalence check sends: one Burrow serves without configuration (it refuses unknown hosts),
# and the one the load generators send too, so the list's `next` link is the same in the check and under load.
HOST = "127.0.0.1"


# --- database and data ---------------------------------------------------------------------------------


def setup_django(database_url: str, data_dir: str) -> None:
    os.environ.update(
        DATABASE_URL=database_url,
        BURROW_DATA_DIR=data_dir,
        BURROW_SECRET_KEY=SECRET_KEY,
        BURROW_LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="burrow.settings",
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def seed(dashboards: int, tiles: int, insights: int, page_size: int) -> dict:
    """One tenant; dashboards of `tiles` tiles each over a pool of insights that carry a query and a
    cached result (~2 kB, what a small trends insight stores)."""
    from django.core.management import call_command

    from burrow.analytics.models import Dashboard, DashboardTile, Insight
    from burrow.core.bootstrap import bootstrap

    call_command("migrate", interactive=False, verbosity=0)
    boot = bootstrap("bench@burrow.local", "Bench organization", "Bench project", ["*"]).as_json()
    from burrow.core.models import Team, User

    team = Team.objects.get(id=boot["environment_id"])
    user = User.objects.get(id=boot["user_id"])
    user.hedgehog_config = {
        "use_as_profile": True,
        "color": "green",
        "accessories": ["hat"],
        "skin": "default",
    }
    user.save(update_fields=["hedgehog_config"])
    days = [f"2025-01-{d:02d}" for d in range(1, 31)]
    pool = Insight.objects.bulk_create(
        Insight(
            team=team,
            name=f"Pageviews by browser {i}",
            description="Weekly pageviews, broken down by browser",
            query={
                "kind": "InsightVizNode",
                "source": {"kind": "TrendsQuery", "series": [{"event": "$pageview"}]},
            },
            result=[{"label": "$pageview", "days": days, "data": list(range(30)), "count": 435}],
            created_by=user,
        )
        for i in range(insights)
    )
    boards = Dashboard.objects.bulk_create(
        Dashboard(team=team, name=f"Dashboard {i}", description="Product metrics", created_by=user)
        for i in range(dashboards)
    )
    DashboardTile.objects.bulk_create(
        DashboardTile(
            dashboard=board,
            insight=pool[(i + j) % len(pool)],
            layouts={"sm": {"x": (j % 2) * 6, "y": (tiles - j) * 5, "w": 6, "h": 5}},
        )
        for i, board in enumerate(boards)
        for j in range(tiles)
    )
    return {
        "key": boot["personal_api_key"],
        "retrieve": f"/api/projects/{boot['project_id']}/dashboards/{boards[len(boards) // 2].id}/",
        "list": f"/api/projects/{boot['project_id']}/dashboards/?limit={page_size}",
    }


# --- the baseline does what Burrow does ------------------------------------------------------------------


def check_equivalence(paths: dict, key: str) -> None:
    """Byte-identical bodies and the same SQL statements (after `last_used_at` is fresh) for both requests."""
    import psycopg
    from django.db import connection, connections
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    sys.path.insert(0, str(BENCH_DIR))
    import baseline

    client = Client(HTTP_HOST=HOST)
    auth = f"Bearer {key}"
    executed: list[str] = []

    class RecordingCursor(psycopg.ClientCursor):
        def execute(self, query, params=None, **kwargs):
            result = super().execute(query, params, **kwargs)
            executed.append(self._query.query.decode())
            return result

    conn = baseline.connect()
    conn.cursor_factory = RecordingCursor

    for name in ("retrieve", "list"):
        path, _, query_string = paths[name].partition("?")
        client.get(paths[name], HTTP_AUTHORIZATION=auth)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(paths[name], HTTP_AUTHORIZATION=auth)
        if response.status_code != 200:
            raise SystemExit(
                f"bench: Burrow answered {response.status_code} on {name}: {response.content[:300]}"
            )
        executed.clear()
        body = baseline.render(baseline.handle(conn, path, query_string, auth, HOST))
        django_sql = [q["sql"] for q in ctx.captured_queries]
        if django_sql != executed:
            raise SystemExit(
                f"bench: baseline SQL differs from Burrow's on {name}; update bench/baseline.py.\n"
                "Burrow:\n  " + "\n  ".join(django_sql) + "\nbaseline:\n  " + "\n  ".join(executed)
            )
        if body != response.content:
            raise SystemExit(
                f"bench: baseline body differs from Burrow's on {name}; update bench/baseline.py"
            )
        print(f"bench: {name}: baseline == Burrow ({len(executed)} queries, {len(body)} bytes)")
    conn.close()
    connections.close_all()


# --- main ----------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--servers", default="gunicorn,granian", help="comma-separated: gunicorn,granian")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of load per app and endpoint")
    parser.add_argument(
        "--rounds", type=int, default=5, help="the duration is split into this many alternating rounds"
    )
    parser.add_argument(
        "--requests", type=int, help="requests per round instead of --duration (the built-in load generator)"
    )
    parser.add_argument(
        "--warmup", type=float, default=2.0, help="seconds of load before each endpoint (0: none)"
    )
    parser.add_argument("--connections", type=int, default=16, help="concurrent keep-alive clients")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--dashboards", type=int, default=120)
    parser.add_argument("--tiles", type=int, default=4, help="tiles per dashboard")
    parser.add_argument("--page-size", type=int, default=100, help="the list request's limit")
    parser.add_argument("--load", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--database-url", default=default_database_url("burrow_bench"))
    args = parser.parse_args(argv)
    servers = [s.strip() for s in args.servers.split(",") if s.strip()]
    if args.requests and args.load == "wrk":
        parser.error("--requests needs the built-in load generator (wrk runs for a duration)")
    use_wrk = not args.requests and (args.load == "wrk" or (args.load == "auto" and shutil.which("wrk")))
    round_seconds = args.duration / args.rounds

    def load(port: int, path: str, key: str, duration: float, requests: int | None = None) -> dict:
        if use_wrk:
            return wrk_load(port, path, key, args.connections, duration)
        return python_load(port, path, key, args.connections, duration, requests)

    size = f"{args.requests} requests" if args.requests else f"{round_seconds:g} s"

    data_dir = tempfile.mkdtemp(prefix="burrow-bench-")
    recreate_database(args.database_url)
    setup_django(args.database_url, data_dir)
    target = seed(args.dashboards, args.tiles, insights=20, page_size=args.page_size)
    check_equivalence(target, target["key"])
    print(
        f"bench: {args.workers} workers x {args.threads} threads, {args.connections} clients, "
        f"{args.rounds} rounds of {size} per app and endpoint, Burrow and the baseline alternating, "
        f"load by {'wrk' if use_wrk else 'python'}, {os.cpu_count()} CPUs"
    )

    results: dict = {}
    try:
        for server in servers:
            procs = {}
            try:
                for app in ("burrow", "baseline"):
                    port = free_port()
                    procs[app] = (start_server(server, APPS[app], port, args.workers, args.threads), port)
                    wait_ready(procs[app][0], port, target["retrieve"], target["key"])
                for endpoint in ("retrieve", "list"):
                    results.update(measure(server, endpoint, procs, target, args, round_seconds, load))
            finally:
                for proc, _ in procs.values():
                    stop_server(proc)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)

    print(
        "\nBurrow/baseline (median of the rounds' ratios; latency ratios are baseline/Burrow, higher is better)"
    )
    print(
        f"  {'server':9} {'endpoint':9} {'req/s':>7} {'p50':>7} {'p99':>7} {'CPU':>7} {'goal':>6}  worker RSS"
    )
    for server in servers:
        for endpoint in ("retrieve", "list"):
            b, r = results[server, "burrow", endpoint], results[server, "baseline", endpoint]
            ratio = statistics.median(x / y for x, y in zip(b["rounds"], r["rounds"], strict=True))
            verdict = "ok" if ratio >= GOALS[endpoint] else "MISSED"
            print(
                f"  {server:9} {endpoint:9} {ratio:7.2f} {r['p50'] / b['p50']:7.2f} {r['p99'] / b['p99']:7.2f} "
                f"{r['cpu_ms'] / b['cpu_ms']:7.2f} {GOALS[endpoint]:>6}  {b['rss']:.0f} MB  {verdict}"
            )
    print(json.dumps({" ".join(k): v for k, v in results.items()}, indent=None))
    return 0


def measure(server: str, endpoint: str, procs: dict, target: dict, args, round_seconds: float, load) -> dict:
    """Both apps on one endpoint, in alternating rounds (Burrow first in even rounds, the baseline first in
    odd ones), so a slow spell on a shared machine falls on both; medians over the rounds."""
    path, key = target[endpoint], target["key"]
    if args.warmup:
        for app in ("burrow", "baseline"):
            load(procs[app][1], path, key, args.warmup)
    rounds: dict[str, list[dict]] = {"burrow": [], "baseline": []}
    sampler = RSSSampler(procs["burrow"][0].pid)
    sampler.start()
    for index in range(args.rounds):
        for app in ("burrow", "baseline") if index % 2 == 0 else ("baseline", "burrow"):
            proc, port = procs[app]
            cpu_before = cpu_seconds(proc.pid)
            result = load(port, path, key, round_seconds, args.requests)
            result["cpu_ms"] = (cpu_seconds(proc.pid) - cpu_before) * 1000 / max(1, result["requests"])
            rounds[app].append(result)
    rss = sampler.stop()
    measured = {}
    for app, runs in rounds.items():
        result = {
            name: statistics.median(run[name] for run in runs) for name in ("rps", "p50", "p99", "cpu_ms")
        }
        result["rounds"] = [run["rps"] for run in runs]
        result["rss"] = rss if app == "burrow" else 0.0
        measured[server, app, endpoint] = result
        print(
            f"  {server:9} {app:9} {endpoint:9} {result['rps']:8.1f} req/s  "
            f"p50 {result['p50']:7.2f} ms  p99 {result['p99']:7.2f} ms  "
            f"server CPU {result['cpu_ms']:6.2f} ms/request"
            + (f"  worker RSS {rss:5.1f} MB" if app == "burrow" else ""),
            flush=True,
        )
    return measured


if __name__ == "__main__":
    sys.exit(main())
