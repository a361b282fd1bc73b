"""SQL insights: which stored queries Burrow computes, what is wrong with the ones it cannot, and how an
answer becomes the result charts.py draws."""

import pytest

from burrow.analytics.charts import chart_kind, table_rows
from burrow.analytics.insight_queries import (
    DISPLAYS,
    InsightQuery,
    InsightQueryError,
    chart_result,
    parse_insight_query,
)

SQL = "SELECT day, signups, visits FROM daily"


def viz(display=None, chart_settings=None, source=None, **extra):
    query = {"kind": "DataVisualizationNode", "source": source or {"kind": "HogQLQuery", "query": SQL}}
    if display is not None:
        query["display"] = display
    if chart_settings is not None:
        query["chartSettings"] = chart_settings
    return query | extra


def raised(query) -> InsightQueryError:
    with pytest.raises(InsightQueryError) as caught:
        parse_insight_query(query)
    return caught.value


# --- parse_insight_query ---------------------------------------------------------------------------------


def test_a_bare_hogql_query_is_a_table():
    assert parse_insight_query({"kind": "HogQLQuery", "query": SQL}) == InsightQuery(
        SQL, "ActionsTable", None, ()
    )


def test_a_data_visualization_reads_display_and_chart_settings():
    query = viz(
        "ActionsBar",
        {
            "xAxis": {"column": "day"},
            "yAxis": [
                {"column": "signups", "settings": {"formatting": {"prefix": "$"}}},
                {"column": "visits"},
            ],
            "showLegend": True,
        },
    )
    assert parse_insight_query(query) == InsightQuery(SQL, "ActionsBar", "day", ("signups", "visits"))


def test_a_data_visualization_without_display_or_settings_uses_the_defaults():
    assert parse_insight_query(viz()) == InsightQuery(SQL, "ActionsTable", None, ())
    assert parse_insight_query(viz(display=None, chartSettings={})) == InsightQuery(
        SQL, "ActionsTable", None, ()
    )
    assert parse_insight_query(viz("BoldNumber", {"xAxis": None, "yAxis": []})) == InsightQuery(
        SQL, "BoldNumber", None, ()
    )


@pytest.mark.parametrize("display", DISPLAYS)
def test_every_display_is_accepted(display):
    assert parse_insight_query(viz(display)).display == display


def test_displays_are_exactly_the_five():
    assert DISPLAYS == ("ActionsLineGraph", "ActionsBar", "ActionsAreaGraph", "BoldNumber", "ActionsTable")


@pytest.mark.parametrize(
    "query",
    [
        None,
        "SELECT 1",
        [],
        {"kind": "TrendsQuery", "series": []},
        {"kind": "InsightVizNode", "source": {"kind": "TrendsQuery"}},
        {"query": "SELECT 1"},
    ],
)
def test_queries_burrow_does_not_compute_are_left_alone(query):
    assert parse_insight_query(query) is None


@pytest.mark.parametrize(
    "query, attr, words",
    [
        ({"kind": "HogQLQuery", "query": ""}, "query__query", "non-empty"),
        ({"kind": "HogQLQuery", "query": "   "}, "query__query", "non-empty"),
        ({"kind": "HogQLQuery"}, "query__query", "non-empty"),
        ({"kind": "HogQLQuery", "query": 42}, "query__query", "non-empty"),
        ({"kind": "DataVisualizationNode"}, "query__source", "needs a source"),
        ({"kind": "DataVisualizationNode", "source": "SELECT 1"}, "query__source", "needs a source"),
        (viz(source={"kind": "TrendsQuery"}), "query__source__kind", "'TrendsQuery'"),
        (viz(source={"query": SQL}), "query__source__kind", "HogQLQuery"),
        (viz(source={"kind": "HogQLQuery", "query": ""}), "query__source__query", "non-empty"),
        (viz(source={"kind": "HogQLQuery", "query": None}), "query__source__query", "non-empty"),
        (viz("Foo"), "query__display", "Unknown display 'Foo'"),
        (viz("ActionsPie"), "query__display", "Unknown display 'ActionsPie'"),
        (viz(3), "query__display", "Unknown display 3"),
        (viz(chartSettings=[]), "query__chartSettings", "must be an object"),
        (viz(chartSettings={"xAxis": "day"}), "query__chartSettings__xAxis", "column name"),
        (viz(chartSettings={"xAxis": {}}), "query__chartSettings__xAxis", "column name"),
        (viz(chartSettings={"xAxis": {"column": ""}}), "query__chartSettings__xAxis", "column name"),
        (viz(chartSettings={"yAxis": {"column": "a"}}), "query__chartSettings__yAxis", "must be a list"),
        (viz(chartSettings={"yAxis": ["a"]}), "query__chartSettings__yAxis", "item 1"),
        (
            viz(chartSettings={"yAxis": [{"column": "a"}, {"column": 5}]}),
            "query__chartSettings__yAxis",
            "item 2",
        ),
    ],
)
def test_sql_insights_that_cannot_be_computed_say_where(query, attr, words):
    error = raised(query)
    assert error.attr == attr
    assert words in error.message
    assert str(error) == error.message
    assert error.message.endswith(".")


def test_unknown_display_lists_the_allowed_ones():
    assert raised(viz("Foo")).message == (
        "Unknown display 'Foo'; use one of ActionsLineGraph, ActionsBar, ActionsAreaGraph, BoldNumber, ActionsTable."
    )


def test_the_source_is_checked_before_the_display():
    assert raised(viz("Foo", source={"kind": "TrendsQuery"})).attr == "query__source__kind"


def test_insight_query_is_frozen():
    spec = InsightQuery(SQL, "ActionsTable", None, ())
    with pytest.raises(AttributeError):
        spec.sql = "SELECT 2"  # type: ignore[misc]


# --- chart_result: series --------------------------------------------------------------------------------

COLUMNS = ["day", "signups", "visits"]
DUCKDB_TYPES = [["day", "DATE"], ["signups", "BIGINT"], ["visits", "DOUBLE"]]
ROWS = [["2024-01-01", 10, 100.5], ["2024-01-02", 12, None], ["2024-01-03", 15, 80.0]]


def spec(display="ActionsLineGraph", x=None, y=()):
    return InsightQuery(SQL, display, x, tuple(y))


@pytest.mark.parametrize("display", ["ActionsLineGraph", "ActionsBar", "ActionsAreaGraph"])
def test_series_default_to_the_first_column_as_x_and_every_other_numeric_column(display):
    result = chart_result(spec(display), COLUMNS, DUCKDB_TYPES, ROWS)
    days = ["2024-01-01", "2024-01-02", "2024-01-03"]
    assert result == [
        {"label": "signups", "data": [10, 12, 15], "labels": days},
        {"label": "visits", "data": [100.5, 0, 80.0], "labels": days},  # NULL is drawn as 0
    ]
    assert chart_kind(result, display) == ("bar" if display == "ActionsBar" else "line")


def test_chart_settings_pick_x_and_series():
    result = chart_result(spec(x="signups", y=["visits"]), COLUMNS, DUCKDB_TYPES, ROWS)
    assert result == [{"label": "visits", "data": [100.5, 0, 80.0], "labels": ["10", "12", "15"]}]


def test_the_x_column_from_settings_is_not_a_default_series():
    result = chart_result(spec(x="signups"), COLUMNS, DUCKDB_TYPES, ROWS)
    assert [series["label"] for series in result] == ["visits"]


def test_series_follow_the_order_of_the_y_axis_settings():
    result = chart_result(spec(y=["visits", "signups"]), COLUMNS, DUCKDB_TYPES, ROWS)
    assert [series["label"] for series in result] == ["visits", "signups"]


def test_x_labels_are_text_and_null_is_a_dash():
    rows = [[1, 5], [None, 6], [2.5, 7]]
    result = chart_result(spec(), ["bucket", "n"], [["bucket", "Float64"], ["n", "UInt64"]], rows)
    assert result[0]["labels"] == ["1", "–", "2.5"]


def test_big_numbers_are_kept_exactly():
    rows = [["a", 18446744073709551615], ["b", "123456789012345678901234567890"]]
    result = chart_result(spec(), ["k", "v"], [["k", "String"], ["v", "UInt256"]], rows)
    assert result[0]["data"] == [18446744073709551615, 123456789012345678901234567890]


@pytest.mark.parametrize(
    "type_name",
    [
        "BIGINT",
        "INTEGER",
        "HUGEINT",
        "UBIGINT",
        "DOUBLE",
        "DECIMAL(18,3)",
        "Int64",
        "UInt64",
        "Float64",
        "Nullable(Int64)",
        "Nullable(Decimal(10, 2))",
        "LowCardinality(Nullable(Float32))",
        "Decimal64(4)",
        "integer",
        "bigint",
        "numeric",
        "numeric(12,2)",
        "double precision",
        "real",
        "smallint",
    ],
)
def test_numeric_types_make_series_even_when_every_value_is_null_or_text(type_name):
    rows = [["a", None], ["b", "12.50"], ["c", "-3"]]
    result = chart_result(spec(), ["k", "v"], [["k", "VARCHAR"], ["v", type_name]], rows)
    assert result == [{"label": "v", "data": [0, 12.5, -3], "labels": ["a", "b", "c"]}]


@pytest.mark.parametrize(
    "type_name",
    ["VARCHAR", "String", "text", "DATE", "DateTime", "INTERVAL", "IntervalDay", "BOOLEAN", "Bool"],
)
def test_other_types_hold_numbers_only_when_the_values_are_numbers(type_name):
    as_text = chart_result(
        spec(), ["k", "v"], [["k", "VARCHAR"], ["v", type_name]], [["a", "12"], ["b", "3"]]
    )
    assert as_text == [{"k": "a", "v": "12"}, {"k": "b", "v": "3"}]
    as_numbers = chart_result(
        spec(), ["k", "v"], [["k", "VARCHAR"], ["v", type_name]], [["a", 12], ["b", None]]
    )
    assert as_numbers == [{"label": "v", "data": [12, 0], "labels": ["a", "b"]}]


def test_without_types_the_values_decide():
    rows = [["a", 1, True, None, "x"], ["b", 2.5, False, None, "y"]]
    result = chart_result(spec(), ["k", "n", "flag", "nothing", "s"], [], rows)
    assert result == [{"label": "n", "data": [1, 2.5], "labels": ["a", "b"]}]  # booleans and all-NULL are not


def test_a_numeric_type_with_values_that_are_not_numbers_is_not_a_series():
    rows = [["a", True], ["b", "n/a"]]
    assert chart_result(spec(), ["k", "v"], [["k", "String"], ["v", "UInt8"]], rows) == [
        {"k": "a", "v": True},
        {"k": "b", "v": "n/a"},
    ]


def test_types_out_of_column_order_are_found_by_name():
    types = [["v", "numeric"], ["k", "text"]]
    assert chart_result(spec(), ["k", "v"], types, [["a", "1.5"]]) == [
        {"label": "v", "data": [1.5], "labels": ["a"]}
    ]


def test_without_a_numeric_column_a_series_display_is_a_table():
    result = chart_result(spec(), ["name", "city"], [["name", "text"], ["city", "text"]], [["Ann", "Oslo"]])
    assert result == [{"name": "Ann", "city": "Oslo"}]
    assert chart_kind(result, "ActionsLineGraph") == "table"


def test_a_single_numeric_column_is_the_x_axis_so_the_answer_is_a_table():
    assert chart_result(spec(), ["n"], [["n", "BIGINT"]], [[3]]) == [{"n": 3}]


# --- chart_result: BoldNumber and tables -----------------------------------------------------------------


def test_bold_number_is_the_first_numeric_column_of_the_first_row():
    result = chart_result(spec("BoldNumber"), COLUMNS, DUCKDB_TYPES, ROWS)
    assert result == [{"label": "signups", "data": [10], "labels": [], "aggregated_value": 10}]
    assert chart_kind(result, "BoldNumber") == "number"


def test_bold_number_may_be_the_first_column():
    result = chart_result(spec("BoldNumber"), ["total"], [["total", "Nullable(Float64)"]], [[1234.5]])
    assert result == [{"label": "total", "data": [1234.5], "labels": [], "aggregated_value": 1234.5}]


def test_bold_number_uses_the_first_y_column_from_settings():
    result = chart_result(spec("BoldNumber", y=["visits", "signups"]), COLUMNS, DUCKDB_TYPES, ROWS)
    assert result == [{"label": "visits", "data": [100.5], "labels": [], "aggregated_value": 100.5}]


def test_bold_number_of_null_is_zero():
    result = chart_result(spec("BoldNumber"), ["n"], [["n", "BIGINT"]], [[None]])
    assert result == [{"label": "n", "data": [0], "labels": [], "aggregated_value": 0}]


def test_bold_number_without_a_numeric_column_is_a_table():
    assert chart_result(spec("BoldNumber"), ["s"], [["s", "VARCHAR"]], [["hi"]]) == [{"s": "hi"}]


def test_a_table_is_one_dict_per_row_in_column_order():
    result = chart_result(spec("ActionsTable"), COLUMNS, DUCKDB_TYPES, ROWS)
    assert result == [dict(zip(COLUMNS, row, strict=True)) for row in ROWS]
    assert [list(row) for row in result] == [COLUMNS] * 3
    assert table_rows(result) == [COLUMNS, *ROWS]
    assert chart_kind(result, "ActionsTable") == "table"


def test_a_table_keeps_repeated_column_names_and_short_rows():
    result = chart_result(spec("ActionsTable"), ["a", "a", "b"], [], [[1, 2, 3], [4]])
    assert result == [{"a": 1, "a (2)": 2, "b": 3}, {"a": 4, "a (2)": None, "b": None}]


@pytest.mark.parametrize("display", DISPLAYS)
def test_no_rows_is_an_empty_result_for_every_display(display):
    assert chart_result(spec(display), COLUMNS, DUCKDB_TYPES, []) == []
    assert chart_kind([], display) == "empty"


# --- chart_result: settings that no longer match the data ------------------------------------------------


@pytest.mark.parametrize(
    "display, x, y, missing",
    [
        ("ActionsLineGraph", "week", (), "week"),
        ("ActionsBar", None, ("signups", "revenue"), "revenue"),
        ("BoldNumber", None, ("revenue",), "revenue"),
    ],
)
def test_a_column_named_in_the_settings_must_be_in_the_answer(display, x, y, missing):
    with pytest.raises(InsightQueryError) as caught:
        chart_result(spec(display, x, y), COLUMNS, DUCKDB_TYPES, ROWS)
    assert caught.value.attr == "query__chartSettings"
    assert f"'{missing}'" in caught.value.message


def test_a_y_column_that_does_not_hold_numbers_is_an_error():
    with pytest.raises(InsightQueryError) as caught:
        chart_result(spec(y=["day"]), COLUMNS, DUCKDB_TYPES, ROWS)
    assert caught.value.attr == "query__chartSettings__yAxis"
    assert "'day'" in caught.value.message


def test_a_table_ignores_the_chart_settings():
    assert chart_result(spec("ActionsTable", "week", ["gone"]), ["a"], [], [[1]]) == [{"a": 1}]
