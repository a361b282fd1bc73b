"""`burrow warehouse load | tables`: filling an environment's embedded DuckDB warehouse from CSV, Parquet or
JSON-lines files (DuckDB's file readers run here, never from the API's SQL)."""

import argparse
import sys
from pathlib import Path

from burrow.commands import fail


def add_parsers(commands: argparse._SubParsersAction) -> None:
    warehouse = commands.add_parser("warehouse", help="load files into an environment's embedded warehouse")
    sub = warehouse.add_subparsers(dest="warehouse_command", required=True)
    load = sub.add_parser("load", help="load a CSV, Parquet or JSON-lines file into a table")
    load.add_argument("--environment", required=True, metavar="ID")
    load.add_argument("table")
    load.add_argument("file", type=Path)
    load.add_argument("--replace", action="store_true", help="replace the table (default: append to it)")
    load.add_argument("--format", choices=["csv", "parquet", "json"], help="default: from the file name")
    tables = sub.add_parser("tables", help="list the warehouse's tables with their row counts")
    tables.add_argument("--environment", required=True, metavar="ID")
    warehouse.set_defaults(func=cmd_warehouse)


def cmd_warehouse(args: argparse.Namespace) -> int:
    from burrow.commands.sources import environment
    from burrow.queries import warehouse
    from burrow.queries.errors import QueryError
    from burrow.queries.sources import embedded_path

    team = environment(args.environment)
    if team is None:
        return fail(f"no environment {args.environment}; `burrow users list` shows yours")
    path = embedded_path(team.id)
    if args.warehouse_command == "tables":
        for name, rows, columns in warehouse.tables(path):
            print(f"{name:30} {rows:>12,} rows  {columns} columns")
        return 0
    try:
        loaded = warehouse.load(
            path, args.table, args.file, replace=args.replace, fmt=args.format, progress=sys.stdout.isatty()
        )
    except QueryError as error:
        return fail(error.message)
    print(f"burrow: loaded {loaded.rows_loaded:,} rows into {loaded.table} ({loaded.rows_total:,} rows now)")
    return 0
