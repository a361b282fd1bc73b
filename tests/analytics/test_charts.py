"""Report pictures: the chart kind follows the insight's display and data; odd data never breaks rendering."""

import pytest

from burrow.analytics.charts import chart_kind, display_of, render_png

SERIES = [{"label": "Signups", "labels": ["Mon", "Tue"], "data": [3, 5]}]


@pytest.mark.parametrize(
    "result, display, kind",
    [
        (SERIES, "ActionsLineGraph", "line"),
        (SERIES, "ActionsBar", "bar"),
        (SERIES, None, "line"),
        ([{"label": "x", "data": []}], None, "empty"),
        ([], None, "empty"),
        (None, None, "empty"),
        ([{"name": "a", "count": 3}], None, "table"),
        ({"columns": ["a"], "results": [[1]]}, None, "table"),
        ([{"label": "x", "data": [1, "two"]}], None, "table"),
    ],
)
def test_chart_kind(result, display, kind):
    assert chart_kind(result, display) == kind


def test_display_is_found_in_insight_queries():
    assert display_of({"kind": "TrendsQuery", "trendsFilter": {"display": "ActionsBar"}}) == "ActionsBar"
    assert display_of({"source": {"trendsFilter": {"display": "ActionsLineGraph"}}}) == "ActionsLineGraph"
    assert display_of("not a query") is None


@pytest.mark.parametrize(
    "result", [SERIES, [], [{"label": "x", "data": []}], [{"weird": {"nested": [1, 2]}}], "text", 42]
)
def test_every_result_renders_a_png(result):
    assert render_png("Title", result).startswith(b"\x89PNG\r\n\x1a\n")
