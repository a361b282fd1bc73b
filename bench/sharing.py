"""Share-page benchmark: server time of the public share pages of a 20-tile dashboard under concurrent
clients, on PostgreSQL, under `burrow serve`'s server (gunicorn gthread, 2 workers x 4 threads):

  page      GET /shared/:token          (the HTML page: 20 tiles, each with its chart's data)
  json      GET /shared/:token.json     (the same dashboard as JSON)
  session   GET /shared/:token          (a password-protected share, opened by its session cookie)

Server time is measured inside the worker (a WSGI wrapper around `burrow.wsgi` times each request and
sends it back as `Server-Timing`), so time spent in the load generator and the network does not count; it
still includes waiting for the CPU (the GIL, other processes), which the request's own CPU time (the
thread's, also reported) does not. Client-side latency is printed beside them. Goals: page p50 < 30 ms server time; worker RSS < 150 MB after
10,000 page views (the last phase serves them, then reads every worker's RSS).

    .venv/bin/python bench/sharing.py                     # 10 s per endpoint, 8 clients, 10,000 views
    .venv/bin/python bench/sharing.py --duration 5 --views 2000
    .venv/bin/python bench/sharing.py --requests 60 --warmup 0 --clients 3 --workers 1 --threads 2 \
        --tiles 4 --views 60                                # smoke run (the test suite's)

Needs PostgreSQL (default postgres://postgres@127.0.0.1:5432, trust auth); the database named by
--database-url (default $BENCH_DATABASE_URL, else burrow_bench_sharing) is dropped and recreated. Only
127.0.0.1 is contacted."""

import argparse
import http.client
import os
import shutil
import sys
import tempfile
import threading
import time

from api import setup_django
from harness import (
    Budget,
    RSSSampler,
    default_database_url,
    descendants,
    free_port,
    percentiles,
    recreate_database,
    rss_mb,
    run_clients,
    start_server,
    stop_server,
    wait_ready,
)

PASSWORD = "bench password"
WEEK = [f"2025-01-{day:02d}" for day in range(1, 31)]


def timed_application(environ, start_response):
    """burrow.wsgi with the request's server time in a `Server-Timing: app;dur=<ms>` header."""
    from burrow.wsgi import application

    started, cpu_started = time.perf_counter(), time.thread_time()
    captured = {}

    def capture(status, headers, exc_info=None):
        captured["status"], captured["headers"], captured["exc_info"] = status, headers, exc_info

    body = b"".join(application(environ, capture))
    elapsed = (time.perf_counter() - started) * 1000
    cpu = (time.thread_time() - cpu_started) * 1000
    timing = f"app;dur={elapsed:.3f}, cpu;dur={cpu:.3f}"
    start_response(
        captured["status"], [*captured["headers"], ("Server-Timing", timing)], captured["exc_info"]
    )
    return [body]


def seed(tiles: int) -> dict:
    """A tenant with two shared 20-tile dashboards (one password-protected) over insights that carry a
    ~1 kB result each (two series of 30 days)."""
    from django.core.management import call_command

    from burrow.analytics.models import Dashboard, DashboardTile, Insight
    from burrow.core.bootstrap import bootstrap
    from burrow.core.models import Team, User
    from burrow.sharing import access, services

    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    boot = bootstrap("bench@burrow.local", "Bench organization", "Bench project", ["*"]).as_json()
    team = Team.objects.get(id=boot["environment_id"])
    user = User.objects.get(id=boot["user_id"])
    insights = Insight.objects.bulk_create(
        Insight(
            team=team,
            name=f"Pageviews by browser {i}",
            description="Daily pageviews, broken down by browser",
            query={
                "kind": "InsightVizNode",
                "source": {"kind": "TrendsQuery", "display": "ActionsLineGraph"},
            },
            result=[
                {"label": "Chrome", "labels": WEEK, "data": [(i * 7 + d * 13) % 97 for d in range(30)]},
                {"label": "Firefox", "labels": WEEK, "data": [(i * 5 + d * 11) % 53 for d in range(30)]},
            ],
            created_by=user,
        )
        for i in range(tiles)
    )
    paths = {}
    for name, protected in (("open", False), ("protected", True)):
        dashboard = Dashboard.objects.create(team=team, name=f"Growth ({name})", created_by=user)
        DashboardTile.objects.bulk_create(
            DashboardTile(
                dashboard=dashboard,
                insight=insight,
                layouts={"sm": {"x": (j % 2) * 6, "y": (j // 2) * 5, "w": 6, "h": 5}},
            )
            for j, insight in enumerate(insights)
        )
        shared = services.SharedResource("dashboard", dashboard)
        config = services.update(team, shared, user, {"enabled": True, "password_required": protected})
        if protected:
            password, _ = services.create_password(team, shared, user, PASSWORD, None)
            paths["cookie"] = f"{access.SESSION_COOKIE}={access.issue_session(config, password)}"
            paths["session"] = f"/shared/{config.access_token}"
        else:
            paths["page"] = f"/shared/{config.access_token}"
            paths["json"] = f"/shared/{config.access_token}.json"
    return paths


def load(port: int, path: str, cookie: str, clients: int, duration: float | None, views: int | None) -> dict:
    """`clients` keep-alive clients GET `path` until `duration` seconds or `views` requests in all."""
    server_ms: list[float] = []
    cpu_ms: list[float] = []
    client_ms: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    budget = Budget(duration, views)
    headers = {"Cookie": cookie} if cookie else {}

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while budget.take():
            started = time.perf_counter()
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            elapsed = (time.perf_counter() - started) * 1000
            if response.status != 200:
                failures.append(str(response.status))
                break
            app, cpu = (
                float(part.split("dur=")[1]) for part in response.getheader("Server-Timing").split(",")
            )
            with lock:
                client_ms.append(elapsed)
                server_ms.append(app)
                cpu_ms.append(cpu)
        conn.close()

    elapsed = run_clients([threading.Thread(target=client) for _ in range(clients)], failures)
    server_p50, server_p99 = percentiles(server_ms)
    cpu_p50, cpu_p99 = percentiles(cpu_ms)
    client_p50, client_p99 = percentiles(client_ms)
    return {
        "requests": len(server_ms),
        "rps": len(server_ms) / elapsed,
        "server_p50": server_p50,
        "server_p99": server_p99,
        "cpu_p50": cpu_p50,
        "cpu_p99": cpu_p99,
        "client_p50": client_p50,
        "client_p99": client_p99,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of load per endpoint")
    parser.add_argument("--requests", type=int, help="requests per endpoint instead of --duration")
    parser.add_argument(
        "--warmup", type=float, default=2.0, help="seconds of load before each endpoint (0: none)"
    )
    parser.add_argument("--clients", type=int, default=8, help="concurrent keep-alive clients")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--tiles", type=int, default=20)
    parser.add_argument("--views", type=int, default=10_000, help="page views before reading worker RSS")
    parser.add_argument("--database-url", default=default_database_url("burrow_bench_sharing"))
    args = parser.parse_args(argv)
    duration, requests = (None, args.requests) if args.requests else (args.duration, None)

    data_dir = tempfile.mkdtemp(prefix="burrow-bench-sharing-")
    recreate_database(args.database_url)
    setup_django(args.database_url, data_dir)
    paths = seed(args.tiles)
    from django.db import connections

    connections.close_all()
    print(
        f"bench: {args.tiles}-tile dashboard, {args.workers} workers x {args.threads} threads (gunicorn), "
        f"{args.clients} clients, {f'{requests} requests' if requests else f'{duration:g} s'} per endpoint, {os.cpu_count()} CPUs"
    )
    port = free_port()
    proc = start_server("gunicorn", "sharing:timed_application", port, args.workers, args.threads)
    results = {}
    try:
        wait_ready(proc, port, paths["page"], timeout=60)
        for name in ("page", "json", "session"):
            cookie = paths["cookie"] if name == "session" else ""
            if args.warmup:
                load(port, paths[name], cookie, args.clients, args.warmup, None)
            sampler = RSSSampler(proc.pid)
            sampler.start()
            result = load(port, paths[name], cookie, args.clients, duration, requests)
            result["rss"] = sampler.stop()
            results[name] = result
            print(
                f"  {name:8} {result['rps']:6.1f} req/s  server p50 {result['server_p50']:6.2f} ms "
                f"p99 {result['server_p99']:6.2f} ms | CPU p50 {result['cpu_p50']:5.2f} ms "
                f"p99 {result['cpu_p99']:5.2f} ms | client p50 {result['client_p50']:6.2f} ms "
                f"p99 {result['client_p99']:6.2f} ms | peak worker RSS {result['rss']:5.1f} MB",
                flush=True,
            )
        before = max(rss_mb(pid) for pid in descendants(proc.pid))
        views = load(port, paths["page"], "", args.clients, None, args.views)
        after = {pid: rss_mb(pid) for pid in descendants(proc.pid)}
        print(
            f"  {views['requests']} more page views: worker RSS {before:.1f} MB before, "
            + ", ".join(f"{mb:.1f}" for mb in after.values())
            + f" MB after (server p50 {views['server_p50']:.2f} ms)"
        )
    finally:
        stop_server(proc)
        shutil.rmtree(data_dir, ignore_errors=True)

    page = results["page"]["server_p50"]
    print(f"\npage p50 server time {page:.2f} ms (goal < 30 ms): {'ok' if page < 30 else 'MISSED'}")
    worst = max(after.values())
    print(
        f"worker RSS after {args.views} views {worst:.1f} MB (goal < 150 MB): {'ok' if worst < 150 else 'MISSED'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
