"""Loading files into an environment's embedded warehouse (the CLI's `burrow warehouse load`), and listing
its tables. DuckDB's file readers run here, in the operator's process, never from API SQL.

DuckDB allows one writing process per file, and a reader cannot open a file another process writes. So a load
never writes the live file: it copies it, loads into the copy and renames the copy over the original. Queries
of the server keep reading the file they opened (the old data) and the next query opens the new one; loads
wait for each other on a lock file. Neither side ever waits for, or fails because of, the other."""

import fcntl
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from burrow.queries.errors import QueryError

TABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
READERS = {
    "csv": "read_csv_auto(?)",
    "parquet": "read_parquet(?)",
    "json": "read_json_auto(?, format = 'newline_delimited')",
}
EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".parquet": "parquet",
    ".jsonl": "json",
    ".ndjson": "json",
    ".json": "json",
}


@dataclass(frozen=True)
class Loaded:
    table: str
    rows_loaded: int
    rows_total: int


def file_format(path: Path, named: str | None) -> str:
    found = named or EXTENSIONS.get("".join(path.suffixes[-1:]).lower())
    if found not in READERS:
        raise QueryError(f"Cannot tell the format of {path.name}: name it with --format csv|parquet|json.")
    return found


@contextmanager
def writing(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A writable copy of the warehouse, renamed over it when the block ends without an error."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one load at a time; readers never take this lock
        copy = path.with_name(f"{path.name}.loading-{os.getpid()}")
        if path.exists():
            shutil.copyfile(path, copy)
        try:
            connection = duckdb.connect(str(copy))
            try:
                yield connection
            finally:
                connection.close()  # checkpoints: the copy is complete on disk without a WAL file
            os.replace(copy, path)
        finally:
            copy.unlink(missing_ok=True)
            copy.with_name(copy.name + ".wal").unlink(missing_ok=True)


def load(
    path: Path, table: str, source: Path, *, replace: bool, fmt: str | None = None, progress: bool = False
) -> Loaded:
    """Loads `source` (CSV, Parquet or JSON lines) into `table`: replacing it, or appending by column name."""
    if not TABLE_NAME.fullmatch(table):
        raise QueryError("A table name is letters, digits and underscores, starting with a letter.")
    if not source.is_file():
        raise QueryError(f"No file {source}.")
    reader = READERS[file_format(source, fmt)]
    with writing(path) as connection:
        connection.execute(f"SET enable_progress_bar = {'true' if progress else 'false'}")
        exists = connection.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND schema_name = 'main'", [table]
        ).fetchone()[0]
        try:
            before = (
                0
                if replace or not exists
                else connection.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
            )
            if replace or not exists:
                connection.execute(
                    f'CREATE OR REPLACE TABLE "{table}" AS SELECT * FROM {reader}', [str(source)]
                )
            else:
                connection.execute(f'INSERT INTO "{table}" BY NAME SELECT * FROM {reader}', [str(source)])
            total = connection.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
        except duckdb.Error as exc:
            raise QueryError(str(exc).splitlines()[0]) from None
    return Loaded(table, total - before, total)


def tables(path: Path) -> list[tuple[str, int, int]]:
    """(name, rows, columns) of each table, without writing to the warehouse."""
    if not path.exists():
        return []
    with duckdb.connect(str(path), read_only=True) as connection:
        found = connection.execute(
            "SELECT table_name, column_count FROM duckdb_tables() WHERE schema_name = 'main' ORDER BY table_name"
        ).fetchall()
        return [
            (name, connection.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0], columns)
            for name, columns in found
        ]
