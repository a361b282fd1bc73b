"""Email delivery end to end: the scheduler claims a due subscription and a real SMTP server receives it."""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from burrow.analytics.models import Dashboard, DashboardTile, Insight
from burrow.subscriptions.delivery.dispatch import local_pool
from burrow.subscriptions.delivery.engine import run_delivery
from burrow.subscriptions.models import Subscription, SubscriptionDelivery
from burrow.subscriptions.scheduler import tick
from tests.factories import make_delivery, make_subscription
from tests.fakes.smtp import free_port

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("quick_retries")]

SERIES = [{"label": "Pageviews", "data": [3, 5, 8, 13], "labels": ["Mon", "Tue", "Wed", "Thu"]}]


def due(subscription: Subscription, ago: timedelta = timedelta(minutes=1)) -> Subscription:
    Subscription.objects.filter(id=subscription.id).update(next_delivery_date=timezone.now() - ago)
    subscription.refresh_from_db()
    return subscription


def run_tick():
    result = tick()
    local_pool().drain(timeout=30)
    return result


def test_due_subscription_arrives_by_smtp_with_inline_chart(tenant, smtp_server):
    insight = Insight.objects.create(
        team=tenant.team, name="Weekly users", result=SERIES, query={"display": "ActionsBar"}
    )
    sub = due(make_subscription(tenant, insight=insight, target_value="a@example.com,b@example.com"))

    assert run_tick().claimed == 1

    assert sorted(m["To"] for m in smtp_server.messages) == ["a@example.com", "b@example.com"]
    mail = smtp_server.to("a@example.com")[0]
    assert mail["Subject"] == "Burrow Insight report - Weekly users"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mail["List-Unsubscribe"].startswith("<http")
    html = mail.get_body(("html",)).get_content()
    text = mail.get_body(("plain",)).get_content()
    images = [p for p in mail.walk() if p.get_content_type() == "image/png"]
    assert len(images) == 1 and images[0].get_content().startswith(b"\x89PNG")
    assert f"cid:{images[0]['Content-ID'].strip('<>')}" in html
    assert f"/project/{tenant.team.id}/insights/{insight.short_id}?utm_" in text and "Unsubscribe" in text
    assert "View insight" in html and "View in PostHog" not in html
    delivery = SubscriptionDelivery.objects.get(subscription=sub)
    assert delivery.status == "completed" and delivery.trigger_type == "scheduled"
    assert {r["recipient"] for r in delivery.recipient_results} == {"a@example.com", "b@example.com"}
    sub.refresh_from_db()
    assert sub.next_delivery_date > timezone.now()
    assert run_tick().claimed == 0 and len(smtp_server.messages) == 2


def test_unsubscribe_link_in_the_mail_removes_the_address(tenant, smtp_server, client):
    sub = due(make_subscription(tenant, target_value="a@example.com,b@example.com"))
    run_tick()
    mail = smtp_server.to("b@example.com")[0]
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = urlsplit(mail["List-Unsubscribe"].strip("<>"))
    # What a mail client's one-click unsubscribe does (RFC 8058).
    response = client.post(
        f"{link.path}?{link.query}",
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200 and response.json() == {"success": True}
    sub.refresh_from_db()
    assert sub.target_value == "a@example.com"


def test_missed_slots_are_delivered_once_then_the_next_future_slot(tenant, smtp_server):
    sub = make_subscription(tenant, start_date=timezone.now() - timedelta(days=10, minutes=5))
    sub = due(sub, ago=timedelta(days=5, minutes=5))
    run_tick()
    run_tick()
    assert len(smtp_server.messages) == 1
    delivery = SubscriptionDelivery.objects.get(subscription=sub)
    assert timezone.now() - delivery.scheduled_at < timedelta(days=1)
    sub.refresh_from_db()
    assert timezone.now() < sub.next_delivery_date < timezone.now() + timedelta(days=1)


def test_dashboard_report_shows_tiles_in_layout_order_at_most_six(tenant, smtp_server):
    dashboard = Dashboard.objects.create(team=tenant.team, name="Growth")
    for i in range(8):
        insight = Insight.objects.create(team=tenant.team, name=f"Tile {i}", result=SERIES if i % 2 else None)
        DashboardTile.objects.create(
            dashboard=dashboard, insight=insight, layouts={"sm": {"y": 10 - i, "x": 0}}
        )
    due(make_subscription(tenant, insight=None, dashboard=dashboard))
    run_tick()
    mail = smtp_server.messages[0]
    assert mail["Subject"] == "Burrow Dashboard report - Growth"
    text = mail.get_body(("plain",)).get_content()
    assert "Showing 6 of 8 dashboard insights" in text
    assert text.index("Tile 7") < text.index("Tile 6") and "Tile 1" not in text
    assert len([p for p in mail.walk() if p.get_content_type() == "image/png"]) == 6


def test_invites_go_to_new_addresses_only_with_the_invite_message(tenant, smtp_server):
    tenant.user.first_name = "Ada"
    tenant.user.save()
    insight = Insight.objects.create(team=tenant.team, name="Signups")
    body = {
        "insight": insight.id,
        "target_type": "email",
        "target_value": f"{tenant.user.email},x@example.com",
        "frequency": "weekly",
        "start_date": "2030-01-07T09:00:00Z",
        "invite_message": "Have a look!",
    }
    created = tenant.client.post(tenant.url("subscriptions/"), body, format="json")
    assert created.status_code == 201, created.content
    local_pool().drain(timeout=30)
    assert smtp_server.to(tenant.user.email)[0]["Subject"] == "You have been subscribed to a Burrow Insight"
    invite = smtp_server.to("x@example.com")[0]
    assert invite["Subject"] == "Ada subscribed you to a Burrow Insight"
    assert "Have a look!" in invite.get_body(("plain",)).get_content()

    patched = tenant.client.patch(
        tenant.url(f"subscriptions/{created.json()['id']}/"),
        {"target_value": f"{tenant.user.email},x@example.com,new@example.com"},
        format="json",
    )
    assert patched.status_code == 200
    local_pool().drain(timeout=30)
    assert [m["To"] for m in smtp_server.messages[2:]] == ["new@example.com"]


def test_rejected_address_is_recorded_and_others_still_receive(tenant, smtp_server):
    smtp_server.rejected.add("gone@example.com")
    smtp_server.busy_answers = 1  # the first message is answered "try again later"
    sub = due(make_subscription(tenant, target_value="ok@example.com,gone@example.com"))
    run_tick()
    delivery = SubscriptionDelivery.objects.get(subscription=sub)
    results = {r["recipient"]: r for r in delivery.recipient_results}
    assert results["ok@example.com"]["status"] == "success" and results["ok@example.com"]["attempts"] == 2
    assert results["gone@example.com"]["status"] == "failed" and results["gone@example.com"]["permanent"]
    assert delivery.status == "completed" and "gone@example.com" not in [
        m["To"] for m in smtp_server.messages
    ]


def test_five_failed_deliveries_disable_the_subscription_and_tell_its_creator_once(tenant, smtp_server):
    smtp_server.rejected.add("gone@example.com")
    sub = make_subscription(tenant, target_value="gone@example.com", title="Daily numbers")
    for _ in range(5):
        due(sub)
        run_tick()
    sub.refresh_from_db()
    assert not sub.enabled and sub.consecutive_failures == 5
    assert SubscriptionDelivery.objects.filter(subscription=sub, status="failed").count() == 5
    Subscription.objects.filter(id=sub.id).update(enabled=True)  # re-enabled without fixing the target
    due(sub)
    run_tick()
    sub.refresh_from_db()
    assert not sub.enabled
    notices = [m for m in smtp_server.messages if "automatically disabled" in m["Subject"]]
    assert [m["Subject"] for m in notices] == [
        'Burrow subscription "Daily numbers" has been automatically disabled'
    ]
    assert notices[0]["To"] == tenant.user.email


def test_re_enabling_over_the_api_starts_a_new_failure_streak(tenant, smtp_server):
    smtp_server.rejected.add("gone@example.com")
    sub = make_subscription(tenant, target_value="gone@example.com", title="Daily numbers")
    for _ in range(5):
        due(sub)
        run_tick()
    response = tenant.client.patch(tenant.url(f"subscriptions/{sub.id}/"), {"enabled": True}, format="json")
    assert response.status_code == 200 and response.json()["enabled"] is True
    sub.refresh_from_db()
    assert sub.consecutive_failures == 0
    due(sub)
    run_tick()
    sub.refresh_from_db()
    assert sub.enabled and sub.consecutive_failures == 1  # one failure of a new streak does not disable
    for _ in range(4):
        due(sub)
        run_tick()
    sub.refresh_from_db()
    assert not sub.enabled
    notices = [m for m in smtp_server.messages if "automatically disabled" in m["Subject"]]
    assert len(notices) == 2  # one per streak


def test_a_disabled_notice_that_could_not_be_sent_is_sent_once_the_mail_server_is_back(
    tenant, smtp_server, settings
):
    settings.EMAIL_URL = f"smtp://127.0.0.1:{free_port()}"  # nothing listens: every mail fails
    sub = make_subscription(tenant, target_value="a@example.com", title="Daily numbers")
    for _ in range(5):
        due(sub)
        run_tick()
    sub.refresh_from_db()
    assert not sub.enabled and sub.disabled_notice_due
    settings.EMAIL_URL = smtp_server.url
    assert tick().notices == 1
    assert tick().notices == 0
    notices = [m for m in smtp_server.messages if "automatically disabled" in m["Subject"]]
    assert len(notices) == 1 and notices[0]["To"] == tenant.user.email
    sub.refresh_from_db()
    assert not sub.disabled_notice_due


def test_without_smtp_mail_lands_in_the_outbox(tenant, settings, tmp_path):
    settings.EMAIL_URL = ""
    settings.DATA_DIR = tmp_path
    due(make_subscription(tenant, target_value="a@example.com"))
    run_tick()
    files = list((tmp_path / "outbox").glob("*.eml"))
    assert len(files) == 1 and b"Burrow Insight report" in files[0].read_bytes()


def test_a_test_delivery_asked_for_before_the_subscription_was_disabled_still_goes_out(tenant, smtp_server):
    """Someone asked for that one; the subscription's own schedule stops with it."""
    subscription = make_subscription(tenant, target_value="ann@example.com")
    manual, scheduled = (
        make_delivery(tenant, subscription=subscription, trigger_type=trigger, claimable=True)
        for trigger in ("manual", "scheduled")
    )
    Subscription.objects.filter(pk=subscription.pk).update(enabled=False)
    assert run_delivery(str(manual.id)) == "completed"
    assert [m["To"] for m in smtp_server.messages] == ["ann@example.com"]
    assert run_delivery(str(scheduled.id)) == "skipped"
    assert SubscriptionDelivery.objects.get(pk=scheduled.pk).error == {
        "message": "Subscription is disabled.",
        "type": "skipped",
    }
