"""The `burrow` command: serve, scheduler, worker, status, backup, restore, bootstrap, migrate, keys, users
(list, set-password), org-integration, sources, warehouse."""

# The docstring is `burrow --help`'s description; each group of subcommands is a module of burrow/commands/.

import argparse
import os
import sys
from collections.abc import Sequence
from importlib.metadata import version

from burrow.commands import (
    backup,
    bootstrap,
    fail,
    keys,
    org_integrations,
    processes,
    sources,
    status,
    users,
    warehouse,
)

# The commands that set an installation up: on first use they create the data dir and the secret key.
# `restore` too: it may be the first command of a new machine (the backup's secret key then replaces the new one).
PREPARING_COMMANDS = frozenset({"migrate", "serve", "bootstrap", "restore"})


def _setup_django(prepare: bool, server: bool = False) -> str | None:
    """Loads the settings (which write nothing) and sets Django up. With `prepare`, first creates the data
    dir and, unless BURROW_SECRET_KEY is set, the secret key file; without it, returns what the user must
    do first when the installation is not set up yet."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "burrow.settings")
    import django
    from django.conf import settings

    from burrow.config import MISSING_SECRET_KEY, prepare_data_dir, secret_key

    if prepare:
        try:
            created = prepare_data_dir(settings.DATA_DIR, create_key=not _has_secret_key(settings))
        except OSError as error:
            return f"cannot create the data directory: {error}. Set BURROW_DATA_DIR to a writable directory."
        created_notes = [f"created {thing}" for thing in created]
        if not _has_secret_key(settings):
            settings.SECRET_KEY = secret_key(settings.DATA_DIR)
    elif not _has_secret_key(settings):
        return MISSING_SECRET_KEY
    elif missing := _missing_sqlite_file(settings.DATABASES["default"]):
        return f"there is no database at {missing} yet: run `burrow migrate` first"
    django.setup()
    if prepare:
        _say(created_notes, server)
    return None


def _say(notes: list[str], server: bool) -> None:
    """Notes for the operator: log lines (JSON, like the rest of its output) from the server, else text."""
    import logging

    for note in notes:
        if server:
            logging.getLogger("burrow.cli").info(note)
        else:
            print(f"burrow: {note}", file=sys.stderr)


def _has_secret_key(settings) -> bool:
    from django.core.exceptions import ImproperlyConfigured

    try:
        return bool(settings.SECRET_KEY)
    except ImproperlyConfigured:  # Django's answer to an empty SECRET_KEY
        return False


def _missing_sqlite_file(database: dict) -> str | None:
    name = str(database.get("NAME") or "")
    if database["ENGINE"] != "django.db.backends.sqlite3" or name == ":memory:" or name.startswith("file:"):
        return None
    return None if os.path.exists(name) else name


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="burrow", description=__doc__)
    parser.add_argument("--version", action="version", version=f"%(prog)s {version('burrow')}")
    commands = parser.add_subparsers(dest="command", required=True)
    # in the order `burrow --help` lists
    for group in (processes, status, backup, bootstrap, keys, users, org_integrations, sources, warehouse):
        group.add_parsers(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from burrow.config import PRIVATE_UMASK, ConfigError

    # Before anything is written: the data dir, the SQLite file, the server's and scheduler's files (they
    # inherit it) are for this user only.
    os.umask(PRIVATE_UMASK)

    try:
        args = build_parser().parse_args(argv)
        not_ready = _setup_django(prepare=args.command in PREPARING_COMMANDS, server=args.command == "serve")
    except ConfigError as error:
        return fail(f"{error}. Fix the environment variable and start again.")
    if not_ready:
        return fail(not_ready)
    from django.db import OperationalError

    try:
        return args.func(args)
    except OperationalError as error:
        # A database that is not there (or refuses us): what happened, in one line, and what to do.
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        return fail(
            f"cannot use the database: {reason}. Create it (`createdb burrow`), start it, or fix DATABASE_URL."
        )


if __name__ == "__main__":
    sys.exit(main())
