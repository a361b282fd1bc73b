"""Helpers for the benchmarks: recreate a bench's PostgreSQL database, start and stop a WSGI server under
gunicorn or granian, sample worker memory, and load an endpoint with wrk (or a built-in Python load
generator, for a duration or a number of requests)."""

import http.client
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
# The database a bench recreates: --database-url, else this variable, else the bench's own default name.
DATABASE_URL_VARIABLE = "BENCH_DATABASE_URL"
LOCAL_POSTGRES = "postgres://postgres@127.0.0.1:5432"


# --- database ------------------------------------------------------------------------------------------


def default_database_url(name: str) -> str:
    return os.environ.get(DATABASE_URL_VARIABLE, f"{LOCAL_POSTGRES}/{name}")


def recreate_database(url: str) -> None:
    """Drops and creates the database `url` names, on a local PostgreSQL only (a bench never goes further)."""
    import psycopg

    parts = urlsplit(url)
    if parts.hostname not in ("127.0.0.1", "localhost"):
        raise SystemExit(f"bench: only a local PostgreSQL is used, not {parts.hostname}")
    name = parts.path.lstrip("/")
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise SystemExit(f"bench: refusing database name {name!r}")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


# --- servers -------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_granian(host: str, port: int, workers: int, threads: int, app: str) -> int:
    """Granian's WSGI interface, configured like `burrow serve`'s gunicorn (same workers, threads, access log)."""
    from granian import Granian
    from granian.constants import Interfaces

    Granian(
        app,
        address=host,
        port=port,
        interface=Interfaces.WSGI,
        workers=workers,
        blocking_threads=threads,
        log_access=True,
        respawn_failed_workers=True,
    ).serve()
    return 0


def serve(server: str, host: str, port: int, workers: int, threads: int, app: str) -> int:
    if server == "granian":
        return run_granian(host, port, workers, threads, app)
    from burrow.server import run_server

    return run_server(host, port, workers, threads, app)


def start_server(server: str, app: str, port: int, workers: int, threads: int) -> subprocess.Popen:
    """`app` is a WSGI application path such as "burrow.wsgi:application"."""
    code = (
        "import sys; from harness import serve; "
        f"sys.exit(serve({server!r}, '127.0.0.1', {port}, {workers}, {threads}, {app!r}))"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(BENCH_DIR), str(ROOT)])}
    return subprocess.Popen(
        [sys.executable, "-c", code],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def wait_ready(
    proc: subprocess.Popen, port: int, path: str, key: str | None = None, timeout: float = 30
) -> None:
    """Waits until `path` answers 200 (with the key as bearer when given); exits the bench otherwise."""
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"bench: server exited: {proc.stderr.read().decode()[-2000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", path, headers=headers)
            status = conn.getresponse().status
            conn.close()
            if status == 200:
                return
            raise SystemExit(f"bench: {path} answered {status}")
        except OSError:
            time.sleep(0.2)
    raise SystemExit("bench: server did not start")


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    proc.stderr.close()


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its descendants still running (a server and its workers)."""
    total = 0
    for each in [pid, *descendants(pid)]:
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of the whole line)
    return total / os.sysconf("SC_CLK_TCK")


class RSSSampler(threading.Thread):
    """Peak RSS of any single worker (a descendant of the server process) while the load runs."""

    def __init__(self, server_pid: int) -> None:
        super().__init__(daemon=True)
        self.server_pid = server_pid
        self.peak = 0.0
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(0.5):
            for pid in descendants(self.server_pid):
                self.peak = max(self.peak, rss_mb(pid))

    def stop(self) -> float:
        self.stopped.set()
        self.join()
        return self.peak


# --- load ----------------------------------------------------------------------------------------------


def wrk_load(port: int, path: str, key: str, connections: int, duration: float) -> dict:
    out = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{max(1, round(duration))}s",
            "--timeout",
            "10s",
            "--latency",
            "-H",
            f"Authorization: Bearer {key}",
            f"http://127.0.0.1:{port}{path}",
        ],
        capture_output=True,
        text=True,
        timeout=duration + 60,
        check=True,
    ).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    if errors or socket_errors:
        raise SystemExit(f"bench: errors under load:\n{out}")

    def latency(pct: str) -> float:
        value, unit = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "p50": latency("50"),
        "p99": latency("99"),
    }


class Budget:
    """When load stops: after `duration` seconds, or after `requests` requests in all (whichever is given)."""

    def __init__(self, duration: float | None, requests: int | None = None) -> None:
        if not duration and not requests:
            raise ValueError("a load needs a duration or a number of requests")
        self.deadline = time.monotonic() + duration if duration else None
        self.left = requests
        self.lock = threading.Lock()

    def take(self) -> bool:
        """True when one more request may be sent."""
        if self.deadline is not None and time.monotonic() >= self.deadline:
            return False
        if self.left is None:
            return True
        with self.lock:
            self.left -= 1
            return self.left >= 0


def run_clients(threads: list[threading.Thread], failures: list[str]) -> float:
    """Runs the load threads together; the seconds they took. Exits the bench when any request failed."""
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    if failures:
        raise SystemExit(f"bench: errors under load: {failures[:5]}")
    return elapsed


def python_load(
    port: int, path: str, key: str, connections: int, duration: float | None, requests: int | None = None
) -> dict:
    latencies: list[list[float]] = [[] for _ in range(connections)]
    failures: list[str] = []
    budget = Budget(duration, requests)
    headers = {"Authorization": f"Bearer {key}"}

    def client(samples: list[float]) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        while budget.take():
            start = time.perf_counter()
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                failures.append(str(response.status))
                return
            samples.append((time.perf_counter() - start) * 1000)
        conn.close()

    elapsed = run_clients([threading.Thread(target=client, args=(s,)) for s in latencies], failures)
    merged = [x for samples in latencies for x in samples]
    p50, p99 = percentiles(merged)
    return {"rps": len(merged) / elapsed, "requests": len(merged), "p50": p50, "p99": p99}


def percentiles(samples: list[float]) -> tuple[float, float]:
    """(p50, p99); exits the bench when too few requests completed to tell."""
    if len(samples) < 2:
        raise SystemExit(f"bench: only {len(samples)} request(s) completed: run longer")
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return cuts[49], cuts[98]
