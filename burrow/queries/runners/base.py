"""What every runner returns, and the one way rows become JSON: dates as ISO strings, decimals as numbers,
bytes as text, NaN and infinities as null. Rows are counted against the result-size cap while they arrive."""

import datetime
import decimal
import json
import math
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from burrow.queries.errors import QueryError

MAX_RESULT_BYTES = 10 * 1024 * 1024
FETCH_BATCH = 1000


@dataclass
class Result:
    columns: list[str]
    types: list[list[str]]
    rows: list[list[Any]]


def json_value(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, decimal.Decimal):
        return float(value) if value.is_finite() else None
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", "replace")
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_value(v) for v in value]
    return str(value)


class RowCollector:
    """Collects rows as JSON values and refuses a result larger than the cap, as soon as it is."""

    def __init__(self, max_bytes: int = MAX_RESULT_BYTES) -> None:
        self.rows: list[list[Any]] = []
        self.size = 0
        self.max_bytes = max_bytes

    def add(self, batch: Iterable[Iterable[Any]]) -> None:
        converted = [[json_value(v) for v in row] for row in batch]
        self.size += len(json.dumps(converted, separators=(",", ":")))
        if self.size > self.max_bytes:
            raise QueryError(too_large_message(self.max_bytes), "result_too_large")
        self.rows.extend(converted)


def timeout_message(seconds: float) -> str:
    return f"The query ran longer than {seconds:g} s (BURROW_QUERY_TIMEOUT) and was stopped."


def too_large_message(max_bytes: int) -> str:
    return f"The result is larger than {max_bytes // (1024 * 1024)} MB; select fewer rows or columns."
