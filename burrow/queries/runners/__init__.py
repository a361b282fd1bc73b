"""One module per engine, each with `run(target, sql, timeout, max_bytes) -> Result` and
`version(target, timeout) -> str`. Loaded on first use, so a process that never queries ClickHouse never
imports its driver."""

from importlib import import_module
from types import ModuleType

KINDS = ("duckdb", "postgresql", "clickhouse")


def runner(kind: str) -> ModuleType:
    if kind not in KINDS:
        raise ValueError(f"no runner for {kind!r}")
    return import_module(f"burrow.queries.runners.{kind}")
