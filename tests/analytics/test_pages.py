"""Members' dashboard and insight pages (`/project/:id/dashboard/:id`, `/project/:id/insights/:short_id`): a
signed-out visitor is sent to sign in and back, a member sees the charts, and anyone else, or any id that
does not open, gets the same 404 page. Old project-less links redirect to the member's project."""

import json
from urllib.parse import quote

import pytest
from django.test import Client

from burrow.analytics.models import DashboardTile
from tests.factories import make_dashboard, make_insight

pytestmark = pytest.mark.django_db

SERIES = [
    {"label": "Signups", "labels": ["Mon", "Tue", "Wed"], "data": [3, 5, 8]},
    {"label": "Logins", "labels": ["Mon", "Tue", "Wed"], "data": [9, 7, 12]},
]


@pytest.fixture(autouse=True)
def fresh_tile_cache():
    """Rendered tiles are kept per process by insight id and version; ids start over in each test's database."""
    from burrow.analytics.tiles import forget_rendered_tiles

    forget_rendered_tiles()
    yield
    forget_rendered_tiles()


def signed_in(tenant) -> Client:
    client = Client()
    client.force_login(tenant.user)
    return client


@pytest.fixture
def board(tenant):
    dashboard = make_dashboard(tenant, name="Growth <weekly>", description="For the board")
    for name in ("Signups", "Logins"):
        DashboardTile.objects.create(
            dashboard=dashboard, insight=make_insight(tenant, name=name, result=SERIES)
        )
    return dashboard


def dashboard_path(tenant, dashboard) -> str:
    return f"/project/{tenant.team.id}/dashboard/{dashboard.id}"


def test_a_member_sees_the_dashboard_with_its_charts(tenant, board):
    response = signed_in(tenant).get(dashboard_path(tenant, board))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Growth &lt;weekly&gt;" in html and "For the board" in html
    assert html.count('<article class="tile') == 2 and "Signups" in html and "Logins" in html
    spec = json.loads(
        response.context["tiles"][0].split('data-chart="')[1].split('"')[0].replace("&quot;", '"')
    )
    assert spec["series"][0]["data"] == [3, 5, 8] and spec["labels"] == ["Mon", "Tue", "Wed"]
    assert '<script src="/static/analytics/vendor/uplot-1.6.32/uPlot.iife.min.js" defer></script>' in html
    assert '<script src="/static/analytics/charts.js" defer></script>' in html
    assert "<script>" not in html  # no inline script: the CSP below would refuse it
    assert f'href="/project/{tenant.team.id}/subscriptions"' in html


def test_pages_carry_the_share_pages_security_headers(tenant, board):
    for response in (
        signed_in(tenant).get(dashboard_path(tenant, board)),
        signed_in(tenant).get(f"/project/{tenant.team.id}/dashboard/999999"),
        Client().get(dashboard_path(tenant, board)),
    ):
        csp = response["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert response["Cache-Control"] == "no-store"
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"
        # Not no-referrer: forms posted under it carry `Origin: null`, which fails the CSRF origin check.
        assert response["Referrer-Policy"] == "same-origin"


def test_the_insight_page_shows_its_chart_and_series_table(tenant):
    insight = make_insight(tenant, name="Weekly signups", description="New accounts", result=SERIES)

    response = signed_in(tenant).get(f"/project/{tenant.team.id}/insights/{insight.short_id}")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Weekly signups" in html and "New accounts" in html
    assert 'data-chart="' in html and 'data-legend="true"' in html
    assert '<th scope="row">Logins</th><td>9</td><td>7</td><td>12</td>' in html


@pytest.mark.parametrize(
    "path", ["/project/{team}/dashboard/{dashboard}", "/project/{team}/insights/{short_id}"]
)
def test_a_signed_out_visitor_is_sent_to_sign_in_and_back(tenant, board, path):
    insight = board.insights.first()
    url = (
        path.format(team=tenant.team.id, dashboard=board.id, short_id=insight.short_id) + "?utm_source=email"
    )

    response = Client().get(url)

    assert response.status_code == 302
    assert response["Location"] == f"/login?next={quote(url, safe='/')}"


def test_another_organizations_member_gets_the_same_404_page_as_an_unknown_id(tenant, other_tenant, board):
    insight = board.insights.first()
    outsider = signed_in(other_tenant)
    member = signed_in(tenant)
    team = tenant.team.id

    foreign = [
        outsider.get(dashboard_path(tenant, board)),
        outsider.get(f"/project/{team}/insights/{insight.short_id}"),
        # Their own project in the URL does not open our dashboard either.
        outsider.get(f"/project/{other_tenant.team.id}/dashboard/{board.id}"),
        outsider.get(f"/project/{other_tenant.team.id}/insights/{insight.short_id}"),
    ]
    unknown = [
        member.get(f"/project/{team}/dashboard/999999"),
        member.get(f"/project/{team}/dashboard/not-an-id"),
        member.get(f"/project/{team}/dashboard/99999999999999999999999"),
        member.get(f"/project/{team}/insights/nope"),
        member.get(f"/project/999999/dashboard/{board.id}"),
        member.get(f"/project/abc/dashboard/{board.id}"),
    ]

    bodies = {response.content for response in foreign + unknown}
    assert [r.status_code for r in foreign + unknown] == [404] * 10
    body = bodies.pop()
    assert not bodies and b"Growth" not in body
    assert b'<a href="/" class="button">Go to your home</a>' in body  # a way back, whoever asked


def test_a_deleted_dashboard_or_insight_is_not_found(tenant, board):
    insight = board.insights.first()
    board.deleted = True
    board.save()
    insight.deleted = True
    insight.save()
    member = signed_in(tenant)

    assert member.get(dashboard_path(tenant, board)).status_code == 404
    assert member.get(f"/project/{tenant.team.id}/insights/{insight.short_id}").status_code == 404


def test_an_old_mail_link_redirects_to_the_members_project(tenant, board):
    insight = board.insights.first()
    member = signed_in(tenant)

    response = member.get(f"/dashboard/{board.id}?utm_source=posthog&utm_medium=email")
    assert response.status_code == 302
    assert response["Location"] == f"{dashboard_path(tenant, board)}?utm_source=posthog&utm_medium=email"
    response = member.get(f"/insights/{insight.short_id}")
    assert response["Location"] == f"/project/{tenant.team.id}/insights/{insight.short_id}"
    assert member.get(response["Location"]).status_code == 200


def test_an_old_link_opens_nothing_for_others_and_asks_strangers_to_sign_in(tenant, other_tenant, board):
    insight = board.insights.first()

    assert signed_in(other_tenant).get(f"/dashboard/{board.id}").status_code == 404
    assert signed_in(other_tenant).get(f"/insights/{insight.short_id}").status_code == 404
    assert signed_in(tenant).get("/dashboard/999999").status_code == 404
    assert signed_in(tenant).get("/dashboard/x").status_code == 404
    assert Client().get(f"/dashboard/{board.id}")["Location"] == f"/login?next=/dashboard/{board.id}"


def test_an_old_insight_link_two_of_the_members_projects_share_is_not_guessed(tenant, make_tenant):
    from burrow.core.models import OrganizationMembership

    second = make_tenant()
    OrganizationMembership.objects.create(user=tenant.user, organization=second.organization, level=1)
    make_insight(tenant, short_id="Same1234")
    make_insight(second, short_id="Same1234")

    assert signed_in(tenant).get("/insights/Same1234").status_code == 404
    assert signed_in(tenant).get(f"/project/{second.team.id}/insights/Same1234").status_code == 200
