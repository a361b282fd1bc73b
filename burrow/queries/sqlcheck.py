"""The first of two locks on read-only queries: the SQL must parse, in the source's dialect, as exactly one
SELECT (or WITH … SELECT, or a UNION of them) that calls no function reading files, URLs or other servers
and none that changes state. The engines enforce read-only access again (see the runners); this check
gives a clear answer before anything connects. It also sets the row limit the query runs with."""

from dataclasses import dataclass
from functools import lru_cache

import sqlglot
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ParseError, SqlglotError
from sqlglot.tokens import TokenType

from burrow.queries.errors import QueryError

DIALECTS = {"duckdb": "duckdb", "postgresql": "postgres", "clickhouse": "clickhouse"}
DEFAULT_LIMIT = 100
MAX_LIMIT = 50_000

# Functions that read files, URLs or other databases, or change state. Lower-case names as written in SQL.
FORBIDDEN_FUNCTIONS = frozenset(
    {
        # DuckDB readers and scanners
        "read_csv", "read_csv_auto", "read_parquet", "parquet_scan", "parquet_metadata", "parquet_schema",
        "read_json", "read_json_auto", "read_json_objects", "read_ndjson", "read_ndjson_auto",
        "read_ndjson_objects", "read_text", "read_blob", "read_xlsx", "glob", "sniff_csv", "iceberg_scan",
        "delta_scan", "postgres_scan", "postgres_query", "mysql_scan", "sqlite_scan", "query_table",
        # DuckDB's catalog functions that show server paths and settings (the data dir, secrets storage)
        "duckdb_databases", "duckdb_settings", "duckdb_secrets", "duckdb_temporary_files", "duckdb_extensions",
        "pragma_database_list",
        # PostgreSQL file, server and state functions
        "pg_read_file", "pg_read_binary_file", "pg_ls_dir", "pg_stat_file", "lo_import", "lo_export",
        "lo_get", "lo_put", "lo_from_bytea", "dblink", "dblink_exec", "dblink_connect", "set_config",
        "nextval", "setval", "pg_terminate_backend", "pg_cancel_backend", "pg_reload_conf",
        "pg_rotate_logfile", "pg_advisory_lock", "pg_notify", "txid_current",
        # ClickHouse table functions reaching outside the server
        "url", "urlcluster", "file", "filecluster", "s3", "s3cluster", "gcs", "azureblobstorage", "hdfs",
        "remote", "remotesecure", "cluster", "clusterallreplicas", "mysql", "postgresql", "mongodb", "redis",
        "sqlite", "jdbc", "odbc", "executable", "input", "iceberg", "deltalake", "hudi",
    }
)  # fmt: skip
_WRITES = tuple(
    getattr(exp, name)
    for name in (
        "Insert", "Update", "Delete", "Merge", "Create", "Drop", "Alter", "Copy", "Command", "Into", "Set",
        "Pragma", "Use", "Transaction", "Commit", "Rollback", "Attach", "Detach", "Install", "LoadData",
        "Lock", "TruncateTable", "Describe", "Analyze",
    )
    if hasattr(exp, name)
)  # fmt: skip


@dataclass(frozen=True)
class Checked:
    sql: str  # what runs: the query with the row limit applied
    limit: int  # rows answered at most
    probe: bool  # whether one row beyond `limit` was asked for, to tell `hasMore`
    offset: int


def _refused(what: str) -> QueryError:
    return QueryError(f"Only a single SELECT query is allowed: {what} is not.", "query_not_allowed")


def _function_name(node: exp.Func) -> str:
    return (node.name if isinstance(node, exp.Anonymous) else node.sql_name()).lower()


def quote_dollar_properties(sql: str, dialect: str) -> str:
    """HogQL's `properties.$current_url` as DuckDB reads it, `properties."$current_url"` (a struct field), so
    the reference's examples run on the embedded warehouse. Everything else stays as written."""
    try:
        tokens = Dialect.get_or_raise(dialect).tokenize(sql)
    except SqlglotError:
        return sql  # the parse below names the error
    pieces, done = [], 0
    for dot, dollar, name in zip(tokens, tokens[1:], tokens[2:], strict=False):
        if (
            dot.token_type == TokenType.DOT
            and dollar.token_type == TokenType.PARAMETER
            and name.token_type == TokenType.VAR
            and dollar.start == dot.end + 1
            and name.start == dollar.end + 1
        ):
            pieces += [sql[done : dollar.start], f'"${name.text}"']
            done = name.end + 1
    return "".join(pieces) + sql[done:]


# Dashboards and clients ask the same queries over and over; parsing one costs ~1 ms. Checks are a pure
# function of the text, so short queries' verdicts are kept (a refusal is not: it raises each time).
_REMEMBERED_SQL_CHARS = 8_000


def check(sql: str, kind: str) -> Checked:
    """The query as it will run, or QueryError naming what was refused."""
    if isinstance(sql, str) and len(sql) <= _REMEMBERED_SQL_CHARS:
        return _remembered_check(sql, kind)
    return _check(sql, kind)


def _check(sql: str, kind: str) -> Checked:
    dialect = DIALECTS[kind]
    if not isinstance(sql, str) or not sql.strip():
        raise QueryError("The query is empty.", "query_not_allowed")
    if kind == "duckdb":
        sql = quote_dollar_properties(sql, dialect)
    try:
        statements = [s for s in sqlglot.parse(sql, read=dialect) if s is not None]
    except ParseError as exc:
        errors = exc.errors or [{"description": str(exc)}]
        raise QueryError(f"Syntax error: {errors[0].get('description')}", "query_syntax_error") from None
    except SqlglotError as exc:
        raise QueryError(f"Syntax error: {exc}", "query_syntax_error") from None
    except RecursionError:
        raise QueryError("The query is nested too deeply.", "query_syntax_error") from None
    if len(statements) != 1:
        raise QueryError(
            f"Exactly one statement is allowed per query, not {len(statements)}.", "query_not_allowed"
        )
    [statement] = statements
    if not isinstance(statement, exp.Query) or isinstance(statement, exp.Values):
        raise _refused(statement.key.upper())
    for node in statement.walk():
        if isinstance(node, _WRITES):
            raise _refused(node.key.upper())
        if isinstance(node, exp.Func) and _function_name(node) in FORBIDDEN_FUNCTIONS:
            raise QueryError(
                f"Function {_function_name(node)}() is not allowed: queries read only the data source's "
                "own tables.",
                "query_not_allowed",
            )
    return _with_limit(sql, statement)


_remembered_check = lru_cache(maxsize=256)(_check)


def _literal_int(node: exp.Expression | None) -> int | None:
    value = node.expression if isinstance(node, exp.Limit | exp.Offset) else node
    if isinstance(value, exp.Literal) and value.is_int:
        return int(value.this)
    return None


def _with_limit(sql: str, statement: exp.Query) -> Checked:
    """No LIMIT: 100 rows. A LIMIT of its own: kept up to 50,000, cut to 50,000 above. Burrow's limit wraps
    the query as written (regenerating it could rename columns) and asks for one row more, so `hasMore`
    says whether rows were left out."""
    node = statement.args.get("limit")
    own = None
    if node is not None and not node.args.get("expressions"):  # ClickHouse's LIMIT n BY is per group
        own = _literal_int(node)
        if own is None:
            raise QueryError("LIMIT must be a whole number.", "query_not_allowed")
    offset = _literal_int(statement.args.get("offset")) or 0
    text = sql.strip().rstrip(";").rstrip()
    if own is not None and own <= MAX_LIMIT:
        return Checked(text, own, False, offset)
    limit = DEFAULT_LIMIT if own is None else MAX_LIMIT
    return Checked(f"SELECT * FROM (\n{text}\n) AS burrow_query LIMIT {limit + 1}", limit, True, offset)
