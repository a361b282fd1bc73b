"""Starting Burrow says what is wrong in one line and what to do: a busy port (before anything starts), a
database URL it cannot use or a database that is not there, a secret key that is not the one the database
was made with; a new installation says what it created; gunicorn's control socket stays in the data dir."""

import os
import socket
import subprocess
import sys

import pytest

from tests.shell.test_cli import production_env, run_burrow


def embedded_env(data_dir) -> dict:
    """An installation on its embedded SQLite file, whatever database the suite itself runs on."""
    env = production_env(data_dir)
    env.pop("DATABASE_URL", None)
    return env


def test_a_new_data_dir_says_what_was_created(tmp_path):
    env = embedded_env(tmp_path / "fresh")
    done = run_burrow(["migrate"], env)
    assert done.returncode == 0, done.stderr
    assert f"created the data directory {tmp_path / 'fresh'}" in done.stderr
    assert f"created a secret key in {tmp_path / 'fresh' / 'secret_key'}" in done.stderr
    assert f"created the database {tmp_path / 'fresh' / 'burrow.sqlite3'}" in done.stdout
    again = run_burrow(["migrate"], env)
    assert "created" not in again.stdout + again.stderr


def test_a_busy_port_fails_at_once_naming_it(tmp_path):
    env = embedded_env(tmp_path)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "burrow.cli", "serve", "--port", str(port), "--workers", "1"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr
    assert "make run PORT=8001" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "burrow.sqlite3").exists()  # nothing started: not even migrations


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("mysql://root:hunter2@127.0.0.1/burrow", "DATABASE_URL must be sqlite:///"),
        ("postgres://postgres@127.0.0.1:1/burrow", "cannot use the database"),
    ],
)
def test_a_database_it_cannot_use_is_one_line(tmp_path, url, said):
    done = run_burrow(["migrate"], {**production_env(tmp_path), "DATABASE_URL": url})
    assert done.returncode == 2
    assert said in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 + done.stderr.count("burrow: created")
    assert "hunter2" not in done.stderr


def test_a_missing_postgresql_database_says_to_create_it(tmp_path):
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        pytest.skip("needs the PostgreSQL server of the PostgreSQL run")
    server = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
    done = run_burrow(
        ["migrate"], {**production_env(tmp_path), "DATABASE_URL": f"{server}/burrow_no_such_db"}
    )
    assert done.returncode == 2
    assert "does not exist" in done.stderr and "createdb" in done.stderr and "Traceback" not in done.stderr


def test_another_secret_key_is_noticed_until_accepted(tmp_path):
    env = embedded_env(tmp_path)
    assert run_burrow(["migrate"], env).returncode == 0
    swapped = {**env, "BURROW_SECRET_KEY": "a-different-key-than-the-one-in-the-data-dir"}
    warned = run_burrow(["migrate"], swapped)
    assert warned.returncode == 0
    assert "is not the one that made this database's API keys" in warned.stderr
    assert "burrow migrate --accept-secret-key" in warned.stderr
    assert run_burrow(["migrate", "--accept-secret-key"], swapped).returncode == 0
    assert "is not the one" not in run_burrow(["migrate"], swapped).stderr
    assert "is not the one" in run_burrow(["migrate"], env).stderr  # the old key is now the stranger


def test_embedded_warehouses_beside_a_shared_database_are_named(settings, tmp_path, monkeypatch):
    from burrow.commands.processes import _embedded_beside_shared

    settings.DATA_DIR = tmp_path
    (tmp_path / "warehouses").mkdir()
    (tmp_path / "warehouses" / "1.duckdb").write_bytes(b"")
    monkeypatch.setitem(settings.DATABASES["default"], "ENGINE", "django.db.backends.sqlite3")
    assert _embedded_beside_shared() is None  # one machine: its own embedded files are fine
    monkeypatch.setitem(settings.DATABASES["default"], "ENGINE", "django.db.backends.postgresql")
    warning = _embedded_beside_shared()
    assert "1 embedded warehouse(s)" in warning and "other machines cannot read them" in warning
