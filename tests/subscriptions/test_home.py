"""`/` and `/project/:id`: a signed-in member lands on their project's home (dashboards, insights,
subscriptions with next delivery and last status, their other projects); anyone else is sent to sign in."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from tests.factories import make_dashboard, make_delivery, make_insight, make_subscription

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_signed_out_the_root_goes_to_sign_in():
    response = Client().get("/")
    assert response.status_code == 302 and response["Location"].startswith("/login")


def test_the_root_leads_a_member_to_their_projects_home_which_lists_what_the_api_lists(tenant, other_tenant):
    dashboard = make_dashboard(tenant, name="Growth board")
    insight = make_insight(tenant, name="Weekly signups")
    sub = make_subscription(tenant, insight=insight, title="Monday signups")
    make_delivery(tenant, subscription=sub, status="failed")
    make_dashboard(other_tenant, name="Their board")
    client = signed_in(tenant.user)
    root = client.get("/")
    assert root.status_code == 302 and root["Location"] == f"/project/{tenant.team.id}"
    home = client.get(root["Location"])
    html = home.content.decode()
    assert home.status_code == 200
    assert f'href="/project/{tenant.team.id}/dashboard/{dashboard.id}">Growth board' in html
    assert f'href="/project/{tenant.team.id}/insights/{insight.short_id}">Weekly signups' in html
    assert "Monday signups" in html and 'badge-failed">failed' in html and " UTC" in html
    assert "Their board" not in html
    listed = tenant.client.get(tenant.url("dashboards/")).json()["results"]
    assert [d["name"] for d in listed] == ["Growth board"]
    assert client.get(f"/project/{other_tenant.team.id}").status_code == 404  # not theirs


def test_a_member_of_two_organizations_can_switch_projects(tenant, make_tenant):
    second = make_tenant(email=tenant.user.email)
    html = signed_in(tenant.user).get(f"/project/{tenant.team.id}").content.decode()
    assert 'aria-label="Your projects"' in html and f'href="/project/{second.team.id}"' in html


def test_someone_in_no_organization_is_told_so():
    lone = get_user_model().objects.create_user(email="lone@example.com", password="x" * 12)
    page = signed_in(lone).get("/")
    assert page.status_code == 200 and b"No project yet" in page.content
