"""`/_health` and `/_readyz` as a load balancer sees them, including their 503 answers: a database with a
migration not yet applied, and a database that cannot be reached. Each runs Burrow's real WSGI application
(`burrow.wsgi`, what `burrow serve` loads) in a process of its own, with Burrow's own settings."""

import json
import os
import sqlite3
import subprocess
import sys

import pytest

# Calls the WSGI application once, as a server would, and prints the status code and the body.
PROBE = """
import sys
from wsgiref.util import setup_testing_defaults

from burrow.wsgi import application

path, _, query = sys.argv[1].partition("?")
environ = {"PATH_INFO": path, "QUERY_STRING": query}
setup_testing_defaults(environ)
status = []
body = b"".join(application(environ, lambda line, headers, exc_info=None: status.append(line)))
print(status[0].split()[0], body.decode())
"""


def _env(tmp_path, database_url: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in {"BURROW_TEST_DATA_DIR"}}
    env.update(
        DJANGO_SETTINGS_MODULE="burrow.settings",
        BURROW_DATA_DIR=str(tmp_path),
        BURROW_SECRET_KEY="health-test",
        BURROW_LOG_LEVEL="CRITICAL",
        DATABASE_URL=database_url,
    )
    return env


def _get(path: str, env: dict) -> tuple[int, str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, path], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    status, _, body = done.stdout.strip().partition(" ")
    return int(status), body


@pytest.fixture
def migrated(tmp_path):
    """A SQLite database with every migration applied by `burrow migrate`; yields (env, database file)."""
    database = tmp_path / "health.sqlite3"
    env = _env(tmp_path, f"sqlite:///{database}")
    done = subprocess.run(
        [sys.executable, "-m", "burrow.cli", "migrate"], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return env, database


def test_health_is_ok_once_migrations_are_applied_and_503_while_one_is_pending(migrated):
    env, database = migrated
    assert _get("/_health", env) == (200, "ok")

    # As after upgrading Burrow without running `burrow migrate`: the newest migration is not recorded.
    with sqlite3.connect(database) as connection:
        connection.execute("DELETE FROM django_migrations WHERE id = (SELECT max(id) FROM django_migrations)")
    assert _get("/_health", env) == (503, "Migrations are not up to date")


def test_readyz_reports_each_check_and_answers_503_when_the_database_cannot_be_reached(migrated, tmp_path):
    env, _ = migrated
    status, body = _get("/_readyz", env)
    assert (status, json.loads(body)) == (200, {"database": True, "migrations": True, "cache": True})

    # Nothing listens on port 1: the connection is refused at once.
    unreachable = _env(tmp_path, "postgres://postgres@127.0.0.1:1/burrow")
    status, body = _get("/_readyz", unreachable)
    assert (status, json.loads(body)) == (503, {"database": False, "migrations": False, "cache": True})
    assert _get("/_livez", unreachable) == (200, '{"http": true}')


def test_readyz_with_a_broker_nobody_listens_on_is_503_naming_the_broker(migrated):
    env, _ = migrated
    status, body = _get("/_readyz", {**env, "BURROW_BROKER_URL": "redis://127.0.0.1:1/0"})
    assert status == 503
    assert json.loads(body)["broker"] is False
    assert json.loads(body)["database"] is True


def test_readyz_roles_need_their_heartbeat_and_an_unknown_role_is_400(migrated):
    env, database = migrated
    assert _get("/_readyz?role=bogus", env) == (400, '{"error": "InvalidRole"}')
    status, body = _get("/_readyz?role=scheduler", env)
    assert (status, json.loads(body)["scheduler"]) == (503, False)

    with sqlite3.connect(database) as connection:
        connection.execute(
            "INSERT INTO core_heartbeat (process, role, host, pid, version, started_at, beat_at) "
            "VALUES ('scheduler@h:1', 'scheduler', 'h', 1, '0', datetime('now'), datetime('now'))"
        )
    status, body = _get("/_readyz?role=scheduler", env)
    assert (status, json.loads(body)["scheduler"]) == (200, True)
    status, body = _get("/_readyz?role=worker", env)
    assert (status, json.loads(body)["worker"]) == (503, False)
