"""Listing subscriptions: soft delete, filters, search, ordering, pagination cost, tenancy and scopes."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from burrow.core.softdelete import HARD_DELETE_FORBIDDEN
from burrow.subscriptions.models import Subscription
from tests.factories import make_dashboard, make_insight, make_subscription
from tests.helpers import error

pytestmark = pytest.mark.django_db


def listed(tenant, route: str, query: str = "") -> list[int]:
    response = tenant.client.get(tenant.url("subscriptions/", route) + query)
    assert response.status_code == 200, response.content
    return [s["id"] for s in response.json()["results"]]


def test_delete_is_405_with_the_envelope(tenant, route):
    subscription = make_subscription(tenant)
    response = tenant.client.delete(tenant.url(f"subscriptions/{subscription.id}/", route))
    assert error(response, 405) == {
        "type": "invalid_request",
        "code": "method_not_allowed",
        "detail": HARD_DELETE_FORBIDDEN,
        "attr": None,
    }
    assert Subscription.objects.filter(id=subscription.id).exists()


def test_soft_delete_hides_from_lists_and_restore_brings_back(tenant, route):
    live, gone = make_subscription(tenant), make_subscription(tenant)
    url = tenant.url(f"subscriptions/{gone.id}/", route)
    assert tenant.client.patch(url, {"deleted": True}).json()["deleted"] is True
    assert listed(tenant, route) == [live.id]
    assert tenant.client.get(url).status_code == 200
    assert listed(tenant, route, "?deleted=true") == [gone.id]
    assert listed(tenant, route, "?deleted=false") == [live.id]
    tenant.client.patch(url, {"deleted": False})
    assert set(listed(tenant, route)) == {live.id, gone.id}


def test_newest_first_by_default(tenant, route):
    ids = [make_subscription(tenant).id for _ in range(3)]
    assert listed(tenant, route) == ids[::-1]


def test_filters(tenant, route):
    insight, dashboard = make_insight(tenant), make_dashboard(tenant)
    by_insight = make_subscription(
        tenant, insight=insight, target_type="webhook", target_value="https://x.io"
    )
    by_dashboard = make_subscription(tenant, insight=None, dashboard=dashboard)
    someone = make_subscription(tenant, created_by=None)
    assert listed(tenant, route, f"?insight={insight.id}") == [by_insight.id]
    assert listed(tenant, route, f"?dashboard={dashboard.id}") == [by_dashboard.id]
    assert listed(tenant, route, "?resource_type=dashboard") == [by_dashboard.id]
    assert listed(tenant, route, "?resource_type=insight") == [someone.id, by_insight.id]
    assert len(listed(tenant, route, "?resource_type=pulse")) == 3  # unknown value ignored
    assert listed(tenant, route, "?target_type=webhook") == [by_insight.id]
    assert listed(tenant, route, f"?created_by={tenant.user.uuid}") == [by_dashboard.id, by_insight.id]


@pytest.mark.parametrize(
    "query, attr, message",
    [
        ("?created_by=nope", "created_by", "Not a valid UUID."),
        ("?target_type=pigeon", "target_type", "Must be one of: email, slack, webhook."),
        ("?insight=abc", "insight", "A valid integer is required."),
        ("?dashboard=99999999999999999999999", "dashboard", "A valid integer is required."),
    ],
)
def test_bad_filter_values_are_400(tenant, route, query, attr, message):
    data = error(tenant.client.get(tenant.url("subscriptions/", route) + query))
    assert (data["attr"], data["detail"]) == (attr, message)


def test_search_covers_title_and_resource_names(tenant, route):
    titled = make_subscription(tenant, title="Quarterly revenue")
    named = make_subscription(tenant, title=None, insight=make_insight(tenant, name="Revenue by country"))
    derived = make_subscription(
        tenant, title=None, insight=make_insight(tenant, name=None, derived_name="revenue")
    )
    board = make_subscription(tenant, insight=None, dashboard=make_dashboard(tenant, name="Revenue board"))
    make_subscription(tenant, title="Signups")
    assert set(listed(tenant, route, "?search=REVENUE")) == {titled.id, named.id, derived.id, board.id}


def test_ordering(tenant, route):
    now = timezone.now()
    b = make_subscription(tenant, title="b", start_date=now + timedelta(days=3))
    a = make_subscription(tenant, title="a", start_date=now + timedelta(days=9))
    c = make_subscription(tenant, title="c", start_date=now + timedelta(days=1))
    assert listed(tenant, route, "?ordering=title") == [a.id, b.id, c.id]
    assert listed(tenant, route, "?ordering=-title") == [c.id, b.id, a.id]
    assert listed(tenant, route, "?ordering=next_delivery_date") == [c.id, b.id, a.id]
    assert listed(tenant, route, "?ordering=created_at") == [b.id, a.id, c.id]
    assert listed(tenant, route, "?ordering=created_by__email") == [c.id, a.id, b.id]  # ties: newest first
    assert listed(tenant, route, "?ordering=target_value") == [c.id, a.id, b.id]  # unknown field ignored


def test_pagination_links(tenant, route):
    for _ in range(3):
        make_subscription(tenant)
    data = tenant.client.get(tenant.url("subscriptions/", route) + "?limit=2").json()
    assert data["count"] == 3 and len(data["results"]) == 2
    assert f"/api/{route}/" in data["next"] and "offset=2" in data["next"]
    assert data["previous"] is None
    last = tenant.client.get(data["next"]).json()
    assert len(last["results"]) == 1 and last["next"] is None
    assert last["previous"].startswith("http") and "limit=2" in last["previous"]
    assert "offset" not in last["previous"]  # PostHog drops offset=0


def test_list_query_count_does_not_grow_with_the_page(tenant, route):
    dashboard = make_dashboard(tenant)
    tiles = [make_insight(tenant) for _ in range(3)]
    for n in range(20):
        subscription = make_subscription(tenant, insight=None, dashboard=dashboard, created_by=tenant.user)
        subscription.dashboard_export_insights.set(tiles[: n % 3 + 1])
    tenant.client.get(
        tenant.url("subscriptions/", route)
    )  # warm-up: the key's last-used stamp is written once
    counts = []
    for limit in (1, 20):
        with CaptureQueriesContext(connection) as queries:
            response = tenant.client.get(tenant.url("subscriptions/", route) + f"?limit={limit}")
        assert len(response.json()["results"]) == limit
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_another_tenant_cannot_reach_my_subscriptions(tenant, other_tenant, route):
    subscription = make_subscription(tenant)
    mine = tenant.url(f"subscriptions/{subscription.id}/", route)
    assert error(other_tenant.client.get(mine), 403)["detail"] == "You don't have access to the project."
    assert other_tenant.client.patch(mine, {"title": "pwned"}).status_code == 403
    theirs = other_tenant.url(f"subscriptions/{subscription.id}/", route)
    assert error(other_tenant.client.get(theirs), 404)["detail"] == "Not found."
    assert other_tenant.client.patch(theirs, {"title": "pwned"}).status_code == 404
    assert Subscription.objects.get(id=subscription.id).title == "Secret subscription"


def test_scopes(tenant, key_client, body, route):
    subscription = make_subscription(tenant)
    url = tenant.url("subscriptions/", route)
    reader = key_client(["subscription:read"])
    assert reader.get(url).status_code == 200
    assert error(reader.post(url, body(), format="json"), 403)["detail"] == (
        "API key missing required scope 'subscription:write'"
    )
    assert reader.delete(f"{url}{subscription.id}/").status_code == 403
    assert key_client(["subscription:write"]).delete(f"{url}{subscription.id}/").status_code == 405
    assert error(key_client(["insight:read"]).get(url), 403)["detail"] == (
        "API key missing required scope 'subscription:read'"
    )
    assert key_client(["subscription:write"]).post(url, body(), format="json").status_code == 201
