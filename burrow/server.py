"""Production HTTP server for `burrow serve`: gunicorn with threaded workers (see docs/benchmarks.md).

`bench/api.py` runs Burrow and its raw baseline under both gunicorn (gthread) and granian (WSGI) with the
same worker/thread counts; the numbers that picked gunicorn are in docs/benchmarks.md."""

import importlib

BURROW_APP = "burrow.wsgi:application"
SERVERS = ("gunicorn", "granian")
DEFAULT_SERVER = "gunicorn"


def _import_app(target: str):
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr or "application")


def gunicorn_options(host: str, port: int, workers: int, threads: int) -> dict:
    return {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread",
        "accesslog": "-",
        "timeout": 60,
        "graceful_timeout": 20,
        # Recycle workers now and then so memory stays bounded over weeks of uptime.
        "max_requests": 20000,
        "max_requests_jitter": 2000,
    }


def run_gunicorn(host: str, port: int, workers: int, threads: int, app: str = BURROW_APP) -> int:
    from gunicorn.app.base import BaseApplication

    class _Application(BaseApplication):
        def load_config(self) -> None:
            for key, value in gunicorn_options(host, port, workers, threads).items():
                self.cfg.set(key, value)

        def load(self):
            return _import_app(app)

    _Application().run()
    return 0


def run_granian(host: str, port: int, workers: int, threads: int, app: str = BURROW_APP) -> int:
    """Granian's WSGI interface, configured like the gunicorn setup (same workers, threads, access log)."""
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


def run_server(
    host: str, port: int, workers: int, threads: int, server: str = DEFAULT_SERVER, app: str = BURROW_APP
) -> int:
    runner = {"gunicorn": run_gunicorn, "granian": run_granian}[server]
    return runner(host, port, workers, threads, app)
