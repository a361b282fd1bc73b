"""BURROW_BRAND_NAME is the name Burrow gives itself everywhere a person reads it: report mails, pages
(sign-in, members' pages, share pages); "Burrow" appears nowhere once it is set."""

from types import SimpleNamespace

import pytest
from django.test import Client

from burrow.subscriptions.delivery.channels.email import subject_for
from tests.factories import make_dashboard

pytestmark = pytest.mark.django_db
BRAND = "Acme Reports"


@pytest.fixture(autouse=True)
def brand(settings):
    settings.BRAND_NAME = BRAND


def _visible(html: str) -> str:
    """The page without its comments and scripts' sources (a stylesheet may say where it comes from)."""
    return html.split("</head>", 1)[-1]


def test_mail_subjects_name_the_brand(tenant):
    report = SimpleNamespace(
        is_invite=False, kind="Insight", name="Signups", subscription=SimpleNamespace(created_by=tenant.user)
    )
    assert subject_for(report, "reader@example.com") == f"{BRAND} Insight report - Signups"
    report.is_invite = True
    assert subject_for(report, "reader@example.com").endswith(f"subscribed you to a {BRAND} Insight")


def test_the_sign_in_page_names_the_brand():
    html = Client().get("/login").content.decode()
    assert f"<title>Sign in · {BRAND}</title>" in html and f"Sign in to {BRAND}" in html
    assert "Burrow" not in _visible(html)


def test_members_pages_name_the_brand(tenant):
    client = Client()
    client.force_login(tenant.user)
    html = client.get(f"/project/{tenant.team.id}").content.decode()
    assert f'class="member-brand" href="/project/{tenant.team.id}">{BRAND}</a>' in html
    assert "Burrow" not in _visible(html)


def test_a_share_page_names_the_brand_and_leads_back_home(tenant):
    dashboard = make_dashboard(tenant, name="Growth")
    response = tenant.client.patch(
        tenant.url(f"dashboards/{dashboard.id}/sharing/"), {"enabled": True}, format="json"
    )
    html = Client().get(f"/shared/{response.json()['access_token']}").content.decode()
    assert f'<a class="share-brand" href="/">{BRAND}</a>' in html and f"Shared with {BRAND}" in html
    assert "Burrow" not in _visible(html)
