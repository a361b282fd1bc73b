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


TWO_SERIES = [
    {"label": "Signups", "labels": ["Mon", "Tue", "Wed"], "data": [3, 5, 8]},
    {"label": "Logins", "labels": ["Mon", "Tue", "Wed"], "data": [9, 7, 12]},
]


@pytest.mark.parametrize("display", ["ActionsBar", "ActionsLineGraph"])
def test_pictures_follow_the_pages_rules(display):
    from matplotlib.colors import to_hex

    from burrow.analytics.charts import PALETTE, draw

    axes = draw(TWO_SERIES, display).axes[0]
    assert axes.get_ylim()[0] == 0  # from 0, as the page draws it (the data starts at 3)
    assert axes.get_title() == "" and axes.get_title(loc="left") == ""  # the mail or page names it, once
    assert [text.get_text() for text in axes.get_legend().get_texts()] == ["Signups", "Logins"]
    drawn = axes.patches if display == "ActionsBar" else axes.lines
    assert {
        to_hex(item.get_facecolor() if display == "ActionsBar" else item.get_color()) for item in drawn
    } == {
        PALETTE[0],
        PALETTE[1],
    }
    assert all(label.get_rotation() == 0 for label in axes.get_xticklabels())  # short labels stay level


def test_one_series_has_no_legend_and_negative_data_goes_below_zero():
    from burrow.analytics.charts import draw

    axes = draw([{"label": "Net", "labels": ["a", "b"], "data": [-4, 6]}], "ActionsLineGraph").axes[0]
    assert axes.get_legend() is None and axes.get_ylim()[0] <= -4
