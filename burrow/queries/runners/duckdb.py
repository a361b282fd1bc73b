"""DuckDB: the embedded warehouse (and DuckDB files an operator added with the CLI), opened read-only with
external access off and the configuration locked, so SQL can read no other file or URL and cannot turn
either back on. DuckDB has no statement timeout of its own: a timer interrupts the connection.

Opening a database costs more than a typical report query (about 12 ms of 17 on the demo warehouse), so each
process keeps the embedded warehouses it reads open (read-only, the few most recently used) and gives each
query a connection of its own to that database. Burrow writes a warehouse only by copy and swap
(burrow.queries.warehouse.writing), so a new version is a new file, noticed by its inode, size and time.
DuckDB keeps one database per path in a process while any connection to it is open, so a version is opened
under a path of its own — a hard link named after the version in `.open/` beside the warehouse — and the
old version's database closes when its last query ends. An operator's own DuckDB files may be written in
place by other programs, so they are opened per query and never held."""

import os
import threading
from collections import OrderedDict
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


KEPT_OPEN = 8  # embedded warehouses kept open per process
_open: OrderedDict[str, tuple[Path, duckdb.DuckDBPyConnection]] = OrderedDict()
_open_lock = threading.Lock()


def query_connection(target: Target) -> duckdb.DuckDBPyConnection:
    """A connection of its own for one query (the caller closes it): to the embedded warehouse's database
    kept open in this process, or to an operator's file opened for this query alone."""
    if not target.identity.startswith("embedded:"):
        return connect(target.path, embedded=False)
    ensure_exists(target.path)
    key = str(target.path)
    with _open_lock:
        for attempt in range(2):
            stat = target.path.stat()
            version = f"{target.path.name}.{stat.st_ino}.{stat.st_size}.{stat.st_mtime_ns}"
            kept = _open.get(key)
            if kept is not None and kept[0].name == version:
                break
            _open.pop(key, None)  # its queries still running keep that database until they end
            version_path = _link_version(target.path, version)
            try:
                kept = _open[key] = (version_path, connect(version_path, embedded=False))
                break
            except SourceUnavailable:
                if attempt:  # replaced again meanwhile, and its name swept by another process
                    raise
        _open.move_to_end(key)
        while len(_open) > KEPT_OPEN:
            _open.popitem(last=False)
        return kept[1].cursor()


def _link_version(path: Path, version: str) -> Path:
    """`path` under the name of its version in `.open/`; the names of older versions of it are removed (a
    database open under one keeps reading it: only the name goes)."""
    folder = path.parent / ".open"
    folder.mkdir(mode=0o700, exist_ok=True)
    version_path = folder / version
    try:
        os.link(path, version_path)
    except FileExistsError:
        pass  # another process of this machine opened the same version
    for older in folder.glob(f"{path.name}.*"):
        if older.name != version:
            older.unlink(missing_ok=True)
    return version_path


def forget_open_warehouses() -> None:
    """Forgets the kept databases (they close as their last queries end)."""
    with _open_lock:
        _open.clear()


def run(target: Target, sql: str, timeout: float, max_bytes: int) -> Result:
    connection = query_connection(target)
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
    connection = query_connection(target)
    try:
        return "DuckDB " + connection.execute("SELECT version()").fetchone()[0]
    finally:
        connection.close()
