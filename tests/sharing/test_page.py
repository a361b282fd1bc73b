"""What a share page shows, and how its settings flags change it; web workers never import matplotlib."""

import json
import os
import subprocess
import sys
from html import unescape

import pytest

from tests.factories import make_insight

pytestmark = pytest.mark.django_db


def page(client, shared) -> str:
    response = client.get(f"/shared/{shared.token}")
    assert response.status_code == 200
    return response.content.decode()


def chart_specs(html: str) -> list[dict]:
    import re

    return [json.loads(unescape(raw)) for raw in re.findall(r'data-chart="([^"]*)"', html)]


def test_a_chart_carries_its_series_for_the_browser(share, anonymous):
    html = page(anonymous, share("insight"))
    [spec] = chart_specs(html)
    assert spec == {
        "kind": "line",
        "labels": ["Mon", "Tue", "Wed", "Thu"],
        "series": [{"label": "Signups", "data": [3, 5, 8, 13]}, {"label": "Logins", "data": [10, 9, 12, 11]}],
    }
    assert '<script src="/static/analytics/vendor/uplot-1.6.32/uPlot.iife.min.js" defer></script>' in html
    assert '<script src="/static/analytics/charts.js" defer></script>' in html
    assert 'href="/static/sharing/share.css"' in html


def test_bar_displays_table_results_and_empty_results(tenant, share, anonymous):
    shared = share("dashboard")
    dashboard = shared.resource
    bars = make_insight(
        tenant,
        name="Bars",
        query={
            "kind": "InsightVizNode",
            "source": {"kind": "TrendsQuery", "trendsFilter": {"display": "ActionsBar"}},
        },
        result=[{"label": "Visits", "days": ["a", "b", "c"], "data": [1.5, 2]}],
    )
    table = make_insight(tenant, name="Table", result=[{"browser": "Firefox", "count": 3}])
    empty = make_insight(tenant, name="Empty", result=None)
    for insight in (bars, table, empty):
        insight.dashboards.add(dashboard)
    html = page(anonymous, shared)
    assert {"kind": "bar", "labels": ["a", "b"], "series": [{"label": "Visits", "data": [1.5, 2]}]} in (
        chart_specs(html)
    )
    assert '<th scope="col">browser</th>' in html and "<td>Firefox</td>" in html
    assert "No data yet" in html


def test_settings_flags_change_the_page(tenant, share, anonymous):
    shared = share("dashboard", name="Growth", description="Weekly numbers")
    plain = page(anonymous, shared)
    assert '<header class="share-header">' in plain and "Weekly numbers" in plain
    assert "Shared with Burrow" in plain and "chart-values" not in plain
    assert "data-legend" not in plain  # each of the dashboard's charts has one series
    assert 'class="theme-light"' in plain

    shared.patch({"settings": {"whitelabel": True, "legend": True, "detailed": True, "theme": "dark"}})
    flagged = page(anonymous, shared)
    assert "Shared with Burrow" not in flagged
    assert flagged.count('data-legend="true"') == 2
    assert '<div class="chart-values">' in flagged and "<td>13</td>" in flagged
    assert 'class="theme-dark"' in flagged

    # Two series: their names show whatever the flag says (the shared insight holds both).
    insight_share = share("insight")
    assert page(anonymous, insight_share).count('data-legend="true"') == 1

    shared.patch({"settings": {"hideExtraDetails": True}})
    assert "Weekly numbers" not in page(anonymous, shared)
    shared.patch({"settings": {"noHeader": True, "theme": "system"}})
    headless = page(anonymous, shared)
    assert '<header class="share-header">' not in headless and 'class="theme-system"' in headless


def test_the_unlock_page_follows_theme_and_whitelabel(share, anonymous):
    shared = share("dashboard", password="correct horse", settings={"theme": "dark", "whitelabel": True})
    html = page(anonymous, shared)
    assert 'class="theme-dark"' in html and "Shared with Burrow" not in html and "unlock-form" in html


def test_the_unlock_page_by_default_is_light_branded_and_quiet_until_a_wrong_guess(share, anonymous):
    shared = share("dashboard", password="correct horse")
    html = page(anonymous, shared)
    assert 'class="theme-light"' in html and "Shared with Burrow" in html
    assert '<body class="share share-unlock">' in html and "unlock-error" not in html
    embedded = anonymous.get(f"/embedded/{shared.token}").content.decode()
    assert '<body class="share share-unlock share-embedded">' in embedded
    form = "application/x-www-form-urlencoded"
    wrong = anonymous.post(f"/shared/{shared.token}", "password=wrong+horse", content_type=form)
    assert wrong.status_code == 401
    assert '<p class="unlock-error" role="alert">Incorrect password</p>' in wrong.content.decode()


def test_a_recording_page_shows_its_metadata_with_the_inspector(tenant, share, anonymous):
    from burrow.sharing.models import SessionRecording

    shared = share("recording", recording_id="rec-1")
    SessionRecording.objects.filter(session_id="rec-1").update(
        metadata={"duration": 42, "browser": "<Firefox>"}
    )
    html = page(anonymous, shared)
    assert "rec-1" in html and "Inspector" not in html
    assert "share-description" not in html  # a recording has no description to show
    shared.patch({"settings": {"showInspector": True}})
    html = page(anonymous, shared)
    assert "Inspector" in html and '<th scope="row">duration</th><td>42</td>' in html
    assert "&lt;Firefox&gt;" in html
    assert "<script" not in html  # nothing to draw


def test_the_embedded_page_is_frameless(share, anonymous):
    shared = share("dashboard")
    html = anonymous.get(f"/embedded/{shared.token}").content.decode()
    assert '<body class="share share-embedded">' in html


def test_share_pages_do_not_import_matplotlib():
    """Charts are drawn in the browser: loading the web side and preparing a chart never imports matplotlib."""
    code = (
        "import sys, django; django.setup()\n"
        "import burrow.urls, burrow.sharing.pages, burrow.sharing.views, burrow.analytics.tiles\n"
        "from burrow.analytics.tiles import chart_for\n"
        "chart_for([{'label': 'a', 'data': [1, 2]}], None)\n"
        "assert 'matplotlib' not in sys.modules, 'matplotlib was imported'\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]


def test_values_json_cannot_carry_become_gaps():
    from burrow.analytics.tiles import chart_for

    chart = chart_for([{"label": "x", "data": [1, float("inf"), float("nan")]}], None)
    assert json.loads(chart["spec"])["series"][0]["data"] == [1, None, None]
    assert json.loads(chart["spec"])["labels"] == ["1", "2", "3"]


def test_a_changed_insight_shows_at_once(tenant, share, anonymous):
    shared = share("dashboard")
    insight = shared.resource.insights.order_by("id").first()
    assert "Chart 0" in page(anonymous, shared)  # rendered, and kept by this process
    response = tenant.client.patch(
        tenant.url(f"insights/{insight.id}/"),
        {"name": "Renamed", "result": [{"label": "New", "data": [42, 43]}]},
        format="json",
    )
    assert response.status_code == 200
    html = page(anonymous, shared)
    assert "Chart 0" not in html and "Renamed" in html
    assert {
        "kind": "line",
        "labels": ["1", "2"],
        "series": [{"label": "New", "data": [42, 43]}],
    } in chart_specs(html)


def test_a_page_costs_the_same_queries_for_any_number_of_tiles(tenant, share, anonymous):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    shared = share("dashboard")

    def queries() -> int:
        with CaptureQueriesContext(connection) as context:
            page(anonymous, shared)
        return len(context.captured_queries)

    cold = queries()
    warm = queries()
    for n in range(10):
        make_insight(tenant, name=f"More {n}", result=[{"label": "x", "data": [n]}]).dashboards.add(
            shared.resource
        )
    assert queries() == cold and queries() == warm == 2


def test_an_insight_page_is_headed_by_its_tile(share, anonymous):
    shared = share("insight", name="Signups", description="Daily")
    html = page(anonymous, shared)
    assert html.count("Signups</h2>") == 1 and "Daily" in html and '<header class="share-header">' not in html
    assert '<article class="tile tile-wide">' in html  # an insight alone spans the page
    shared.patch({"settings": {"noHeader": True}})
    html = page(anonymous, shared)
    assert "Signups</h2>" not in html and "Daily" not in html and "data-chart" in html
