"""Real Burrow processes (scheduler, Celery worker) on the test database, for crash and hand-over tests."""

import os
import subprocess
import sys

from django.db import connection


def database_url() -> str:
    """The test database, as a DATABASE_URL for a child process (tests using it commit their data)."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def burrow_process(args: list[str], settings, sink, **env: str) -> subprocess.Popen:
    """`burrow <args>` with a 2-second delivery lease, mailing into `sink`."""
    environment = dict(
        os.environ,
        DATABASE_URL=database_url(),
        BURROW_DATA_DIR=str(settings.DATA_DIR),
        BURROW_EMAIL_URL=sink.url,
        BURROW_DELIVERY_LEASE_SECONDS="2",
        BURROW_LOG_LEVEL="WARNING",
    )
    environment.pop("BURROW_BROKER_URL", None)
    environment.update(env)
    return subprocess.Popen([sys.executable, "-m", "burrow.cli", *args], env=environment)
