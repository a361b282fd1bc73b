"""Dashboards and insights: PostHog-compatible minimal resources."""

import pytest

from burrow.analytics.models import DashboardTile

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("route", ["projects", "environments"])
def test_insight_created_on_dashboards_appears_as_tile(tenant, route):
    dashboard = tenant.client.post(tenant.url("dashboards/", route), {"name": "Weekly"}).json()
    response = tenant.client.post(
        tenant.url("insights/", route),
        {"name": "Signups", "query": {"kind": "TrendsQuery"}, "dashboards": [dashboard["id"]]},
        format="json",
    )
    assert response.status_code == 201, response.json()
    insight = response.json()
    assert insight["dashboards"] == [dashboard["id"]]
    tiles = tenant.client.get(tenant.url(f"dashboards/{dashboard['id']}/", route)).json()["tiles"]
    assert [t["insight"]["id"] for t in tiles] == [insight["id"]]


def test_insight_cannot_be_placed_on_another_tenants_dashboard(tenant, other_tenant):
    foreign = other_tenant.client.post(other_tenant.url("dashboards/"), {"name": "Theirs"}).json()
    response = tenant.client.post(
        tenant.url("insights/"), {"name": "x", "dashboards": [foreign["id"]]}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["attr"] == "dashboards"


def test_soft_deleted_dashboard_leaves_list_but_can_be_retrieved_and_restored(tenant):
    dashboard = tenant.client.post(tenant.url("dashboards/"), {"name": "Old"}).json()
    tenant.client.patch(tenant.url(f"dashboards/{dashboard['id']}/"), {"deleted": True})
    assert tenant.client.get(tenant.url("dashboards/")).json()["count"] == 0
    assert tenant.client.get(tenant.url("dashboards/?deleted=true")).json()["count"] == 1
    assert tenant.client.get(tenant.url(f"dashboards/{dashboard['id']}/")).json()["deleted"] is True
    tenant.client.patch(tenant.url(f"dashboards/{dashboard['id']}/"), {"deleted": False})
    assert tenant.client.get(tenant.url("dashboards/")).json()["count"] == 1


def test_removing_an_insight_from_a_dashboard(tenant):
    dashboard = tenant.client.post(tenant.url("dashboards/"), {"name": "D"}).json()
    insight = tenant.client.post(
        tenant.url("insights/"), {"name": "I", "dashboards": [dashboard["id"]]}
    ).json()
    tenant.client.patch(tenant.url(f"insights/{insight['id']}/"), {"dashboards": []}, format="json")
    assert tenant.client.get(tenant.url(f"dashboards/{dashboard['id']}/")).json()["tiles"] == []


@pytest.mark.parametrize(
    "layouts, position",
    [
        ({"sm": {"x": 2, "y": 4}}, (4, 2)),
        ({"sm": {"y": None, "x": "left"}}, (100, 100)),
        ({"sm": "junk"}, (100, 100)),
        ([1, 2], (100, 100)),
        ({"sm": {"y": True, "x": 1.5}}, (100, 1.5)),
        (None, (100, 100)),
    ],
)
def test_tile_layout_position_tolerates_any_client_json(layouts, position):
    """Clients store free-form layout JSON; ordering tiles must never fail on it (it would break delivery)."""
    assert DashboardTile(layouts=layouts).layout_position == position


def test_patching_an_insight_without_dashboards_keeps_its_tiles(tenant):
    dashboard = tenant.client.post(tenant.url("dashboards/"), {"name": "D"}).json()
    insight = tenant.client.post(
        tenant.url("insights/"), {"name": "I", "dashboards": [dashboard["id"]]}, format="json"
    ).json()
    answer = tenant.client.patch(tenant.url(f"insights/{insight['id']}/"), {"name": "Renamed"}, format="json")
    assert answer.json()["dashboards"] == [dashboard["id"]]
    tiles = tenant.client.get(tenant.url(f"dashboards/{dashboard['id']}/")).json()["tiles"]
    assert [(t["insight"]["id"], t["insight"]["name"]) for t in tiles] == [(insight["id"], "Renamed")]
