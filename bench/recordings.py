"""Session-recording ingestion benchmark: concurrent clients POST `$snapshot` batches to `/s/` as posthog-js
sends them (gzip bodies, one session and window per request, a batch every 2 seconds of recording), to
`burrow serve`'s server (gunicorn gthread, 2 workers x 4 threads), on PostgreSQL, with durability on (each
block written and fsynced to the file store, then its row committed, before the answer).

Reports requests, rrweb events and megabytes accepted per second (gzip bodies as sent, and the events they
carry), the acknowledgement latency seen by the clients (p50, p99) and inside the server, the peak worker
RSS, and the bytes stored per minute of recording. Every request is then checked to be stored exactly once.

    .venv/bin/python bench/recordings.py                    # 200 sessions of a minute (6,000 requests)
    .venv/bin/python bench/recordings.py --sessions 20 --batches 30 --clients 4
    .venv/bin/python bench/recordings.py --sessions 4 --batches 5 --clients 2 --workers 1 --threads 2   # smoke

Needs PostgreSQL (default postgres://postgres@127.0.0.1:5432, trust auth); the database named by
--database-url (default $BENCH_DATABASE_URL, else burrow_bench_recordings) is dropped and recreated. Only
127.0.0.1 is contacted."""

import argparse
import gzip
import http.client
import json
import os
import shutil
import sys
import tempfile
import threading
import time
import uuid

from api import setup_django
from harness import (
    RSSSampler,
    default_database_url,
    free_port,
    percentiles,
    recreate_database,
    run_clients,
    start_server,
    stop_server,
    wait_ready,
)

BATCH_MS = 2000  # posthog-js sends what it recorded every two seconds
START_MS = 1_765_000_000_000


def page_snapshot(nodes: int) -> dict:
    """A full snapshot of a page of `nodes` paragraphs (about 100 bytes each)."""
    paragraphs = [
        {
            "type": 2,
            "tagName": "p",
            "attributes": {"class": "row"},
            "childNodes": [
                {
                    "type": 3,
                    "textContent": f"Line {n}: the quick brown fox jumps over it",
                    "id": 10 + 2 * n + 1,
                }
            ],
            "id": 10 + 2 * n,
        }
        for n in range(nodes)
    ]
    body = {"type": 2, "tagName": "body", "attributes": {}, "childNodes": paragraphs, "id": 3}
    html = {"type": 2, "tagName": "html", "attributes": {}, "childNodes": [body], "id": 2}
    return {"node": {"type": 0, "childNodes": [html], "id": 1}, "initialOffset": {"left": 0, "top": 0}}


def batch_events(session: int, number: int) -> list[dict]:
    """Two seconds of a visit: mouse movement, a scroll, sometimes a click, typing and a DOM change; the
    first batch of a session starts with its page (meta and full snapshot)."""
    start = START_MS + session * 3_600_000 + number * BATCH_MS
    events = []
    if number == 0:
        events.append(
            {
                "type": 4,
                "data": {"href": f"https://shop.example/p/{session}", "width": 1280, "height": 800},
                "timestamp": start,
            }
        )
        events.append({"type": 2, "data": page_snapshot(400), "timestamp": start + 1})
    for step in range(20):
        at = start + 100 * step
        positions = [{"x": 10 * step + k, "y": 5 * k, "id": 3, "timeOffset": -20 * k} for k in range(5)]
        events.append({"type": 3, "data": {"source": 1, "positions": positions}, "timestamp": at})
    events.append(
        {"type": 3, "data": {"source": 3, "id": 1, "x": 0, "y": 40 * number}, "timestamp": start + 1500}
    )
    if number % 3 == 0:
        events.append(
            {
                "type": 3,
                "data": {"source": 2, "type": 2, "id": 12, "x": 40, "y": 80},
                "timestamp": start + 1600,
            }
        )
        events.append(
            {
                "type": 3,
                "data": {"source": 5, "text": "hello"[: number % 5 + 1], "isChecked": False, "id": 14},
                "timestamp": start + 1700,
            }
        )
        adds = [
            {
                "parentId": 3,
                "nextId": None,
                "node": {"type": 3, "textContent": f"added {number}", "id": 100_000 + number},
            }
        ]
        events.append(
            {
                "type": 3,
                "data": {"source": 0, "texts": [], "attributes": [], "removes": [], "adds": adds},
                "timestamp": start + 1800,
            }
        )
    return events


def request_body(token: str, session: int, number: int) -> tuple[bytes, int, int]:
    """(gzip body, events, uncompressed bytes) of one request, as posthog-js posts it."""
    events = batch_events(session, number)
    payload = [
        {
            "event": "$snapshot",
            "uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"bench/{session}/{number}")),
            "properties": {
                "$snapshot_data": events,
                "$session_id": f"bench-session-{session}",
                "$window_id": f"bench-window-{session}",
                "$snapshot_bytes": len(json.dumps(events)),
                "token": token,
                "distinct_id": f"visitor-{session}",
            },
        }
    ]
    raw = json.dumps(payload).encode()
    return gzip.compress(raw), len(events), len(raw)


def seed() -> str:
    from django.core.management import call_command

    from burrow.core.bootstrap import bootstrap

    call_command("migrate", interactive=False, verbosity=0)
    return bootstrap("bench@burrow.local", "Bench organization", "Bench project", ["*"]).as_json()[
        "api_token"
    ]


def load(port: int, bodies: list[tuple[bytes, int, int]], clients: int) -> dict:
    """Each client sends its share of the bodies in order (a session's batches in sequence)."""
    client_ms: list[float] = []
    server_ms: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()

    def client(mine: list[tuple[bytes, int, int]]) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for body, _, _ in mine:
            started = time.perf_counter()
            conn.request("POST", "/s/?ver=1.449.2", body=body, headers={"Content-Type": "text/plain"})
            response = conn.getresponse()
            response.read()
            elapsed = (time.perf_counter() - started) * 1000
            if response.status != 200:
                failures.append(str(response.status))
                break
            app = float(response.getheader("Server-Timing").split(",")[0].split("dur=")[1])
            with lock:
                client_ms.append(elapsed)
                server_ms.append(app)
        conn.close()

    shares = [bodies[n::clients] for n in range(clients)]
    elapsed = run_clients([threading.Thread(target=client, args=(share,)) for share in shares], failures)
    client_p50, client_p99 = percentiles(client_ms)
    server_p50, server_p99 = percentiles(server_ms)
    return {
        "elapsed": elapsed,
        "client_p50": client_p50,
        "client_p99": client_p99,
        "server_p50": server_p50,
        "server_p99": server_p99,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=200, help="recorded sessions")
    parser.add_argument(
        "--batches", type=int, default=30, help="requests per session (2 s of recording each)"
    )
    parser.add_argument("--clients", type=int, default=8, help="concurrent keep-alive clients")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--database-url", default=default_database_url("burrow_bench_recordings"))
    args = parser.parse_args(argv)

    data_dir = tempfile.mkdtemp(prefix="burrow-bench-recordings-")
    recreate_database(args.database_url)
    setup_django(args.database_url, data_dir)
    token = seed()
    from django.db import connections

    connections.close_all()
    # Session by session, so concurrent clients send different sessions, each in order.
    bodies = [request_body(token, s, n) for n in range(args.batches) for s in range(args.sessions)]
    sent_bytes = sum(len(body) for body, _, _ in bodies)
    events = sum(count for _, count, _ in bodies)
    raw_bytes = sum(raw for _, _, raw in bodies)
    print(
        f"bench: {len(bodies):,} requests ({args.sessions} sessions x {args.batches} batches of 2 s, "
        f"{events:,} rrweb events, {sent_bytes / 1e6:.1f} MB gzip / {raw_bytes / 1e6:.1f} MB JSON), "
        f"{args.workers} workers x {args.threads} threads (gunicorn), {args.clients} clients, "
        f"{os.cpu_count()} CPUs, file store with fsync",
        flush=True,
    )
    port = free_port()
    proc = start_server("gunicorn", "sharing:timed_application", port, args.workers, args.threads)
    try:
        wait_ready(proc, port, "/_health", timeout=60)
        sampler = RSSSampler(proc.pid)
        sampler.start()
        result = load(port, bodies, args.clients)
        rss = sampler.stop()
    finally:
        stop_server(proc)

    from django.db.models import Sum

    from burrow.recordings.models import Recording, SnapshotBlock

    blocks = SnapshotBlock.objects.count()
    stored = SnapshotBlock.objects.aggregate(total=Sum("size_bytes"))["total"] or 0
    minutes = sum(r.duration_seconds for r in Recording.objects.all()) / 60
    shutil.rmtree(data_dir, ignore_errors=True)
    seconds = result["elapsed"]
    print(
        f"  snapshots {len(bodies) / seconds:8,.1f} req/s {events / seconds:10,.0f} events/s "
        f"{sent_bytes / seconds / 1e6:6.2f} MB/s gzip {raw_bytes / seconds / 1e6:6.2f} MB/s JSON | "
        f"ack p50 {result['client_p50']:6.2f} ms p99 {result['client_p99']:6.2f} ms | server p50 "
        f"{result['server_p50']:6.2f} ms p99 {result['server_p99']:6.2f} ms | peak worker RSS {rss:5.1f} MB"
    )
    print(
        f"  stored {blocks:,} blocks for {len(bodies):,} requests ({'each once' if blocks == len(bodies) else 'MISMATCH'})"
    )
    print(f"  {stored / minutes / 1e3:,.1f} kB stored per minute of recording ({minutes:,.1f} minutes)")
    return 0 if blocks == len(bodies) else 1


if __name__ == "__main__":
    sys.exit(main())
