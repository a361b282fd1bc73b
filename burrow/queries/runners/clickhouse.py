"""ClickHouse through clickhouse-connect (its HTTP interface): connected to the address the hosts rule just
checked (the name kept for TLS), every query with `readonly=1`, `max_execution_time` and caps on the rows and
bytes of the result, which the server enforces."""

import ipaddress
import re

import clickhouse_connect
from clickhouse_connect.driver.exceptions import ClickHouseError, OperationalError

from burrow.queries import hosts
from burrow.queries.errors import QueryError, SourceUnavailable
from burrow.queries.runners.base import (
    MAX_RESULT_BYTES,
    Result,
    RowCollector,
    timeout_message,
    too_large_message,
)
from burrow.queries.sources import Target
from burrow.queries.sqlcheck import MAX_LIMIT

CONNECT_TIMEOUT_MAX = 10
_EXCEPTION = re.compile(
    r"Code: (\d+)\. DB::Exception: (.*?)(?: \(([A-Z_]+)\))?(?: \(version [^)]*\))?\s*(?:\(for url .*)?$", re.S
)
_AUTHENTICATION_CODES = {"516", "192", "193", "194"}
_TIMEOUT_CODES = {"159", "160"}
_TOO_LARGE_CODES = {"396"}
_CONNECT_FAILURES = (
    ("connection refused", "Connection refused: nothing listens on that host and port."),
    ("timed out", "Connection timed out: the host did not answer."),
    ("ssl", "TLS failed: the server's certificate or TLS setup was not accepted."),
)


def _client(target: Target, timeout: float):
    url = target.url
    address = hosts.allowed_address(url.host)
    host = f"[{address}]" if isinstance(address, ipaddress.IPv6Address) else str(address)
    try:
        return clickhouse_connect.get_client(
            host=host,
            port=url.port,
            username=url.username or "default",
            password=url.password,
            database=url.database,
            secure=url.secure,
            server_host_name=url.host if url.secure else None,
            connect_timeout=min(timeout, CONNECT_TIMEOUT_MAX),
            send_receive_timeout=timeout + 5,
            compress=False,
            autogenerate_session_id=False,
            query_limit=0,
        )
    except ClickHouseError as exc:
        raise _failure(exc, timeout) from None


def _failure(exc: ClickHouseError, timeout: float) -> QueryError:
    """The server's own message without the URL clickhouse-connect appends; connection failures in words."""
    text = str(exc)
    found = _EXCEPTION.search(text)
    if found:
        code, message = found.group(1), found.group(2).strip()
        if code in _AUTHENTICATION_CODES:
            return SourceUnavailable("Authentication failed: wrong user name or password.")
        if code in _TIMEOUT_CODES:
            return QueryError(timeout_message(timeout), "query_timeout")
        if code in _TOO_LARGE_CODES:
            return QueryError(too_large_message(MAX_RESULT_BYTES), "result_too_large")
        return QueryError(message)
    if not isinstance(exc, OperationalError):
        return QueryError("The ClickHouse server refused the query.")
    lowered = text.lower()
    for needle, said in _CONNECT_FAILURES:
        if needle in lowered:
            return SourceUnavailable(said)
    return SourceUnavailable("Could not connect to the ClickHouse server.")


def settings_for(timeout: float, max_bytes: int) -> dict:
    # readonly last: the server applies the others before it forbids changing settings.
    return {
        "max_execution_time": max(1, int(timeout)),
        "max_result_rows": MAX_LIMIT + 1,
        "max_result_bytes": max_bytes,
        "result_overflow_mode": "throw",
        "readonly": 1,
    }


def run(target: Target, sql: str, timeout: float, max_bytes: int) -> Result:
    client = _client(target, timeout)
    try:
        answer = client.query(sql, settings=settings_for(timeout, max_bytes))
        collector = RowCollector(max_bytes)
        collector.add(answer.result_rows)
    except ClickHouseError as exc:
        raise _failure(exc, timeout) from None
    finally:
        client.close()
    return Result(
        columns=list(answer.column_names),
        types=[
            [name, kind.name] for name, kind in zip(answer.column_names, answer.column_types, strict=True)
        ],
        rows=collector.rows,
    )


def version(target: Target, timeout: float) -> str:
    client = _client(target, timeout)
    try:
        return "ClickHouse " + str(client.server_version)
    finally:
        client.close()
