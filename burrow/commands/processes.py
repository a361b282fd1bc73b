"""`burrow serve`, `scheduler` and `worker`: the long-running processes; and `migrate`, which `serve` also
does before it starts."""

import argparse
import logging
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

from burrow.commands import fail
from burrow.config import env_number


def add_parsers(commands: argparse._SubParsersAction) -> None:
    serve = commands.add_parser("serve", help="serve the API (and run the scheduler)")
    serve.add_argument("--host", default="127.0.0.1", help="the address to listen on (default: %(default)s)")
    serve.add_argument("--port", type=int, default=8000, help="the port to listen on (default: %(default)s)")
    workers = env_number("BURROW_WEB_WORKERS", 2, minimum=1, whole=True)
    threads = env_number("BURROW_WEB_THREADS", 4, minimum=1, whole=True)
    serve.add_argument(
        "--workers",
        type=int,
        default=workers,
        help="web worker processes (default: %(default)s; BURROW_WEB_WORKERS)",
    )
    serve.add_argument(
        "--threads",
        type=int,
        default=threads,
        help="threads per web worker (default: %(default)s; BURROW_WEB_THREADS)",
    )
    serve.add_argument(
        "--no-scheduler",
        action="store_true",
        help="do not run the delivery scheduler (by default it runs as a supervised child process)",
    )
    serve.set_defaults(func=cmd_serve)

    scheduler = commands.add_parser("scheduler", help="run the delivery scheduler on its own")
    scheduler.add_argument(
        "--interval", type=float, help="seconds between ticks (default: BURROW_SCHEDULER_INTERVAL, else 30)"
    )
    scheduler.add_argument("--once", action="store_true", help="run one tick and exit")
    scheduler.set_defaults(func=cmd_scheduler)

    worker = commands.add_parser(
        "worker", help="run Celery workers for deliveries and background queries (needs BURROW_BROKER_URL)"
    )
    worker.add_argument(
        "--concurrency",
        type=int,
        default=4,
        help="deliveries run at once, one process each (default: %(default)s)",
    )
    worker.set_defaults(func=cmd_worker)

    migrate = commands.add_parser("migrate", help="apply database migrations")
    migrate.add_argument("--verbose", action="store_true", help="name each migration as it is applied")
    migrate.add_argument(
        "--accept-secret-key",
        action="store_true",
        help="make the current secret key the installation's (after replacing it on purpose)",
    )
    migrate.set_defaults(func=cmd_migrate)


def cmd_migrate(args: argparse.Namespace) -> int:
    from django.conf import settings
    from django.core.management import call_command

    from burrow.core.keys import remember_secret_key, secret_key_mismatch

    database = settings.DATABASES["default"]
    new_file = database["ENGINE"].endswith("sqlite3") and not os.path.exists(database["NAME"])
    call_command("migrate", interactive=False, verbosity=1 if args.verbose else 0)
    if new_file:
        print(f"burrow: created the database {database['NAME']}")
    if args.accept_secret_key:
        remember_secret_key()
        print("burrow: this secret key is now the installation's")
    elif mismatch := secret_key_mismatch():
        print(f"burrow: warning: {mismatch}", file=sys.stderr)
    print("burrow: database is up to date")
    return 0


def _port_in_use(host: str, port: int) -> str | None:
    """Why the server could not listen on host:port, before anything else starts; None when it can."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn binds
        try:
            probe.bind((host, port))
        except OSError as error:
            return (
                f"cannot listen on {host}:{port}: {error.strerror or error}. Stop what uses port {port}, or "
                f"choose another: `burrow serve --port 8001` (`make run PORT=8001`)"
            )
    return None


def cmd_serve(args: argparse.Namespace) -> int:
    from django.core.management import call_command

    from burrow.core.keys import secret_key_mismatch
    from burrow.server import run_server

    if busy := _port_in_use(args.host, args.port):
        return fail(busy)
    call_command("migrate", interactive=False, verbosity=0)
    _fresh_metrics()
    for warning in filter(None, (secret_key_mismatch(), _embedded_beside_shared())):
        logging.getLogger("burrow.cli").warning(warning)  # the server's output is JSON log lines
    _collect_static()
    scheduler = None
    if not args.no_scheduler:
        # The scheduler lives in its own supervised process: forking web workers from a process that runs
        # threads is unsafe, and keeping chart rendering out of web workers keeps their memory small. Web
        # workers wake it through burrow.subscriptions.wakeup when they queue a delivery.
        scheduler = subprocess.Popen(
            [sys.executable, "-m", "burrow.supervisor", "--", sys.executable, "-m", "burrow.cli", "scheduler"]
        )
    try:
        return run_server(args.host, args.port, args.workers, args.threads)
    finally:
        if scheduler is not None:
            scheduler.send_signal(signal.SIGTERM)
            try:
                scheduler.wait(timeout=15)
            except subprocess.TimeoutExpired:
                scheduler.kill()


def _embedded_beside_shared() -> str | None:
    """With a shared database (PostgreSQL), embedded warehouses in this machine's data dir are seen by this
    machine only: say so at start-up."""
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        return None
    warehouses = sorted(Path(settings.DATA_DIR, "warehouses").glob("*.duckdb"))
    if not warehouses:
        return None
    return (
        f"{len(warehouses)} embedded warehouse(s) in {settings.DATA_DIR}/warehouses beside a shared database: "
        "other machines cannot read them. With several machines, add PostgreSQL or ClickHouse data sources "
        "(`burrow sources add`) instead."
    )


def _fresh_metrics() -> None:
    """Counters start again with the server: the samples of processes that have ended (an earlier run's) are
    removed. Those of processes still running on this data dir (a `burrow worker` beside it) stay: removing a
    running process's file would hide its samples until it restarts."""
    from django.conf import settings

    for sample in settings.METRICS_DIR.glob("*.db") if settings.METRICS_DIR.is_dir() else []:
        pid = re.search(r"_(\d+)\.db$", sample.name)  # prometheus-client names them <kind>_<pid>.db
        if pid is None or not _running(int(pid[1])):
            sample.unlink(missing_ok=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def _collect_static() -> None:
    """Collects the static files (Swagger UI, Redoc, page scripts) into STATIC_ROOT in the data dir, under
    content-hashed names with gzip copies, before the web workers start: WhiteNoise in each worker serves what
    is there. Compressing takes seconds, so it is skipped when the source files are the ones collected last
    time; the record of that, `<STATIC_ROOT>.collected`, is also the lock that keeps servers starting at
    once apart."""
    import fcntl
    import hashlib

    from django.conf import settings
    from django.contrib.staticfiles.finders import get_finders
    from django.core.management import call_command

    from burrow.config import private_opener

    files = sorted(storage.path(path) for finder in get_finders() for path, storage in finder.list(None))
    sources = hashlib.sha256(f"{settings.STATIC_URL}{settings.STORAGES['staticfiles']}".encode())
    for file in files:
        stat = os.stat(file)
        sources.update(f"{file}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    manifest = os.path.join(settings.STATIC_ROOT, "staticfiles.json")
    with open(f"{settings.STATIC_ROOT}.collected", "a+", opener=private_opener) as record:
        fcntl.flock(record, fcntl.LOCK_EX)
        record.seek(0)
        if record.read() != sources.hexdigest() or not os.path.exists(manifest):
            call_command("collectstatic", interactive=False, verbosity=0)
            record.truncate(0)
            record.write(sources.hexdigest())


def cmd_scheduler(args: argparse.Namespace) -> int:
    from burrow.subscriptions.scheduler import run_scheduler

    run_scheduler(interval=args.interval, once=args.once)
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    from burrow.core.workers import run_worker

    return run_worker(concurrency=args.concurrency)
