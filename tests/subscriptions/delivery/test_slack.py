"""Slack deliveries against the fake Slack API (tests/fakes/slack.py): the report as a message and a thread,
retries that resume the thread, failures, and tokens that rotate (connected over OAuth against the fake
workspace)."""

import time

import pytest

from burrow.analytics.models import Dashboard, DashboardTile, Insight
from burrow.integrations.models import Integration
from burrow.subscriptions.models import Subscription
from tests.factories import make_subscription
from tests.helpers import deliver_due
from tests.integrations.conftest import connect
from tests.subscriptions.delivery.conftest import SERIES

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("quick_retries")]


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
        "View in Burrow",
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


@pytest.fixture
def rotating_slack(tenant, fake_slack, fake_slack_workspace) -> Integration:
    """Slack connected over OAuth with token rotation on (a 12-hour token and a refresh token), aged past
    half its lifetime."""
    fake_slack_workspace.expires_in = 43200
    created = connect(tenant, "slack", fake_slack_workspace.connect_code())
    assert created.status_code == 201, created.content
    integration = Integration.objects.get(id=created.json()["id"])
    integration.config = {**integration.config, "refreshed_at": int(time.time()) - 30000}
    integration.save(update_fields=["config"])
    return integration


def test_a_rotating_slack_token_is_refreshed_before_the_report_is_posted(
    tenant, rotating_slack, fake_slack, fake_slack_workspace
):
    old_token = rotating_slack.sensitive_config["access_token"]
    subscription = make_subscription(
        tenant, target_type="slack", target_value="C001|#general", integration=rotating_slack
    )
    delivery = deliver_due(subscription)
    assert delivery.status == "completed", delivery.error
    grants = [c.form["grant_type"] for c in fake_slack_workspace.calls_to("oauth.v2.access")]
    assert grants == ["authorization_code", "refresh_token"]
    rotating_slack.refresh_from_db()
    new_token = rotating_slack.sensitive_config["access_token"]
    assert new_token != old_token
    assert {call["authorization"] for call in fake_slack.calls} == {f"Bearer {new_token}"}


def test_a_refused_refresh_fails_the_delivery_asking_to_reconnect(
    tenant, rotating_slack, fake_slack, fake_slack_workspace
):
    fake_slack_workspace.refresh_tokens.clear()
    subscription = make_subscription(
        tenant, target_type="slack", target_value="C001|#general", integration=rotating_slack
    )
    delivery = deliver_due(subscription)
    assert delivery.status == "failed"
    assert "could not be refreshed" in delivery.error["message"]
    assert fake_slack.calls == []
    rotating_slack.refresh_from_db()
    assert rotating_slack.errors == "TOKEN_REFRESH_FAILED"
    again = deliver_due(
        make_subscription(tenant, target_type="slack", target_value="C002", integration=rotating_slack)
    )
    assert "reconnect Slack" in again.error["message"] and fake_slack.calls == []
