"""PostgreSQL through psycopg 3: connected to the address the hosts rule just checked (the name kept for TLS),
in a `READ ONLY` transaction with `statement_timeout`, the rows read through a server-side cursor (whose
`DECLARE` takes nothing but a query) in batches, so the size cap holds before the whole result arrives."""

import threading

import psycopg

from burrow.queries import hosts
from burrow.queries.errors import QueryError, SourceUnavailable
from burrow.queries.runners.base import FETCH_BATCH, Result, RowCollector, timeout_message
from burrow.queries.sources import Target

CONNECT_TIMEOUT_MAX = 10
# A file that does not exist, so libpq never reads the operator's ~/.pgpass (/dev/null makes it warn).
NO_PASSFILE = "/nonexistent/burrow-no-pgpass"
# libpq's messages name the host and port; the tenant sees what failed, in words of its own.
_CONNECT_FAILURES = (
    ("password authentication failed", "Authentication failed: wrong user name or password."),
    ("authentication failed", "Authentication failed."),
    ("no password supplied", "Authentication failed: the server asks for a password."),
    ("connection refused", "Connection refused: nothing listens on that host and port."),
    ("timeout expired", "Connection timed out: the host did not answer."),
    ("ssl", "TLS failed: the server's TLS does not match the URL's sslmode."),
    ("certificate", "TLS failed: the server's certificate was not accepted."),
    ("does not exist", "The database or user does not exist."),
    ("pg_hba.conf", "The server does not accept connections from Burrow for this user and database."),
)


def _connect(target: Target, timeout: float) -> psycopg.Connection:
    url = target.url
    address = hosts.allowed_address(url.host)
    try:
        return psycopg.connect(
            host=url.host,
            hostaddr=str(address),
            port=url.port,
            user=url.username,
            password=url.password,
            dbname=url.database,
            sslmode=url.options.get("sslmode", "prefer"),
            connect_timeout=max(1, int(min(timeout, CONNECT_TIMEOUT_MAX))),
            passfile=NO_PASSFILE,
            application_name="burrow-query",
            autocommit=False,
        )
    except psycopg.OperationalError as exc:
        raise SourceUnavailable(_connect_failure(str(exc))) from None


def _connect_failure(message: str) -> str:
    lowered = message.lower()
    for needle, said in _CONNECT_FAILURES:
        if needle in lowered:
            return said
    return "Could not connect to the PostgreSQL server."


def _database_message(exc: psycopg.Error) -> str:
    diag = getattr(exc, "diag", None)
    return (diag.message_primary if diag is not None else None) or str(exc).splitlines()[0]


def run(target: Target, sql: str, timeout: float, max_bytes: int) -> Result:
    connection = _connect(target, timeout)
    timer = threading.Timer(timeout, connection.cancel_safe)
    try:
        with connection.cursor() as setup:
            setup.execute("SET TRANSACTION READ ONLY")
            setup.execute(f"SET LOCAL statement_timeout = {int(timeout * 1000)}")
        timer.start()
        collector = RowCollector(max_bytes)
        with connection.cursor(name="burrow_query") as cursor:
            cursor.execute(sql)
            while batch := cursor.fetchmany(FETCH_BATCH):
                collector.add(batch)
            description = cursor.description or []
    except psycopg.errors.QueryCanceled:
        raise QueryError(timeout_message(timeout), "query_timeout") from None
    except psycopg.OperationalError as exc:
        raise SourceUnavailable(_connect_failure(str(exc))) from None
    except psycopg.Error as exc:
        raise QueryError(_database_message(exc)) from None
    finally:
        timer.cancel()
        connection.close()  # never committed: the transaction ends rolled back
    return Result(
        columns=[column.name for column in description],
        types=[[column.name, column.type_display] for column in description],
        rows=collector.rows,
    )


def version(target: Target, timeout: float) -> str:
    connection = _connect(target, timeout)
    try:
        return "PostgreSQL " + connection.execute("SHOW server_version").fetchone()[0]
    except psycopg.Error as exc:
        raise QueryError(_database_message(exc)) from None
    finally:
        connection.close()
