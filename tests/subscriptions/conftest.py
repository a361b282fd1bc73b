"""Helpers for the subscriptions tests: resources to subscribe to and request bodies."""

import pytest

from tests.factories import make_dashboard, make_insight

ROUTES = ["projects", "environments"]
FUTURE_START = "2030-01-07T09:00:00Z"  # a Monday


@pytest.fixture(params=ROUTES)
def route(request) -> str:
    return request.param


@pytest.fixture
def insight(tenant):
    return make_insight(tenant, name="Weekly signups")


@pytest.fixture
def dashboard(tenant):
    """A dashboard with three insight tiles."""
    from burrow.analytics.models import DashboardTile

    board = make_dashboard(tenant, name="Growth")
    for n in range(3):
        DashboardTile.objects.create(dashboard=board, insight=make_insight(tenant, name=f"Tile {n}"))
    return board


def tile_ids(dashboard) -> list[int]:
    return sorted(dashboard.tiles.values_list("insight_id", flat=True))


@pytest.fixture
def body(insight):
    """A valid creation body; keyword arguments override or add fields."""

    def make(**fields) -> dict:
        data = {
            "insight": insight.id,
            "target_type": "email",
            "target_value": "test@posthog.com",
            "frequency": "weekly",
            "interval": 1,
            "start_date": FUTURE_START,
            "title": "My Subscription",
        }
        data.update(fields)
        return {k: v for k, v in data.items() if v is not ...}

    return make


@pytest.fixture
def create(tenant, body, route):
    """POST a subscription on the parametrized route and return the response."""

    def post(**fields):
        return tenant.client.post(tenant.url("subscriptions/", route), body(**fields), format="json")

    return post
