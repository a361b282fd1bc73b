"""Subscriptions deliver through a Slack integration connected with OAuth: with Slack's token rotation on,
the token is refreshed at half its lifetime before posting; a workspace that refused the refresh fails the
delivery with a reconnect message instead of posting with a dead token."""

import time

import pytest

from burrow.integrations.models import Integration
from tests.factories import make_subscription
from tests.helpers import deliver_due
from tests.integrations.conftest import connect

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def quick_retries(settings):
    settings.DELIVERY_RETRY_DELAY = 0.01


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
