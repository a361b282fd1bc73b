"""The subscription pages report mails link to: what they show, who may open them (the API's checks: other
organizations and unknown ids get the same 404 page), and their forms: "Send now" sends one report however
often it is posted, "Unsubscribe me" takes the member's own address off, the edit form saves through the
API's validation, and every form needs its CSRF token."""

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from burrow.analytics.models import DashboardTile
from burrow.subscriptions.models import Subscription, SubscriptionDelivery
from tests.factories import make_dashboard, make_delivery, make_insight, make_subscription

pytestmark = pytest.mark.django_db

START = datetime(2030, 1, 7, 9, 0, tzinfo=UTC)  # a Monday


def signed_in(tenant, **options) -> Client:
    client = Client(**options)
    client.force_login(tenant.user)
    return client


@pytest.fixture
def subscription(tenant):
    insight = make_insight(tenant, name="Weekly signups")
    return make_subscription(
        tenant,
        insight=insight,
        title="Monday signups",
        target_value=f"{tenant.user.email},bo@example.com",
        frequency="weekly",
        byweekday=["monday"],
        start_date=START,
    )


def page_of(subscription) -> str:
    return f"/project/{subscription.team_id}/insights/{subscription.insight.short_id}/subscriptions/{subscription.id}"


def manual_deliveries(subscription) -> int:
    return SubscriptionDelivery.objects.filter(subscription=subscription, trigger_type="manual").count()


def test_the_page_shows_the_schedule_next_deliveries_and_the_log(tenant, subscription):
    make_delivery(
        tenant,
        subscription=subscription,
        status="completed",
        recipient_results=[
            {"recipient": tenant.user.email, "status": "success", "attempts": 1},
            {"recipient": "bo@example.com", "status": "failed", "attempts": 3, "error": "550 No such user"},
        ],
    )

    response = signed_in(tenant).get(page_of(subscription))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Monday signups" in html and "sent every week" in html and "Weekly signups" in html
    assert f'href="/project/{tenant.team.id}/insights/{subscription.insight.short_id}"' in html
    upcoming = re.findall(r"<time datetime=\"(2030-[^\"]+)\"", html)
    assert upcoming == [(START + timedelta(weeks=n)).isoformat() for n in range(5)]
    assert html.count('<tr class="log-row">') == 1
    logged = re.search(r'<tr class="log-row">\s*<td><time datetime="[^"]+">([^<]+)</time>', html).group(1)
    assert logged.endswith(" UTC")  # as the next deliveries say it
    assert (
        'bo@example.com <span class="badge badge-failed">failed</span> <span class="muted">550 No such user'
        in html
    )
    assert f'{tenant.user.email} <span class="badge badge-sent">sent</span>' in html
    assert 'id="send-now"' in html and 'id="unsubscribe-me"' in html and 'name="action" value="edit"' in html
    assert response["Content-Security-Policy"].startswith("default-src 'none'")


def test_a_dashboard_subscription_opens_under_its_dashboard_only(tenant):
    dashboard = make_dashboard(tenant, name="Growth")
    DashboardTile.objects.create(dashboard=dashboard, insight=make_insight(tenant))
    sub = make_subscription(tenant, insight=None, dashboard=dashboard, title="Board report")
    member = signed_in(tenant)
    team = tenant.team.id

    assert member.get(f"/project/{team}/dashboard/{dashboard.id}/subscriptions/{sub.id}").status_code == 200
    other = make_dashboard(tenant)
    assert member.get(f"/project/{team}/dashboard/{other.id}/subscriptions/{sub.id}").status_code == 404
    assert member.get(f"/project/{team}/dashboard/x/subscriptions/{sub.id}").status_code == 404


def test_others_and_unknown_ids_get_the_same_404_page(tenant, other_tenant, subscription):
    outsider = signed_in(other_tenant)
    member = signed_in(tenant)
    short_id = subscription.insight.short_id
    theirs = f"/project/{other_tenant.team.id}/insights/{short_id}/subscriptions/{subscription.id}"
    deleted = make_subscription(tenant, insight=subscription.insight, deleted=True)

    responses = [
        outsider.get(page_of(subscription)),
        outsider.get(theirs),
        outsider.post(page_of(subscription), {"action": "send"}),
        outsider.post(page_of(subscription), {"action": "unsubscribe"}),
        outsider.get(f"/project/{tenant.team.id}/subscriptions"),
        member.get(page_of(subscription).replace(short_id, "elsewhere")),
        member.get(page_of(subscription).rsplit("/", 1)[0] + "/999999"),
        member.get(page_of(subscription).rsplit("/", 1)[0] + "/abc"),
        member.get(page_of(deleted)),
        member.get("/project/999999/subscriptions"),
    ]

    assert [r.status_code for r in responses] == [404] * len(responses)
    assert len({r.content for r in responses}) == 1
    assert manual_deliveries(subscription) == 0
    subscription.refresh_from_db()
    assert tenant.user.email in subscription.target_value


def test_a_signed_out_visitor_is_sent_to_sign_in_and_nothing_happens(subscription):
    visitor = Client()
    path = page_of(subscription)

    for response in (visitor.get(f"{path}?utm_medium=email"), visitor.post(path, {"action": "send"})):
        assert response.status_code == 302
        assert response["Location"].startswith(f"{settings.LOGIN_URL}?next={quote(path, safe='/')}")
    assert visitor.get(f"/project/{subscription.team_id}/subscriptions")["Location"] == (
        f"/login?next=/project/{subscription.team_id}/subscriptions"
    )
    assert manual_deliveries(subscription) == 0


def test_send_now_posted_twice_sends_one_report(tenant, subscription):
    member = signed_in(tenant)

    first = member.post(page_of(subscription), {"action": "send"})
    second = member.post(page_of(subscription), {"action": "send"})

    assert first.status_code == 303 and first["Location"] == f"{page_of(subscription)}?notice=sent"
    assert "The report is on its way" in member.get(first["Location"]).content.decode()
    assert second.status_code == 409
    assert "A report is already being sent" in second.content.decode()
    assert manual_deliveries(subscription) == 1


def test_send_now_on_a_disabled_subscription_says_so(tenant, subscription):
    Subscription.objects.filter(id=subscription.id).update(enabled=False)

    response = signed_in(tenant).post(page_of(subscription), {"action": "send"})

    assert response.status_code == 409 and "This subscription is disabled" in response.content.decode()
    assert manual_deliveries(subscription) == 0


def test_forms_need_their_csrf_token(tenant, subscription):
    browser = signed_in(tenant, enforce_csrf_checks=True)

    refused = browser.post(page_of(subscription), {"action": "send"})
    assert refused.status_code == 403 and "Please try again" in refused.content.decode()
    assert browser.post(page_of(subscription), {"action": "unsubscribe"}).status_code == 403
    assert manual_deliveries(subscription) == 0

    page = browser.get(page_of(subscription))  # sets the CSRF cookie, as for a browser
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    accepted = browser.post(page_of(subscription), {"action": "send", "csrfmiddlewaretoken": token})
    assert accepted.status_code == 303 and manual_deliveries(subscription) == 1


def test_unsubscribe_me_takes_only_my_address_off(tenant, subscription):
    member = signed_in(tenant)

    response = member.post(page_of(subscription), {"action": "unsubscribe"})

    assert (
        response.status_code == 303 and response["Location"] == f"{page_of(subscription)}?notice=unsubscribed"
    )
    shown = tenant.client.get(tenant.url(f"subscriptions/{subscription.id}/")).json()
    assert shown["target_value"] == "bo@example.com" and shown["deleted"] is False
    html = member.get(response["Location"]).content.decode()
    assert "You will no longer receive this report" in html and 'id="unsubscribe-me"' not in html
    entry = tenant.client.get(tenant.url("activity_log/") + "?scope=Subscription").json()["results"][0]
    assert entry["detail"]["changes"][0]["field"] == "target_value"


def test_the_last_recipient_unsubscribing_ends_the_subscription(tenant, subscription):
    Subscription.objects.filter(id=subscription.id).update(target_value=tenant.user.email.upper())

    response = signed_in(tenant).post(page_of(subscription), {"action": "unsubscribe"})

    assert response["Location"] == f"/project/{tenant.team.id}/subscriptions?notice=unsubscribed"
    assert tenant.client.get(tenant.url(f"subscriptions/{subscription.id}/")).json()["deleted"] is True


def test_the_edit_form_saves_through_the_apis_validation(tenant, subscription):
    member = signed_in(tenant)
    form = {
        "action": "edit",
        "interval": "2",
        "frequency": "monthly",
        "byweekday": ["tuesday"],
        "bysetpos": "1",
        "start_date": "2030-02-01T08:30",
        "target_value": f"{tenant.user.email}\nnew@example.com",
    }

    response = member.post(page_of(subscription), form)

    assert response.status_code == 303 and response["Location"].endswith("?notice=saved")
    shown = tenant.client.get(tenant.url(f"subscriptions/{subscription.id}/")).json()
    assert shown["summary"] == "sent every 2 months on the first Tuesday"
    assert shown["start_date"] == "2030-02-01T08:30:00Z"
    assert shown["target_value"] == f"{tenant.user.email},new@example.com"
    assert shown["next_delivery_date"] == "2030-02-05T08:30:00Z"
    entry = tenant.client.get(tenant.url("activity_log/") + "?scope=Subscription").json()["results"][0]
    assert entry["user"]["email"] == tenant.user.email  # logged as the member's change, as an API write is


def test_an_invalid_edit_is_explained_and_changes_nothing(tenant, subscription):
    before = tenant.client.get(tenant.url(f"subscriptions/{subscription.id}/")).json()
    form = {
        "action": "edit",
        "interval": "0",
        "frequency": "weekly",
        "start_date": "2030-01-07T09:00",
        "target_value": "not an address",
    }

    response = signed_in(tenant).post(page_of(subscription), form)

    assert response.status_code == 400
    html = response.content.decode()
    assert "Interval: Interval must be at least 1." in html
    assert tenant.client.get(tenant.url(f"subscriptions/{subscription.id}/")).json() == before


def test_the_project_page_lists_its_subscriptions_only(tenant, other_tenant, subscription):
    theirs = make_subscription(other_tenant, title="Their report")
    gone = make_subscription(tenant, title="Gone report", deleted=True)

    response = signed_in(tenant).get(f"/project/{tenant.team.id}/subscriptions")

    html = response.content.decode()
    assert response.status_code == 200
    assert f'href="{page_of(subscription)}"' in html and "Monday signups" in html
    assert theirs.title not in html and gone.title not in html


def test_an_old_subscription_link_redirects_to_its_project(tenant, subscription):
    member = signed_in(tenant)
    old = f"/insights/{subscription.insight.short_id}/subscriptions/{subscription.id}?utm_source=posthog"

    response = member.get(old)

    assert response.status_code == 302
    assert response["Location"] == f"{page_of(subscription)}?utm_source=posthog"
    assert member.get(response["Location"]).status_code == 200


@pytest.mark.django_db(transaction=True)  # the scheduler's threads see the data
def test_the_report_mails_links_open_the_pages(tenant, smtp_server):
    from tests.helpers import deliver_due

    dashboard = make_dashboard(tenant, name="Growth")
    insight = make_insight(tenant, name="Signups", result=[{"label": "s", "data": [1, 2, 3]}])
    DashboardTile.objects.create(dashboard=dashboard, insight=insight)
    sub = make_subscription(
        tenant, insight=None, dashboard=dashboard, target_value=tenant.user.email, start_date=timezone.now()
    )
    sub.dashboard_export_insights.set([insight])
    assert deliver_due(sub).status == "completed"

    html = smtp_server.to(tenant.user.email)[0].get_body(("html",)).get_content()
    links = dict((text, href) for href, text in re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', html))
    team = tenant.team.id
    assert links["View dashboard"].startswith(
        f"{settings.SITE_URL}/project/{team}/dashboard/{dashboard.id}?utm_"
    )
    assert links["Signups"] == f"{settings.SITE_URL}/project/{team}/insights/{insight.short_id}"
    assert links["Manage subscription"].startswith(
        f"{settings.SITE_URL}/project/{team}/dashboard/{dashboard.id}/subscriptions/{sub.id}?utm_"
    )
    member = signed_in(tenant)
    for text in ("View dashboard", "Signups", "Manage subscription"):
        path = links[text].replace("&amp;", "&").removeprefix(settings.SITE_URL)
        assert member.get(path).status_code == 200, text
