"""Production HTTP server for `burrow serve`: gunicorn with threaded workers. `bench/api.py` compared it with
granian (runner in bench/harness.py) on the same worker/thread counts; the numbers are in docs/benchmarks.md."""

import importlib
import logging
import re

from gunicorn.glogging import Logger

BURROW_APP = "burrow.wsgi:application"
# A share link's path is its secret: the access log keeps which kind of page it was, not the token.
_SECRET_PATH = re.compile(r"^/(shared|embedded)/[^/.]+")


class StructuredLogger(Logger):
    """gunicorn's own lines and its access log as one JSON object per line, like the rest of Burrow's
    logs; an access line carries the request's id (`X-Request-ID`), never its query string."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        from burrow.core.logs import StructuredFormatter

        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(StructuredFormatter())

    def access(self, resp, req, environ, request_time) -> None:
        if not self.access_log_enabled:
            return
        headers = {name.lower(): value for name, value in resp.headers}
        wsgi = environ  # the request's WSGI environment, not the process's variables
        self.access_log.log(
            logging.INFO,
            "request",
            extra={
                "method": wsgi.get("REQUEST_METHOD"),
                "path": _SECRET_PATH.sub(r"/\1/…", wsgi.get("PATH_INFO", "")),
                "status": resp.status_code,
                "duration_ms": round(request_time.total_seconds() * 1000, 1),
                "bytes": getattr(resp, "sent", None),
                "remote": wsgi.get("REMOTE_ADDR"),
                "request_id": headers.get("x-request-id"),
            },
        )


def _import_app(target: str):
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr or "application")


def gunicorn_options(host: str, port: int, workers: int, threads: int) -> dict:
    from django.conf import settings

    return {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread",
        "accesslog": "-",
        "logger_class": "burrow.server.StructuredLogger",
        "timeout": 60,
        "graceful_timeout": 20,
        # Recycle workers now and then so memory stays bounded over weeks of uptime.
        "max_requests": 20000,
        "max_requests_jitter": 2000,
        # Each worker listens on its own SO_REUSEPORT socket, so the kernel spreads connections over the
        # workers. On one shared socket, keep-alive clients (a proxy's pool, a load generator) often all land
        # on the worker that woke first while the others idle: half the throughput on 2 workers
        # (docs/benchmarks.md). The price: connections still queued on a worker being recycled (every
        # ~20,000 requests) are reset, and a client retries them. `burrow serve` refuses a port already in use.
        "reuse_port": True,
        # gunicorn's control socket (gunicorn 24+) in the data dir, never a shared ~/.gunicorn or runtime dir.
        "control_socket": str(settings.DATA_DIR / "gunicorn.ctl"),
    }


def run_server(host: str, port: int, workers: int, threads: int, app: str = BURROW_APP) -> int:
    from gunicorn.app.base import BaseApplication

    class _Application(BaseApplication):
        def load_config(self) -> None:
            for key, value in gunicorn_options(host, port, workers, threads).items():
                if key in self.cfg.settings:  # settings an older gunicorn lacks are left out
                    self.cfg.set(key, value)

        def load(self):
            return _import_app(app)

    _Application().run()
    return 0
