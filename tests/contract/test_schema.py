"""The OpenAPI document: every API route appears, with PostHog's summaries and each operation's scopes;
Swagger UI is served from local files (works offline)."""

import re

import pytest
from django.urls import get_resolver

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from django.test import Client

    with django_db_blocker.unblock():
        response = Client().get("/api/schema/?format=json")
    assert response.status_code == 200
    return response.json()


def _operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if isinstance(operation, dict) and "operationId" in operation:
                yield method, path, operation


def test_summaries_follow_posthog_naming(schema):
    summaries = {(m, p): op["summary"] for m, p, op in _operations(schema)}
    assert summaries["get", "/api/projects/{project_id}/subscriptions/"] == "List all subscriptions"
    assert (
        summaries["get", "/api/environments/{environment_id}/subscriptions/"]
        == "List all environments subscriptions"
    )
    assert (
        summaries["post", "/api/environments/{environment_id}/subscriptions/"]
        == "Create environments subscriptions"
    )
    assert summaries["patch", "/api/projects/{project_id}/subscriptions/{id}/"] == "Update subscriptions"


def test_operations_carry_their_required_scopes(schema):
    for method, path, operation in _operations(schema):
        [security] = operation["security"]
        scopes = security["PersonalAPIKeyAuth"]
        if "subscriptions" in path and "activity_log" not in path:
            expected = "subscription:read" if method == "get" else "subscription:write"
            assert scopes == [expected], (method, path)


# Signed public files, not part of the authenticated API.
UNDOCUMENTED = {"/api/exported-assets/{token}.png"}


def _api_routes():
    """Every route under api/, written as OpenAPI paths ("/api/projects/{project_id}/subscriptions/")."""
    for pattern in get_resolver().url_patterns:
        if str(pattern.pattern) != "api/":
            continue
        for sub in pattern.url_patterns:
            route = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: "{" + m[1] + "}", str(sub.pattern))
            route = route.lstrip("^").removesuffix("$").removesuffix("/?").replace("\\.", ".")
            yield "/api/" + route.replace("{pk}", "{id}") + ("" if route.endswith(".png") else "/")


def test_every_api_route_is_in_the_schema(schema):
    routes = set(_api_routes())
    assert len(routes) > 20
    assert routes - UNDOCUMENTED <= set(schema["paths"])


def test_swagger_ui_is_served_from_local_assets(client):
    page = client.get("/api/schema/swagger-ui/")
    assert page.status_code == 200
    assert b"cdn.jsdelivr" not in page.content and b"unpkg.com" not in page.content


def test_every_operation_is_listed_under_one_described_area(schema):
    from django.conf import settings

    described = {tag["name"]: tag["description"] for tag in schema.get("tags", [])}
    assert list(described) == [tag["name"] for tag in settings.SPECTACULAR_SETTINGS["TAGS"]]
    assert all(described.values())
    used = {}
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            assert len(operation["tags"]) == 1 and operation["tags"][0] in described, (method, path)
            used.setdefault(operation["tags"][0], set()).add(path)
    assert set(used) == set(described)  # every area has operations, none is left empty
    assert any("/subscriptions/" in p for p in used["Subscriptions"])
    assert any(p.endswith("/query/") for p in used["Queries"])
    assert schema["info"]["title"] == "Burrow API"
