"""PostHog's API conventions: authentication, scopes, tenancy, routing, pagination and the error format."""

import pytest

from burrow.analytics.models import Dashboard
from tests.conftest import client_for
from tests.helpers import error_envelope as envelope

pytestmark = pytest.mark.django_db


def test_no_credentials_is_401_not_authenticated(tenant):
    response = client_for(None).get(tenant.url("dashboards/"))
    assert response.status_code == 401
    assert envelope(response) == {
        "type": "authentication_error",
        "code": "not_authenticated",
        "detail": "Authentication credentials were not provided.",
        "attr": None,
    }


def test_bad_key_is_401_naming_where_it_was_found(tenant):
    response = client_for("phx_not_a_real_key_value_at_all_123456").get(tenant.url("dashboards/"))
    assert response.status_code == 401
    assert (
        envelope(response)["detail"] == "Personal API key found in request Authorization header is invalid."
    )
    assert response.json()["code"] == "authentication_failed"
    response = client_for(None).get(tenant.url("dashboards/") + "?personal_api_key=phx_nope_nope_nope_nope")
    assert response.json()["detail"] == "Personal API key found in request query string is invalid."


def test_key_is_accepted_from_query_string_and_body(tenant):
    assert (
        client_for(None).get(tenant.url("dashboards/") + f"?personal_api_key={tenant.key}").status_code == 200
    )
    response = client_for(None).post(
        tenant.url("dashboards/"), {"name": "From body", "personal_api_key": tenant.key}, format="json"
    )
    assert response.status_code == 201


def test_bearer_token_with_extra_whitespace_works(tenant):
    client = client_for(None)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer   {tenant.key}  ")
    assert client.get(tenant.url("dashboards/")).status_code == 200


def test_missing_scope_is_403_with_reference_message(tenant, key_client):
    client = key_client(["insight:read"])
    response = client.get(tenant.url("dashboards/"))
    assert response.status_code == 403
    assert envelope(response) == {
        "type": "authentication_error",
        "code": "permission_denied",
        "detail": "API key missing required scope 'dashboard:read'",
        "attr": None,
    }


def test_write_scope_implies_read_but_not_the_reverse(tenant, key_client):
    assert key_client(["dashboard:write"]).get(tenant.url("dashboards/")).status_code == 200
    response = key_client(["dashboard:read"]).post(tenant.url("dashboards/"), {"name": "x"})
    assert response.status_code == 403
    assert response.json()["detail"] == "API key missing required scope 'dashboard:write'"


def test_star_key_grants_every_scope(tenant):
    assert tenant.client.post(tenant.url("dashboards/"), {"name": "x"}).status_code == 201
    assert tenant.client.get(tenant.url("activity_log/")).status_code == 200


def test_key_without_scopes_is_refused_at_creation(tenant):
    from burrow.core.keys import create_personal_api_key
    from burrow.core.scopes import InvalidScopes

    with pytest.raises(InvalidScopes):
        create_personal_api_key(tenant.user, "empty", [])
    with pytest.raises(InvalidScopes, match="Invalid scope: dashboard:delete"):
        create_personal_api_key(tenant.user, "bad", ["dashboard:delete"])


def test_key_scoped_to_another_project_is_403(tenant, make_tenant, key_client):
    client = key_client(["*"], scoped_teams=[tenant.team.id + 1000])
    response = client.get(tenant.url("dashboards/"))
    assert response.status_code == 403
    assert (
        response.json()["detail"]
        == f"API key does not have access to the requested project: ID {tenant.team.id}."
    )
    allowed = key_client(["*"], scoped_teams=[tenant.team.id])
    assert allowed.get(tenant.url("dashboards/")).status_code == 200


def test_key_scoped_to_another_organization_is_403(tenant, key_client):
    client = key_client(["*"], scoped_organizations=["00000000-0000-0000-0000-000000000001"])
    response = client.get(tenant.url("dashboards/"))
    assert response.status_code == 403
    assert response.json()["detail"] == (
        f"API key does not have access to the requested organization: ID {tenant.organization.id}."
    )


def test_current_project_resolves_to_the_users_project(tenant):
    Dashboard.objects.create(team=tenant.team, name="Mine")
    for route in ("projects", "environments"):
        response = tenant.client.get(f"/api/{route}/@current/dashboards/")
        assert response.status_code == 200
        assert [d["name"] for d in response.json()["results"]] == ["Mine"]


def test_trailing_slash_is_optional(tenant):
    assert tenant.client.get(tenant.url("dashboards")).status_code == 200
    assert tenant.client.get(tenant.url("dashboards/")).status_code == 200
    dashboard = Dashboard.objects.create(team=tenant.team, name="d")
    assert tenant.client.get(tenant.url(f"dashboards/{dashboard.id}")).status_code == 200


def test_unknown_and_malformed_project_are_404_project_not_found(tenant):
    for path in (
        "/api/projects/999999/dashboards/",
        "/api/projects/abc/dashboards/",
        "/api/environments/0/insights/",
    ):
        response = tenant.client.get(path)
        assert response.status_code == 404, path
        assert envelope(response) == {
            "type": "invalid_request",
            "code": "not_found",
            "detail": "Project not found.",
            "attr": None,
        }


def test_foreign_project_is_403_you_dont_have_access(tenant, other_tenant):
    response = other_tenant.client.get(tenant.url("dashboards/"))
    assert response.status_code == 403
    assert envelope(response)["detail"] == "You don't have access to the project."


def test_unknown_api_route_is_endpoint_not_found():
    response = client_for(None).get("/api/does-not-exist/")
    assert response.status_code == 404
    assert envelope(response)["detail"] == "Endpoint not found."


def test_object_not_found_is_404(tenant):
    response = tenant.client.get(tenant.url("dashboards/424242/"))
    assert response.status_code == 404
    assert envelope(response) == {
        "type": "invalid_request",
        "code": "not_found",
        "detail": "Not found.",
        "attr": None,
    }


def test_unmapped_method_is_405_with_envelope(tenant):
    response = tenant.client.put(tenant.url("dashboards/"), {})
    assert response.status_code == 405
    assert envelope(response) == {
        "type": "invalid_request",
        "code": "method_not_allowed",
        "detail": 'Method "PUT" not allowed.',
        "attr": None,
    }


def test_hard_delete_is_405_and_read_only_key_gets_403_first(tenant, key_client):
    dashboard = Dashboard.objects.create(team=tenant.team, name="d")
    response = tenant.client.delete(tenant.url(f"dashboards/{dashboard.id}/"))
    assert response.status_code == 405
    assert envelope(response)["detail"].startswith("Hard delete of this model is not allowed.")
    response = key_client(["dashboard:read"]).delete(tenant.url(f"dashboards/{dashboard.id}/"))
    assert response.status_code == 403


def test_malformed_json_is_parse_error(tenant):
    response = tenant.client.post(tenant.url("dashboards/"), "{nope", content_type="application/json")
    assert response.status_code == 400
    body = envelope(response)
    assert body["type"] == "invalid_request" and body["code"] == "parse_error"
    assert body["detail"].startswith("JSON parse error")


def test_validation_error_names_the_field(tenant):
    response = tenant.client.post(tenant.url("dashboards/"), {"name": "x" * 500}, format="json")
    assert response.status_code == 400
    body = envelope(response)
    assert body["type"] == "validation_error" and body["code"] == "max_length" and body["attr"] == "name"


def test_nested_validation_attr_is_joined_with_double_underscore():
    from rest_framework import serializers

    from burrow.core.exceptions import exception_handler

    error = serializers.ValidationError({"config": {"account_sid": ["This field is required."]}})
    assert exception_handler(error, {}).data["attr"] == "config__account_sid"
    error = serializers.ValidationError(
        {"items": [{}, {"name": [serializers.ErrorDetail("bad", "invalid")]}]}
    )
    data = exception_handler(error, {}).data
    assert data["attr"] == "items__1__name" and data["code"] == "invalid_input"


def test_throttling_is_off_by_default_and_on_when_configured(tenant, settings):
    for _ in range(5):
        assert tenant.client.get(tenant.url("dashboards/")).status_code == 200
    from django.core.cache import cache

    cache.clear()
    rest = dict(settings.REST_FRAMEWORK)
    rest["DEFAULT_THROTTLE_RATES"] = {"burst": "2/minute", "sustained": None}
    settings.REST_FRAMEWORK = rest
    statuses = [tenant.client.get(tenant.url("dashboards/")).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    body = envelope(tenant.client.get(tenant.url("dashboards/")))
    assert body["type"] == "throttled_error" and body["code"] == "throttled"
    assert body["detail"].startswith("Request was throttled. Expected available in")
    cache.clear()


def test_pagination_has_absolute_links(tenant):
    Dashboard.objects.bulk_create([Dashboard(team=tenant.team, name=f"d{i}") for i in range(5)])
    body = tenant.client.get(tenant.url("dashboards/?limit=2")).json()
    assert body["count"] == 5 and len(body["results"]) == 2
    assert body["next"] == f"http://testserver/api/projects/{tenant.project.id}/dashboards/?limit=2&offset=2"
    assert body["previous"] is None
    body = tenant.client.get(tenant.url("dashboards/?limit=2&offset=2")).json()
    assert body["previous"] == f"http://testserver/api/projects/{tenant.project.id}/dashboards/?limit=2"
    env = tenant.client.get(f"/api/environments/{tenant.team.id}/dashboards/?limit=2").json()
    assert env["next"].startswith(f"http://testserver/api/environments/{tenant.team.id}/dashboards/")
    assert tenant.client.get(tenant.url("dashboards/?limit=abc")).json()["count"] == 5


def test_last_used_at_is_recorded(tenant):
    from burrow.core.models import PersonalAPIKey

    tenant.client.get(tenant.url("dashboards/"))
    assert PersonalAPIKey.objects.get(user=tenant.user).last_used_at is not None


def test_keys_are_stored_hashed(tenant):
    from burrow.core.models import PersonalAPIKey

    key = PersonalAPIKey.objects.get(user=tenant.user)
    assert tenant.key not in key.secure_value
    assert key.mask_value == f"{tenant.key[:4]}...{tenant.key[-4:]}"
    assert tenant.key.startswith("phx_")


def test_health_and_readiness():
    client = client_for(None)
    response = client.get("/_health")
    assert response.status_code == 200 and response.content == b"ok"
    assert client.get("/_readyz").json() == {"database": True, "migrations": True, "cache": True}
    assert client.get("/_livez").json() == {"http": True}
