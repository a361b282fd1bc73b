"""The SQL check's answers in detail (what mutation testing found unchecked through the API alone): the row
limit each query runs with and how it is applied, HogQL's `properties.$name` as DuckDB reads it, and the words
of a refusal."""

import pytest

from burrow.queries.errors import QueryError
from burrow.queries.sqlcheck import DEFAULT_LIMIT, MAX_LIMIT, Checked, check, quote_dollar_properties


def wrapped(text: str, limit: int) -> str:
    return f"SELECT * FROM (\n{text}\n) AS burrow_query LIMIT {limit + 1}"


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT 1", Checked(wrapped("SELECT 1", DEFAULT_LIMIT), DEFAULT_LIMIT, True, 0)),
        ("  SELECT 1 ;  ", Checked(wrapped("SELECT 1", DEFAULT_LIMIT), DEFAULT_LIMIT, True, 0)),
        ("SELECT 1 AS X;", Checked(wrapped("SELECT 1 AS X", DEFAULT_LIMIT), DEFAULT_LIMIT, True, 0)),
        ("SELECT 1 LIMIT 5", Checked("SELECT 1 LIMIT 5", 5, False, 0)),
        ("SELECT 1 LIMIT 5 OFFSET 10", Checked("SELECT 1 LIMIT 5 OFFSET 10", 5, False, 10)),
        (f"SELECT 1 LIMIT {MAX_LIMIT}", Checked(f"SELECT 1 LIMIT {MAX_LIMIT}", MAX_LIMIT, False, 0)),
        (
            f"SELECT 1 LIMIT {MAX_LIMIT + 1}",
            Checked(wrapped(f"SELECT 1 LIMIT {MAX_LIMIT + 1}", MAX_LIMIT), MAX_LIMIT, True, 0),
        ),
        ("SELECT 1 OFFSET 3", Checked(wrapped("SELECT 1 OFFSET 3", DEFAULT_LIMIT), DEFAULT_LIMIT, True, 3)),
    ],
)
def test_the_row_limit_a_query_runs_with(sql, expected):
    assert check(sql, "duckdb") == expected


def test_clickhouses_limit_by_is_per_group_not_the_answers_limit():
    sql = "SELECT a FROM t LIMIT 1 BY a"
    assert check(sql, "clickhouse") == Checked(wrapped(sql, DEFAULT_LIMIT), DEFAULT_LIMIT, True, 0)


@pytest.mark.parametrize("sql", ["SELECT 1 LIMIT 2 + 3", "SELECT 1 LIMIT 1.5", "SELECT 1 LIMIT ALL"])
def test_a_limit_that_is_not_a_whole_number_is_refused(sql):
    with pytest.raises(QueryError) as refused:
        check(sql, "postgresql")
    assert (str(refused.value), refused.value.code) == ("LIMIT must be a whole number.", "query_not_allowed")


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT properties.$current_url FROM events", 'SELECT properties."$current_url" FROM events'),
        (
            "SELECT e.properties.$browser, properties.$os FROM events e",
            'SELECT e.properties."$browser", properties."$os" FROM events e',
        ),
        ("SELECT properties. $gap FROM events", "SELECT properties. $gap FROM events"),  # not one name
        ("SELECT $1 FROM events", "SELECT $1 FROM events"),  # a parameter, not after a dot
        ("SELECT 'properties.$x' FROM events", "SELECT 'properties.$x' FROM events"),  # inside a string
        ("SELECT 'unterminated", "SELECT 'unterminated"),  # left for the parser to name
    ],
)
def test_hogql_dollar_properties_are_quoted_for_duckdb(sql, expected):
    assert quote_dollar_properties(sql, "duckdb") == expected


@pytest.mark.parametrize(
    ("sql", "named"),
    [("DELETE FROM events", "DELETE"), ("VALUES (1)", "VALUES"), ("SELECT 1 INTO t", "INTO")],
)
def test_a_refusal_says_what_was_refused(sql, named):
    with pytest.raises(QueryError) as refused:
        check(sql, "duckdb")
    assert str(refused.value) == f"Only a single SELECT query is allowed: {named} is not."
    assert refused.value.code == "query_not_allowed"


def test_a_verdict_is_remembered_and_a_refusal_is_given_every_time():
    first = check("SELECT 1 AS remembered", "duckdb")
    assert check("SELECT 1 AS remembered", "duckdb") is first  # parsed once
    assert check("SELECT 1 AS remembered", "postgresql") is not first  # per dialect
    for _ in range(2):
        with pytest.raises(QueryError, match="DELETE"):
            check("DELETE FROM events", "duckdb")
    long_query = "SELECT 1 AS x" + " " * 9_000
    assert check(long_query, "duckdb") is not check(long_query, "duckdb")  # never kept
