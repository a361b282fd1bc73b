"""Production HTTP server for `burrow serve`: gunicorn with threaded workers. `bench/api.py` compared it with
granian (runner in bench/harness.py) on the same worker/thread counts; the numbers are in docs/benchmarks.md."""

import importlib

BURROW_APP = "burrow.wsgi:application"


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


def run_server(host: str, port: int, workers: int, threads: int, app: str = BURROW_APP) -> int:
    from gunicorn.app.base import BaseApplication

    class _Application(BaseApplication):
        def load_config(self) -> None:
            for key, value in gunicorn_options(host, port, workers, threads).items():
                self.cfg.set(key, value)

        def load(self):
            return _import_app(app)

    _Application().run()
    return 0
