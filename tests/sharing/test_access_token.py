"""`?sharing_access_token=` on API reads: GET of exactly the shared dashboard or
insight works without an API key; anything else is refused."""

import pytest

from tests.conftest import client_for
from tests.factories import make_dashboard, make_insight
from tests.helpers import error

pytestmark = pytest.mark.django_db


def read(tenant, path: str, token: str, method: str = "get", **extra):
    return getattr(client_for(None), method)(tenant.url(f"{path}?sharing_access_token={token}"), **extra)


def test_the_shared_dashboard_and_insight_can_be_read(tenant, share):
    dashboard = share("dashboard", name="Growth", created_by=tenant.user)
    response = read(tenant, f"dashboards/{dashboard.resource.id}/", dashboard.token)
    assert response.status_code == 200, response.content
    assert response.json()["name"] == "Growth" and len(response.json()["tiles"]) == 2
    assert response.json()["created_by"] is None  # who made it is not part of what was shared
    insight = share("insight", name="Signups")
    response = read(tenant, f"insights/{insight.resource.id}/", insight.token)
    assert response.json()["name"] == "Signups"
    route = tenant.url(f"insights/{insight.resource.id}/", route="environments")
    assert client_for(None).get(f"{route}?sharing_access_token={insight.token}").status_code == 200
    assert read(tenant, f"insights/{insight.resource.id}/", insight.token, "head").status_code == 200


def test_anything_but_the_shared_object_is_403(tenant, other_tenant, share):
    shared = share("dashboard")
    unshared = make_dashboard(tenant, name="Secret plans")
    insight_on_it = shared.resource.insights.first()
    for path in (
        f"dashboards/{unshared.id}/",
        "dashboards/",
        "insights/",
        f"insights/{insight_on_it.id}/",
    ):
        response = read(tenant, path, shared.token)
        assert error(response, 403)["code"] == "permission_denied", path
        assert b"Secret" not in response.content
    # Elsewhere the parameter is no credential at all.
    for path in (f"dashboards/{shared.resource.id}/sharing/", "subscriptions/", "activity_log/"):
        assert error(read(tenant, path, shared.token), 401)["code"] == "not_authenticated"
    theirs = make_dashboard(other_tenant, name="Secret of theirs")
    response = read(other_tenant, f"dashboards/{theirs.id}/", shared.token)
    assert error(response, 403)["code"] == "permission_denied"
    response = client_for(None).get(
        f"/api/projects/@current/dashboards/{shared.resource.id}/?sharing_access_token={shared.token}"
    )
    assert response.status_code == 403


def test_only_get_requests_may_carry_a_sharing_token(tenant, share):
    shared = share("dashboard")
    for method in ("patch", "post", "put", "delete"):
        response = read(tenant, f"dashboards/{shared.resource.id}/", shared.token, method)
        assert error(response, 401) == {
            "type": "authentication_error",
            "code": "authentication_failed",
            "detail": "Sharing access token can only be used for GET requests.",
            "attr": None,
        }
    # Even beside a valid API key.
    response = tenant.client.patch(
        tenant.url(f"dashboards/{shared.resource.id}/?sharing_access_token={shared.token}"), {"name": "x"}
    )
    assert error(response, 401)["detail"] == "Sharing access token can only be used for GET requests."


def test_unknown_disabled_refreshed_and_password_protected_tokens_are_invalid(tenant, share):
    disabled = share("dashboard")
    disabled.patch({"enabled": False})
    refreshed = share("insight")
    old = refreshed.token
    refreshed.refresh()
    locked = share("dashboard", password="correct horse")
    deleted = share("insight")
    deleted.resource.deleted = True
    deleted.resource.save()
    cases = [
        (f"insights/{deleted.resource.id}/", deleted.token),
        (f"dashboards/{disabled.resource.id}/", disabled.token),
        (f"insights/{refreshed.resource.id}/", old),
        (f"dashboards/{locked.resource.id}/", locked.token),
        (f"dashboards/{locked.resource.id}/", "nope"),
        (f"dashboards/{locked.resource.id}/", ""),
    ]
    for path, token in cases:
        assert error(read(tenant, path, token), 401)["detail"] == "Sharing access token is invalid.", token


def test_api_keys_work_as_before_without_the_parameter(tenant, share):
    shared = share("dashboard", created_by=tenant.user)
    response = tenant.client.get(tenant.url(f"dashboards/{shared.resource.id}/"))
    assert response.json()["created_by"]["email"] == tenant.user.email
    assert tenant.client.get(tenant.url("dashboards/")).status_code == 200
    insight = make_insight(tenant)
    assert tenant.client.patch(tenant.url(f"insights/{insight.id}/"), {"name": "n"}).status_code == 200
    assert client_for(None).get(tenant.url("dashboards/")).status_code == 401
