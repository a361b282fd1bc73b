"""A shared dashboard shows its own tiles only, when its project has other dashboards with tiles of their own:
in its public JSON and its page, shared and embedded, by name, insight and tile id."""

import pytest

from burrow.analytics.models import Dashboard, DashboardTile, Insight
from tests.factories import make_dashboard, make_insight

pytestmark = pytest.mark.django_db


def place(tenant, insight: Insight, *dashboards: Dashboard) -> None:
    """Put the insight on these dashboards through the API, as the app does."""
    response = tenant.client.patch(
        tenant.url(f"insights/{insight.id}/"),
        {"dashboards": [board.id for board in dashboards]},
        format="json",
    )
    assert response.status_code == 200, response.content


def enable_sharing(tenant, dashboard: Dashboard) -> str:
    response = tenant.client.patch(
        tenant.url(f"dashboards/{dashboard.id}/sharing/"), {"enabled": True}, format="json"
    )
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


def tile_ids(dashboard: Dashboard) -> set[int]:
    return set(DashboardTile.objects.filter(dashboard=dashboard).values_list("id", flat=True))


def test_each_shared_dashboard_shows_only_its_own_tiles(tenant, anonymous):
    alpha = make_dashboard(tenant, name="Alpha board")
    beta = make_dashboard(tenant, name="Beta board")
    alpha_chart = make_insight(tenant, name="Alpha signups", result=[{"label": "a", "data": [1, 2]}])
    beta_chart = make_insight(tenant, name="Beta churn", result=[{"label": "b", "data": [3, 4]}])
    shared_chart = make_insight(tenant, name="Common revenue", result=[{"label": "c", "data": [5, 6]}])
    place(tenant, alpha_chart, alpha)
    place(tenant, beta_chart, beta)
    place(tenant, shared_chart, alpha, beta)  # one insight, a tile on each dashboard

    for board, own, foreign in ((alpha, alpha_chart, beta_chart), (beta, beta_chart, alpha_chart)):
        token = enable_sharing(tenant, board)
        for prefix in ("shared", "embedded"):
            response = anonymous.get(f"/{prefix}/{token}.json")
            assert response.status_code == 200, response.content
            tiles = response.json()["dashboard"]["tiles"]
            assert {tile["id"] for tile in tiles} == tile_ids(board), f"{prefix} {board.name}"
            assert sorted(tile["insight"]["id"] for tile in tiles) == sorted([own.id, shared_chart.id])
            for leaked in (foreign.name, foreign.short_id):
                assert leaked.encode() not in response.content, f"{leaked} in {prefix} JSON of {board.name}"

            page = anonymous.get(f"/{prefix}/{token}")
            assert page.status_code == 200
            html = page.content.decode()
            assert own.name in html and shared_chart.name in html
            assert foreign.name not in html, f"{foreign.name} on the {prefix} page of {board.name}"
