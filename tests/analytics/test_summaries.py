"""The text beside an insight's picture: the same columns the chart draws, in short plain lines."""

import pytest

from burrow.analytics.insight_queries import InsightQuery, InsightQueryError
from burrow.analytics.summaries import text_summary

SQL = "SELECT 1"
COLUMNS = ["day", "signups", "visits"]
TYPES = [["day", "Date"], ["signups", "UInt64"], ["visits", "Nullable(Float64)"]]


def spec(display="ActionsLineGraph", x=None, y=()):
    return InsightQuery(SQL, display, x, tuple(y))


def last_two(previous, last, column_type="BIGINT"):
    rows = [["2024-01-01", previous], ["2024-01-02", last]]
    return text_summary(spec(), ["day", "n"], [["day", "DATE"], ["n", column_type]], rows)


# --- series ----------------------------------------------------------------------------------------------


def test_each_series_gives_its_last_value_and_the_change():
    rows = [["2024-01-01", 5, 10.0], ["2024-01-02", 8, 12.0], ["2024-01-03", 9, 9.0]]
    assert text_summary(spec(), COLUMNS, TYPES, rows) == [
        "signups: 9 on 2024-01-03 (▲ +12.5% vs 2024-01-02)",
        "visits: 9 on 2024-01-03 (▼ -25% vs 2024-01-02)",
    ]


@pytest.mark.parametrize(
    "previous, last, change",
    [
        (100, 150, "(▲ +50% vs 2024-01-01)"),
        (100, 50, "(▼ -50% vs 2024-01-01)"),
        (7, 7, "(= 0% vs 2024-01-01)"),
        (0, 0, "(= 0% vs 2024-01-01)"),
        (0, 5, "(previous 0)"),
        (0, -5, "(previous 0)"),
        (-10, -5, "(▲ +50% vs 2024-01-01)"),
        (-10, -20, "(▼ -100% vs 2024-01-01)"),
        (3, 4, "(▲ +33.3% vs 2024-01-01)"),
        (1, 1000, "(▲ +99,900% vs 2024-01-01)"),
        (100000, 100001, "(▲ +<0.1% vs 2024-01-01)"),
    ],
)
def test_the_change_against_the_previous_point(previous, last, change):
    (line,) = last_two(previous, last)
    assert line.endswith(change)
    assert line.startswith(f"n: {last:,} on 2024-01-02 (")


def test_a_single_point_has_no_comparison():
    assert text_summary(spec("ActionsBar"), COLUMNS, TYPES, [["2024-01-01", 3, 1.5]]) == [
        "signups: 3 on 2024-01-01",
        "visits: 1.5 on 2024-01-01",
    ]


def test_null_is_a_dash_and_is_not_compared():
    assert last_two(5, None) == ["n: – on 2024-01-02"]
    assert last_two(None, 5) == ["n: 5 on 2024-01-02"]


def test_numbers_are_grouped_and_rounded():
    assert last_two(1, 1234567) == ["n: 1,234,567 on 2024-01-02 (▲ +123,456,600% vs 2024-01-01)"]
    assert last_two(1.0, 1234.5678, "DOUBLE") == ["n: 1,234.57 on 2024-01-02 (▲ +123,356.8% vs 2024-01-01)"]
    assert last_two(None, 2.0, "DOUBLE") == ["n: 2 on 2024-01-02"]
    assert last_two(None, 18446744073709551615, "UInt64") == ["n: 18,446,744,073,709,551,615 on 2024-01-02"]
    assert last_two(None, "-0.001", "numeric") == ["n: 0 on 2024-01-02"]


def test_settings_pick_the_series_as_in_the_chart():
    rows = [["2024-01-01", 5, 10.0], ["2024-01-02", 8, 12.0]]
    # x = signups is a number, not a time: each x value with its value, no "previous point"
    assert text_summary(spec(x="signups", y=["visits"]), COLUMNS, TYPES, rows) == ["visits: 5 10 · 8 12"]


def test_at_most_five_series_then_how_many_more():
    columns = ["x"] + [f"s{i}" for i in range(1, 8)]
    lines = text_summary(spec(), columns, [], [["2024-01-01"] + list(range(1, 8))])
    assert lines == [f"s{i}: {i} on 2024-01-01" for i in range(1, 6)] + ["… and 2 more series"]


def test_a_series_over_categories_lists_its_first_values_not_a_change():
    rows = [[name, n] for name, n in (("Chrome", 4932), ("Safari", 1608), ("Firefox", 828), ("Edge", 628))]
    rows += [[f"Other {i}", i] for i in range(3)]
    assert text_summary(
        spec(), ["browser", "views"], [["browser", "VARCHAR"], ["views", "BIGINT"]], rows
    ) == ["views: Chrome 4,932 · Safari 1,608 · Firefox 828 · Edge 628 · Other 0 0 … and 2 more"]


def test_a_date_typed_x_is_a_trend_whatever_its_text():
    rows = [["Jan", 1], ["Feb", 2]]
    assert text_summary(spec(), ["month", "n"], [["month", "DATE"], ["n", "BIGINT"]], rows) == [
        "n: 2 on Feb (▲ +100% vs Jan)"
    ]


def test_exactly_five_series_are_all_shown():
    columns = ["x"] + [f"s{i}" for i in range(1, 6)]
    assert len(text_summary(spec(), columns, [], [["a", 1, 2, 3, 4, 5]])) == 5


def test_a_series_display_without_numbers_reads_as_a_table():
    assert text_summary(spec(), ["name"], [["name", "text"]], [["Ann"]]) == ["name", "Ann"]


# --- BoldNumber ------------------------------------------------------------------------------------------


def test_bold_number_is_the_column_and_its_value():
    assert text_summary(spec("BoldNumber"), ["revenue"], [["revenue", "numeric"]], [["1234567.891"]]) == [
        "revenue: 1,234,567.89"
    ]


def test_bold_number_of_null():
    assert text_summary(spec("BoldNumber"), ["n"], [["n", "integer"]], [[None]]) == ["n: –"]


# --- tables ----------------------------------------------------------------------------------------------

TABLE_ROWS = [["Ann", 1200, None], ["Bob", 3.14159, True], ["Cy", 0, {"a": [1]}], ["Di", 4, "x"]]


def test_a_table_gives_a_header_and_the_first_rows():
    lines = text_summary(spec("ActionsTable"), ["name", "score", "extra"], [], TABLE_ROWS)
    assert lines == [
        "name · score · extra",
        "Ann · 1,200 · –",
        "Bob · 3.14 · true",
        'Cy · 0 · {"a": [1]}',
        "… 1 more row",
    ]


def test_max_rows_sets_how_many_rows_are_shown():
    lines = text_summary(spec("ActionsTable"), ["name", "score", "extra"], [], TABLE_ROWS, max_rows=1)
    assert lines == ["name · score · extra", "Ann · 1,200 · –", "… 3 more rows"]
    all_rows = text_summary(spec("ActionsTable"), ["name", "score", "extra"], [], TABLE_ROWS, max_rows=10)
    assert len(all_rows) == 5 and not all_rows[-1].startswith("…")


def test_line_breaks_in_cells_stay_on_one_line():
    assert text_summary(spec("ActionsTable"), ["note"], [], [["two\nlines\there"]]) == [
        "note",
        "two lines here",
    ]


# --- empty and long --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "display", ["ActionsLineGraph", "ActionsBar", "ActionsAreaGraph", "BoldNumber", "ActionsTable"]
)
def test_no_rows_is_no_data(display):
    assert text_summary(spec(display), COLUMNS, TYPES, []) == ["No data"]


def test_every_line_is_cut_under_200_characters():
    long_name = "n" * 300
    table = text_summary(spec("ActionsTable"), ["a", "b"], [], [["x" * 150, "y" * 150]])
    series = text_summary(spec(), ["day", long_name], [], [["d", 1]])
    for line in table + series:
        assert len(line) < 200
    assert table[1].endswith("…") and table[1].startswith("x" * 150 + " · yyy")
    assert series[0] == "n" * 198 + "…"
    short = text_summary(spec("ActionsTable"), ["a"], [], [["z" * 199]])
    assert short == ["a", "z" * 199]


def test_settings_that_no_longer_match_are_an_error_as_in_the_chart():
    with pytest.raises(InsightQueryError) as caught:
        text_summary(spec(x="week"), COLUMNS, TYPES, [["2024-01-01", 1, 2.0]])
    assert caught.value.attr == "query__chartSettings"
