"""DuckDB: the embedded warehouse (and DuckDB files an operator added with the CLI), opened read-only with
external access off and the configuration locked, so SQL can read no other file or URL and cannot turn
either back on. DuckDB has no statement timeout of its own: a timer interrupts the connection."""

import threading
from pathlib import Path

import duckdb

from burrow.queries.errors import QueryError, SourceUnavailable
from burrow.queries.runners.base import FETCH_BATCH, Result, RowCollector, timeout_message
from burrow.queries.sources import Target

READ_ONLY_CONFIG = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "lock_configuration": True,
}


def ensure_exists(path: Path) -> None:
    """An environment's warehouse starts empty: a query on it finds no tables rather than no file."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        duckdb.connect(str(path)).close()


def connect(path: Path, embedded: bool) -> duckdb.DuckDBPyConnection:
    if embedded:
        ensure_exists(path)
    elif not path.exists():
        raise SourceUnavailable("The DuckDB file does not exist.")
    try:
        return duckdb.connect(str(path), read_only=True, config=READ_ONLY_CONFIG)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise SourceUnavailable(
                "The DuckDB file is being written by another process; try again shortly."
            ) from None
        raise SourceUnavailable("The DuckDB file cannot be opened.") from None
    except duckdb.Error:
        raise SourceUnavailable("The DuckDB file cannot be opened.") from None


def run(target: Target, sql: str, timeout: float, max_bytes: int) -> Result:
    connection = connect(target.path, target.identity.startswith("embedded:"))
    timer = threading.Timer(timeout, connection.interrupt)
    timer.start()
    try:
        connection.execute(sql)
        description = connection.description or []
        collector = RowCollector(max_bytes)
        while batch := connection.fetchmany(FETCH_BATCH):
            collector.add(batch)
    except duckdb.InterruptException:
        raise QueryError(timeout_message(timeout), "query_timeout") from None
    except duckdb.Error as exc:
        raise QueryError(str(exc)) from None
    finally:
        timer.cancel()
        connection.close()
    return Result(
        columns=[column[0] for column in description],
        types=[[column[0], str(column[1])] for column in description],
        rows=collector.rows,
    )


def version(target: Target, timeout: float) -> str:
    connection = connect(target.path, target.identity.startswith("embedded:"))
    try:
        return "DuckDB " + connection.execute("SELECT version()").fetchone()[0]
    finally:
        connection.close()
