"""`burrow backup PATH` and `burrow restore PATH [--force]`: a consistent copy of an embedded installation
while it runs, and putting one back.

A backup is a folder: the SQLite database (SQLite's online backup API: a consistent snapshot while the
server writes), each embedded DuckDB warehouse (copied under the lock loads take, so never half-loaded),
the recordings' blocks when they are stored as files, the secret key (API keys, links and encrypted
secrets need it), and `burrow-backup.json` saying what is there. Blocks are copied after the database, and
a block is written before its row: every recording the copied database names has its blocks.

With PostgreSQL the database is yours to back up (`pg_dump`; the README says what else to keep): `burrow
backup` then says so and copies nothing."""

import argparse
import fcntl
import json
import os
import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from burrow.commands import fail

MANIFEST = "burrow-backup.json"
FORMAT = 1
DATABASE_FILE = "burrow.sqlite3"


def add_parsers(commands: argparse._SubParsersAction) -> None:
    backup = commands.add_parser(
        "backup", help="copy the embedded database, warehouses, recordings and secret key into a new folder"
    )
    backup.add_argument("path", help="a folder that does not exist yet")
    backup.set_defaults(func=cmd_backup)
    restore = commands.add_parser("restore", help="put a `burrow backup` folder back (stop Burrow first)")
    restore.add_argument("path", help="the backup folder")
    restore.add_argument("--force", action="store_true", help="replace a database that already holds data")
    restore.set_defaults(func=cmd_restore)


def _sqlite_path() -> Path | None:
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.sqlite3":
        return None
    return Path(database["NAME"])


def _private_copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    shutil.copyfile(source, target)
    os.chmod(target, 0o600)


def _copy_warehouses(source: Path, target: Path) -> list[str]:
    """Each warehouse file, copied while holding its load lock (a load renames a new file over it)."""
    copied = []
    for warehouse in sorted(source.glob("*.duckdb")) if source.is_dir() else []:
        with open(warehouse.with_name(warehouse.name + ".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            _private_copy(warehouse, target / warehouse.name)
        copied.append(warehouse.name)
    return copied


def _copy_tree(source: Path, target: Path) -> int:
    files = 0
    for path in sorted(source.rglob("*")) if source.is_dir() else []:
        if path.is_file() and not path.name.startswith("."):  # not a block still being written
            _private_copy(path, target / path.relative_to(source))
            files += 1
    return files


def cmd_backup(args: argparse.Namespace) -> int:
    from django.conf import settings

    database = _sqlite_path()
    if database is None:
        return fail(
            "the database is PostgreSQL: back it up with `pg_dump -Fc` (the README's Backups section says "
            "what else to keep: BURROW_SECRET_KEY, BURROW_ENCRYPTION_KEYS, the recordings bucket)"
        )
    target = Path(args.path)
    if target.exists():
        return fail(f"{target} already exists: name a new folder")
    target.mkdir(parents=True, mode=0o700)
    data_dir = Path(settings.DATA_DIR)
    print(f"burrow: backing up {database} …", flush=True)
    with sqlite3.connect(database) as live, sqlite3.connect(target / DATABASE_FILE) as copy:
        live.backup(copy, pages=1024)  # the online backup API: consistent while the server writes
    os.chmod(target / DATABASE_FILE, 0o600)
    warehouses = _copy_warehouses(data_dir / "warehouses", target / "warehouses")
    blocks = 0 if settings.RECORDINGS_URL else _copy_tree(data_dir / "recordings", target / "recordings")
    (target / "secret_key").write_text(settings.SECRET_KEY)
    os.chmod(target / "secret_key", 0o600)
    manifest = {
        "format": FORMAT,
        "created_at": datetime.now(UTC).isoformat(),
        "database": DATABASE_FILE,
        "warehouses": warehouses,
        "recording_blocks": blocks,
        "recordings_url": settings.RECORDINGS_URL or None,
    }
    (target / MANIFEST).write_text(json.dumps(manifest, indent=2))
    print(
        f"burrow: backup in {target}: the database, {len(warehouses)} warehouse(s), {blocks} recording "
        "block(s), the secret key (keep it as safe as the data)"
    )
    return 0


def _holds_data(database: Path) -> bool:
    if not database.exists() or database.stat().st_size == 0:
        return False
    with sqlite3.connect(database) as connection:
        tables = connection.execute(
            "SELECT name FROM sqlite_master WHERE name = 'core_organization'"
        ).fetchall()
        return bool(tables) and connection.execute("SELECT count(*) FROM core_organization").fetchone()[0] > 0


def _read_manifest(source: Path) -> dict | None:
    try:
        manifest = json.loads((source / MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        return None
    with sqlite3.connect(f"file:{source / DATABASE_FILE}?mode=ro", uri=True) as connection:
        try:
            connection.execute("SELECT count(*) FROM django_migrations").fetchone()
        except sqlite3.DatabaseError:
            return None
    return manifest


def cmd_restore(args: argparse.Namespace) -> int:
    from django.conf import settings

    source = Path(args.path)
    database = _sqlite_path()
    if database is None:
        return fail(
            "the database is PostgreSQL: restore it with `pg_restore` (see the README's Backups section)"
        )
    manifest = _read_manifest(source) if (source / DATABASE_FILE).is_file() else None
    if manifest is None:
        return fail(f"{source} is not a Burrow backup (no {MANIFEST} and database made by `burrow backup`)")
    if _holds_data(database) and not args.force:
        return fail(f"{database} already holds data: stop Burrow and add --force to replace it")
    data_dir = Path(settings.DATA_DIR)
    with sqlite3.connect(source / DATABASE_FILE) as backup, sqlite3.connect(database) as live:
        backup.backup(live)
    for name in manifest["warehouses"]:
        _private_copy(source / "warehouses" / name, data_dir / "warehouses" / name)
    blocks = _copy_tree(source / "recordings", data_dir / "recordings")
    key_note = "kept BURROW_SECRET_KEY from the environment"
    if not os.environ.get("BURROW_SECRET_KEY"):
        _private_copy(source / "secret_key", data_dir / "secret_key")
        key_note = "restored the secret key"
    print(
        f"burrow: restored {database} from {source} ({len(manifest['warehouses'])} warehouse(s), {blocks} "
        f"recording block(s)); {key_note}. Run `burrow migrate` if this Burrow is newer than the backup."
    )
    return 0
