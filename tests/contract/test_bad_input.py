"""Hostile or absurd input is a clear 4xx in the error envelope, never a 500: deep JSON, huge bodies, ids and
numbers past 64 bits in paths, query strings, bodies and list items, and pages nobody could hold."""

import json

import pytest

from tests.conftest import client_for
from tests.factories import make_dashboard, make_insight, make_subscription
from tests.helpers import error

pytestmark = pytest.mark.django_db

TOO_BIG = 9223372036854775808  # 2**63: one past the largest database id


@pytest.fixture
def populated(tenant):
    """A page to cut: without rows, some databases never evaluate LIMIT/OFFSET."""
    for n in range(3):
        make_dashboard(tenant, name=f"Board {n}")
    make_subscription(tenant)
    return tenant


@pytest.mark.parametrize("authenticated", [True, False])
def test_json_nested_a_thousand_deep_is_a_parse_error(populated, authenticated):
    client = populated.client if authenticated else client_for(None)
    deep = "[" * 1000 + "]" * 1000
    response = client.post(populated.url("dashboards/"), deep, content_type="application/json")
    if authenticated:
        assert error(response)["code"] == "parse_error"
    else:
        assert response.status_code == 401  # parsed while looking for a key in the body, then refused


def test_moderately_nested_json_is_still_accepted(populated):
    query = {"kind": "TrendsQuery", "series": [[[{"a": [1, 2, {"b": [3]}]}]]]}
    response = populated.client.post(populated.url("insights/"), {"name": "n", "query": query}, format="json")
    assert response.status_code == 201, response.content


def test_a_ten_megabyte_body_is_413_in_the_envelope(populated):
    body = json.dumps({"name": "x" * (10 * 1024 * 1024)})
    response = populated.client.post(populated.url("dashboards/"), body, content_type="application/json")
    assert error(response, 413) == {
        "type": "invalid_request",
        "code": "payload_too_large",
        "detail": "Request body is too large.",
        "attr": None,
    }


@pytest.mark.parametrize("route", ["projects", "environments"])
def test_a_project_id_past_64_bits_is_not_found(populated, route):
    response = populated.client.get(f"/api/{route}/{TOO_BIG}/dashboards/")
    assert error(response, 404)["detail"] == "Project not found."


@pytest.mark.parametrize("path", ["dashboards", "insights", "subscriptions"])
def test_an_object_id_past_64_bits_is_not_found(populated, path):
    error(populated.client.get(populated.url(f"{path}/{TOO_BIG}/")), 404)
    error(populated.client.patch(populated.url(f"{path}/{TOO_BIG}/"), {"name": "x"}), 404)


def test_the_delivery_log_of_an_impossible_subscription_is_not_found(populated):
    error(populated.client.get(populated.url(f"subscriptions/{TOO_BIG}/deliveries/")), 404)


@pytest.mark.parametrize(
    "query", [f"limit={TOO_BIG}", f"offset={TOO_BIG}", f"limit={TOO_BIG}&offset={TOO_BIG}"]
)
def test_limit_and_offset_past_64_bits_give_a_normal_page(populated, query):
    response = populated.client.get(populated.url(f"dashboards/?{query}"))
    assert response.status_code == 200, response.content
    assert set(response.json()) == {"count", "next", "previous", "results"}


def test_pages_are_capped_and_next_links_still_work(populated, settings):
    settings.PAGE_SIZE_MAX = 2
    page = populated.client.get(populated.url("dashboards/?limit=1000000")).json()
    assert len(page["results"]) == 2 and page["count"] == 3
    assert "limit=2" in page["next"]
    rest = populated.client.get(page["next"]).json()
    assert len(rest["results"]) == 1


@pytest.mark.parametrize("query", [f"insight={TOO_BIG}", f"dashboard={TOO_BIG}", "insight=1.5"])
def test_id_filters_past_64_bits_are_400_naming_the_parameter(populated, query):
    data = error(populated.client.get(populated.url(f"subscriptions/?{query}")))
    assert data["attr"] == query.split("=")[0]


def test_ids_past_64_bits_in_list_items_are_400_with_attr(populated):
    response = populated.client.post(
        populated.url("insights/"), {"name": "n", "dashboards": [TOO_BIG]}, format="json"
    )
    assert error(response)["attr"].startswith("dashboards")


@pytest.mark.parametrize("value", [TOO_BIG, 1.5, True, "1.5"])
def test_references_that_cannot_be_ids_are_400_with_attr(populated, value):
    insight = make_insight(populated)
    body = {
        "insight": insight.id + 0.5 if value == 1.5 else value,
        "target_type": "email",
        "target_value": "a@example.com",
        "frequency": "daily",
        "start_date": "2030-01-01T00:00:00Z",
    }
    assert (
        error(populated.client.post(populated.url("subscriptions/"), body, format="json"))["attr"]
        == "insight"
    )


def test_a_forged_host_is_refused_before_any_link_is_built(populated, settings):
    settings.ALLOWED_HOSTS = ["burrow.example.com", "localhost", "127.0.0.1", "[::1]"]
    forged = populated.client.get(populated.url("dashboards/?limit=1"), HTTP_HOST="evil.example.net")
    assert error(forged)["code"] == "unknown_host"
    assert b"evil" not in forged.content
    page = populated.client.get(populated.url("dashboards/?limit=1"), HTTP_HOST="burrow.example.com").json()
    assert page["next"].startswith("http://burrow.example.com/")
    internal = populated.client.get(populated.url("dashboards/?limit=1"), HTTP_HOST="127.0.0.1:8000").json()
    assert internal["next"].startswith("http://127.0.0.1:8000/")  # links keep the (validated) request host
