"""Slack and webhook deliveries against local fake servers."""

import pytest
from standardwebhooks.webhooks import Webhook
from werkzeug.wrappers import Response

from burrow.analytics.models import Dashboard, DashboardTile, Insight
from burrow.integrations.models import Integration
from burrow.subscriptions.models import Subscription
from burrow.subscriptions.services import rotate_webhook_secret
from tests.factories import make_subscription
from tests.helpers import deliver_due

pytestmark = pytest.mark.django_db(transaction=True)

SERIES = [{"label": "Signups", "data": [1, 2, 3], "labels": ["a", "b", "c"]}]


@pytest.fixture(autouse=True)
def quick_retries(settings):
    settings.DELIVERY_RETRY_DELAY = 0.01


def slack_integration(tenant) -> Integration:
    return Integration.objects.create(
        team=tenant.team, kind="slack", integration_id="T1", sensitive_config={"access_token": "xoxb-secret"}
    )


def slack_dashboard_subscription(tenant, tiles: int) -> Subscription:
    """A Slack subscription of the dashboard "KPIs" with `tiles` insights "KPI 0", "KPI 1", … in order."""
    dashboard = Dashboard.objects.create(team=tenant.team, name="KPIs")
    for i in range(tiles):
        insight = Insight.objects.create(team=tenant.team, name=f"KPI {i}", result=SERIES)
        DashboardTile.objects.create(dashboard=dashboard, insight=insight, layouts={"sm": {"y": i, "x": 0}})
    return make_subscription(
        tenant,
        insight=None,
        dashboard=dashboard,
        target_type="slack",
        target_value="C123|#general",
        integration=slack_integration(tenant),
    )


def test_slack_report_posts_first_chart_in_the_message_and_the_rest_in_the_thread(tenant, fake_slack, client):
    delivery = deliver_due(slack_dashboard_subscription(tenant, tiles=7))

    assert delivery.status == "completed", delivery.error
    main, *thread = fake_slack.calls
    assert main["channel"] == "C123" and main["authorization"] == "Bearer xoxb-secret"
    assert "Your subscription to the Dashboard *KPIs* is ready! 🎉" in main["blocks"][0]["text"]["text"]
    image = main["blocks"][1]
    assert image["type"] == "image" and image["alt_text"] == "KPI 0"
    assert [b["text"]["text"] for b in main["blocks"] if b["type"] == "section"][
        -1
    ] == "_See 🧵 for more Insights_"
    assert {e["text"]["text"] for e in main["blocks"][-1]["elements"]} == {
        "View in PostHog",
        "Manage Subscription",
    }
    assert len(thread) == 6 and all(t["thread_ts"] == "1700000000.000001" for t in thread)
    assert thread[-1]["text"].startswith("Showing 6 of 7 Insights.")
    picture = client.get(image["image_url"].removeprefix("http://127.0.0.1:8000"))
    assert picture.status_code == 200 and picture.content.startswith(b"\x89PNG")
    assert (
        client.get(image["image_url"].removeprefix("http://127.0.0.1:8000")[:-8] + "xx.png").status_code
        == 404
    )


def test_a_retried_slack_thread_reply_does_not_post_the_main_message_again(tenant, fake_slack):
    fake_slack.fail_calls = {2: "ratelimited"}  # the first thread reply is refused once
    delivery = deliver_due(slack_dashboard_subscription(tenant, tiles=3))
    assert delivery.status == "completed", delivery.error
    assert delivery.recipient_results[0]["attempts"] == 2
    main_posts = [c for c in fake_slack.calls if "thread_ts" not in c]
    replies = [c["text"] for c in fake_slack.calls if "thread_ts" in c]
    assert len(main_posts) == 1
    assert replies == ["KPI 1", "KPI 1", "KPI 2"]  # the refused reply, its retry, then the next one


def test_slack_without_integration_or_with_a_channel_error_fails_permanently(tenant, fake_slack):
    no_integration = deliver_due(make_subscription(tenant, target_type="slack", target_value="C1|#x"))
    assert no_integration.status == "failed" and "No Slack integration" in no_integration.error["message"]
    assert fake_slack.calls == []
    fake_slack.error = "channel_not_found"
    slack_integration(tenant)  # the team's Slack integration is used when the subscription names none
    delivery = deliver_due(make_subscription(tenant, target_type="slack", target_value="C404|#gone"))
    assert delivery.status == "failed" and "channel_not_found" in delivery.error["message"]
    assert len(fake_slack.calls) == 1  # permanent: not retried


def test_webhook_delivery_is_signed_per_standard_webhooks(tenant, httpserver, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    received = []

    def handler(request):
        received.append((dict(request.headers), request.get_data(as_text=True)))
        return Response("", status=204)

    httpserver.expect_request("/hook", method="POST").respond_with_handler(handler)
    insight = Insight.objects.create(team=tenant.team, name="Revenue", result=SERIES)
    sub = make_subscription(
        tenant, insight=insight, target_type="webhook", target_value=httpserver.url_for("/hook")
    )
    secret = rotate_webhook_secret(sub)

    delivery = deliver_due(sub)

    assert delivery.status == "completed", delivery.error
    headers, body = received[0]
    document = Webhook(secret).verify(body, {k.lower(): v for k, v in headers.items()})
    assert document["delivery_id"] == str(delivery.id) and document["subscription"]["id"] == sub.id
    assert document["resource"] == {
        "kind": "insight",
        "name": "Revenue",
        "id": insight.id,
        "url": f"{settings.SITE_URL}/project/{tenant.team.id}/insights/{insight.short_id}",
    }
    assert document["insights"][0]["result"] == SERIES and document["insights"][0]["image_url"].endswith(
        ".png"
    )
    assert document["scheduled_at"] == delivery.scheduled_at.isoformat()


def test_webhook_4xx_and_redirects_are_permanent_5xx_is_retried(tenant, httpserver, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    httpserver.expect_request("/gone").respond_with_data("no", status=410)
    httpserver.expect_request("/moved").respond_with_data(
        "", status=302, headers={"Location": "http://10.0.0.1/"}
    )
    httpserver.expect_request("/down").respond_with_data("oops", status=503)
    outcomes = {}
    for path in ("/gone", "/moved", "/down"):
        sub = make_subscription(tenant, target_type="webhook", target_value=httpserver.url_for(path))
        outcomes[path] = deliver_due(sub).recipient_results[0]
    assert outcomes["/gone"]["permanent"] and outcomes["/gone"]["attempts"] == 1
    assert "redirects are not followed" in outcomes["/moved"]["error"]
    assert not outcomes["/down"]["permanent"] and outcomes["/down"]["attempts"] == 3
    assert len([r for r, _ in httpserver.log if r.path == "/moved"]) == 1


def test_webhook_to_a_private_address_is_blocked_at_send_time(tenant, httpserver, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    httpserver.expect_request("/hook").respond_with_data("", status=204)
    sub = make_subscription(tenant, target_type="webhook", target_value=httpserver.url_for("/hook"))
    delivery = deliver_due(sub)
    assert delivery.status == "failed" and "not allowed" in delivery.error["message"]
    assert httpserver.log == []
