"""`burrow backup` while `burrow serve` takes writes, then `burrow restore` on a new data directory: the copy
opens, holds what was there before the backup, and decrypts a data source's stored password with the
restored secret key. A restore never overwrites data without --force, and refuses a folder that is not a
backup, changing nothing."""

import json
import os
import subprocess
import sys
import threading

import pytest

from tests.helpers import new_project
from tests.shell.test_cli import production_env, run_burrow

# Reads the one data source's decrypted URL with the installation's own settings.
READ_SECRET = """
import django
django.setup()
from burrow.queries.models import DataSource
print(DataSource.objects.get(name="warehouse").secret["url"])
"""
SOURCE_URL = "postgresql://reader:s3cret-pw@127.0.0.1:6543/analytics"


@pytest.fixture(autouse=True)
def sqlite_only():
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        pytest.skip(
            "backups of PostgreSQL are pg_dump's (the README); burrow backup copies the embedded database"
        )


def test_backup_while_serving_then_restore_elsewhere(serve_burrow, tmp_path):
    served = serve_burrow()
    api, info = new_project(served, "ops@example.com", "O", "P")
    environment = str(info["environment_id"])
    assert (
        served.burrow(
            "sources", "add", "--environment", environment, "--name", "warehouse", "--url", SOURCE_URL
        ).returncode
        == 0
    )
    rows = tmp_path / "signups.csv"
    rows.write_text("day,n\n2026-12-01,3\n2026-12-02,5\n")
    assert (
        served.burrow("warehouse", "load", "--environment", environment, "signups", str(rows)).returncode == 0
    )

    stop = threading.Event()
    written = []

    def keep_writing() -> None:
        while not stop.is_set():
            response = api.post("dashboards/", json={"name": f"during backup {len(written)}"})
            assert response.status_code == 201, response.text
            written.append(response.json()["id"])

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        while len(written) < 3:
            stop.wait(0.05)
        backup = tmp_path / "backup"
        done = served.burrow("backup", str(backup))
    finally:
        stop.set()
        writer.join()
    assert done.returncode == 0, done.stderr
    assert (backup / "secret_key").stat().st_mode & 0o777 == 0o600
    manifest = json.loads((backup / "burrow-backup.json").read_text())
    assert manifest["warehouses"] == [f"{environment}.duckdb"]

    elsewhere = production_env(tmp_path / "restored")
    restored = run_burrow(["restore", str(backup)], elsewhere)
    assert restored.returncode == 0, restored.stderr
    secret = subprocess.run(
        [sys.executable, "-c", READ_SECRET], env=elsewhere, capture_output=True, text=True, timeout=60
    )
    assert secret.stdout.strip() == SOURCE_URL, secret.stderr
    tables = run_burrow(["warehouse", "tables", "--environment", environment], elsewhere)
    assert "signups" in tables.stdout, tables.stderr
    keys = run_burrow(["keys", "list"], elsewhere)
    assert "ops@example.com" in keys.stdout

    again = run_burrow(["restore", str(backup)], elsewhere)
    assert again.returncode == 2 and "already holds data" in again.stderr and "--force" in again.stderr
    assert run_burrow(["restore", "--force", str(backup)], elsewhere).returncode == 0


def test_restore_refuses_what_is_not_a_backup_and_changes_nothing(tmp_path):
    env = production_env(tmp_path / "data")
    assert run_burrow(["migrate"], env).returncode == 0
    database = tmp_path / "data" / "burrow.sqlite3"
    before = database.read_bytes()
    fake = tmp_path / "not-a-backup"
    fake.mkdir()
    (fake / "burrow.sqlite3").write_text("hello")
    (fake / "burrow-backup.json").write_text('{"format": 1, "warehouses": []}')
    for path in (fake, tmp_path / "missing"):
        done = run_burrow(["restore", str(path)], env)
        assert done.returncode == 2 and "is not a Burrow backup" in done.stderr
    assert database.read_bytes() == before
    existing = run_burrow(["backup", str(fake)], env)
    assert existing.returncode == 2 and "already exists" in existing.stderr
