"""A Slack subscription whose own integration is gone, is not Slack, or is another tenant's, never posts with
another tenant's Slack token. The other tenant's integrations are created first (lowest ids), so a fallback
that forgot the tenant would pick them."""

import pytest

from burrow.subscriptions.delivery.dispatch import local_pool
from burrow.subscriptions.models import Subscription
from tests.factories import make_insight, make_integration

pytestmark = pytest.mark.django_db(transaction=True)

THEIR_TOKEN = "xoxb-tenant-a-token"
OWN_TOKEN = "xoxb-tenant-b-token"


@pytest.fixture
def tenants(make_tenant):
    """Tenant A with a Slack and a Linear integration, created before tenant B exists."""
    a = make_tenant()
    slack = make_integration(a, sensitive_config={"access_token": THEIR_TOKEN})
    make_integration(a, kind="linear", sensitive_config={"access_token": "lin-tenant-a"})
    b = make_tenant()
    assert b.team.id > a.team.id
    return a, slack, b


def slack_subscription(tenant) -> int:
    """Created through the API with the tenant's own Slack integration, as only the API allows."""
    integration = make_integration(tenant, integration_id="T-own-setup", sensitive_config={})
    response = tenant.client.post(
        tenant.url("subscriptions/"),
        {
            "insight": make_insight(tenant, name="Signups").id,
            "target_type": "slack",
            "target_value": "C123|#general",
            "integration_id": integration.id,
            "frequency": "daily",
            "start_date": "2030-01-07T09:00:00Z",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    local_pool().drain(timeout=30)  # the channel's invite (it fails: this integration has no token)
    integration.delete()  # the subscription now points at nothing (SET NULL)
    return response.json()["id"]


def send_test_delivery(tenant, subscription_id: int) -> dict:
    """Sends a test delivery through the API and returns the delivery log's entry for it."""
    url = tenant.url(f"subscriptions/{subscription_id}/test-delivery/")
    assert tenant.client.post(url).status_code == 202
    local_pool().drain(timeout=30)
    log = tenant.client.get(tenant.url(f"subscriptions/{subscription_id}/deliveries/"), {"limit": 100})
    return next(d for d in log.json()["results"] if d["trigger_type"] == "manual")


def tokens_used(fake_slack) -> set[str]:
    return {call["authorization"] for call in fake_slack.calls}


def assert_never_posted_with_their_token(fake_slack) -> None:
    assert f"Bearer {THEIR_TOKEN}" not in tokens_used(fake_slack), "posted with another tenant's Slack token"


def test_slack_subscription_whose_integration_is_gone_fails_instead_of_using_another_tenants(
    tenants, fake_slack
):
    _, _, b = tenants
    subscription_id = slack_subscription(b)

    delivery = send_test_delivery(b, subscription_id)

    assert_never_posted_with_their_token(fake_slack)
    assert fake_slack.calls == []
    assert delivery["status"] == "failed"
    assert "No Slack integration" in delivery["error"]["message"]


def test_slack_subscription_whose_integration_is_not_slack_falls_back_to_its_own_team_only(
    tenants, fake_slack
):
    _, _, b = tenants
    subscription_id = slack_subscription(b)
    linear = make_integration(b, kind="linear", sensitive_config={"access_token": "lin-tenant-b"})
    # The API refuses a non-Slack integration for a Slack target; the row can still come to point at one.
    Subscription.objects.filter(id=subscription_id).update(integration=linear)
    delivery = send_test_delivery(b, subscription_id)
    assert_never_posted_with_their_token(fake_slack)
    assert delivery["status"] == "failed" and fake_slack.calls == []  # B has no Slack integration yet

    make_integration(b, sensitive_config={"access_token": OWN_TOKEN})
    delivery = send_test_delivery(b, subscription_id)

    assert_never_posted_with_their_token(fake_slack)
    assert delivery["status"] == "completed", delivery["error"]
    assert tokens_used(fake_slack) == {f"Bearer {OWN_TOKEN}"}


def test_slack_subscription_pointing_at_another_tenants_integration_never_uses_its_token(tenants, fake_slack):
    _, their_slack, b = tenants
    subscription_id = slack_subscription(b)
    # A row that names another tenant's integration (the API refuses it; an import or a bug could not).
    Subscription.objects.filter(id=subscription_id).update(integration=their_slack)
    make_integration(b, sensitive_config={"access_token": OWN_TOKEN})

    delivery = send_test_delivery(b, subscription_id)

    assert_never_posted_with_their_token(fake_slack)
    assert delivery["status"] == "completed", delivery["error"]
    assert tokens_used(fake_slack) == {f"Bearer {OWN_TOKEN}"}
