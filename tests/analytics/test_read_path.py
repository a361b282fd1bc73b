"""The API's read path stays cheap: a dashboard is read in a fixed number of queries whatever its size, a page
of dashboards in a fixed number whatever its length (no query per row), and none of it is cached between
requests: a key revoked or a membership removed is refused on the very next request."""

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from burrow.analytics.models import DashboardTile
from burrow.core.models import OrganizationMembership, PersonalAPIKey
from tests.factories import make_dashboard, make_insight

pytestmark = pytest.mark.django_db


def _dashboard_with_tiles(tenant, tiles: int, creator) -> object:
    board = make_dashboard(tenant, created_by=creator)
    for n in range(tiles):
        DashboardTile.objects.create(dashboard=board, insight=make_insight(tenant), layouts={"sm": {"y": n}})
    return board


def _queries(tenant, path: str) -> list[str]:
    tenant.client.get(path)  # the key's `last_used_at` is written at most once a minute: not counted
    with CaptureQueriesContext(connection) as captured:
        response = tenant.client.get(path)
    assert response.status_code == 200, response.content
    return [q["sql"] for q in captured]


def test_a_dashboard_is_four_queries_whatever_its_tiles(tenant):
    small, large = _dashboard_with_tiles(tenant, 1, tenant.user), _dashboard_with_tiles(tenant, 6, None)
    for board in (small, large):
        # the key and its user, the project with the caller's level, the dashboard and creator, its tiles
        assert len(_queries(tenant, tenant.url(f"dashboards/{board.id}/"))) == 4


def test_a_page_of_dashboards_costs_the_same_whatever_its_length(tenant, make_tenant):
    colleague = make_tenant().user
    OrganizationMembership.objects.create(organization=tenant.organization, user=colleague)
    _dashboard_with_tiles(tenant, 2, tenant.user)
    short = len(_queries(tenant, tenant.url("dashboards/")))
    for n in range(8):
        _dashboard_with_tiles(tenant, n % 3, [tenant.user, colleague, None][n % 3])
    # key, project, count, page, creators (each once), tiles
    assert len(_queries(tenant, tenant.url("dashboards/"))) == short == 6


def test_a_revoked_key_is_refused_on_the_next_request(tenant):
    path = tenant.url(f"dashboards/{make_dashboard(tenant).id}/")
    assert tenant.client.get(path).status_code == 200
    PersonalAPIKey.objects.filter(user=tenant.user).delete()
    assert tenant.client.get(path).status_code == 401


def test_a_removed_member_is_refused_on_the_next_request(tenant):
    path = tenant.url(f"dashboards/{make_dashboard(tenant).id}/")
    assert tenant.client.get(path).status_code == 200
    OrganizationMembership.objects.filter(user=tenant.user).delete()
    response = tenant.client.get(path)
    assert response.status_code == 403
    assert response.json()["detail"] == "You don't have access to the project."


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the health check is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_the_health_check_is_skipped_only_just_after_a_clean_request(monkeypatch):
    """burrow/core/postgresql/base.py: a connection that served a request without error in the last second
    is not asked `SELECT 1`; one idle for longer is, and one PostgreSQL dropped meanwhile is replaced."""
    conn = connections.create_connection("default")  # a persistent connection, as a web worker's
    conn.ensure_connection()
    assert conn.health_check_enabled and conn.settings_dict["CONN_MAX_AGE"]
    checks = []
    real_check = conn.is_usable
    monkeypatch.setattr(conn, "is_usable", lambda: checks.append(1) or real_check())

    def request() -> int:
        conn.close_if_unusable_or_obsolete()  # what Django does when a request starts
        with conn.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        conn.close_if_unusable_or_obsolete()  # ... and when it ends
        return pid

    try:
        first = request()
        assert request() == first and checks == []  # just used: no check
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [first])
        conn.healthy_at -= 2  # more than a second later
        assert request() != first  # checked, found dropped, replaced
        assert checks == [1]
    finally:
        conn.close()
