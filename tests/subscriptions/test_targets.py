"""Where a report goes, as the API checks it: Slack integrations of the team, e-mail addresses (tidied, sendable,
at most a hundred), webhook URLs (no private hosts, no control characters) and their secrets."""

import pytest

from burrow.integrations.models import Integration
from tests.factories import make_subscription
from tests.helpers import error

pytestmark = pytest.mark.django_db


def test_slack_targets_need_a_slack_integration_of_the_team(tenant, other_tenant, create):
    slack = Integration.objects.create(team=tenant.team, kind="slack", integration_id="T1")
    linear = Integration.objects.create(team=tenant.team, kind="linear", integration_id="L1")
    foreign = Integration.objects.create(team=other_tenant.team, kind="slack", integration_id="T2")
    target = {"target_type": "slack", "target_value": "C123|#general"}
    cases = [
        (None, "A Slack integration is required for Slack subscriptions."),
        (foreign.id, "This integration does not exist or does not belong to your team."),
        (linear.id, "Slack subscriptions require a Slack integration."),
    ]
    for integration_id, message in cases:
        data = error(create(integration_id=integration_id, **target))
        assert (data["attr"], data["detail"]) == ("integration_id", message)
    response = create(integration_id=slack.id, **target)
    assert response.status_code == 201
    assert response.json()["integration_id"] == slack.id


def test_email_targets_are_checked_and_tidied(create):
    assert (
        create(target_value="a@example.com, b@example.com").json()["target_value"]
        == "a@example.com,b@example.com"
    )
    assert error(create(target_value="a@example.com,not-an-address"))["attr"] == "target_value"


def test_slack_subscription_whose_integration_was_removed_can_be_disabled_not_re_enabled(tenant):
    slack = Integration.objects.create(team=tenant.team, kind="slack", integration_id="T1")
    sub = make_subscription(tenant, target_type="slack", target_value="C1|#general", integration=slack)
    slack.delete()
    url = tenant.url(f"subscriptions/{sub.id}/")
    assert tenant.client.patch(url, {"enabled": False}, format="json").status_code == 200
    refused = error(tenant.client.patch(url, {"enabled": True}, format="json"))
    assert (refused["attr"], refused["detail"]) == (
        "enabled",
        "Cannot re-enable Slack subscription: no integration configured. Reconnect Slack first.",
    )


def test_api_refuses_webhooks_to_private_hosts(tenant, create, fake_dns, route):
    fake_dns.add("sneaky.example.com", "A", "192.168.1.20")
    fake_dns.add("hooks.example.com", "A", "93.184.216.34")
    data = error(create(target_type="webhook", target_value="https://sneaky.example.com/hook"))
    assert (data["attr"], data["detail"]) == (
        "target_value",
        "Invalid webhook URL: Disallowed target IP: 192.168.1.20",
    )
    data = error(create(target_type="webhook", target_value="http://169.254.169.254/"))
    assert data["detail"] == "Invalid webhook URL: Local/metadata host"
    created = create(target_type="webhook", target_value="https://hooks.example.com/hook")
    assert created.status_code == 201, created.content
    url = tenant.url(f"subscriptions/{created.json()['id']}/", route)
    data = error(tenant.client.patch(url, {"target_value": "http://10.0.0.1/"}))
    assert data["detail"] == "Invalid webhook URL: Private IP address not allowed"


def test_webhook_urls_with_control_characters_are_refused(create, fake_dns):
    fake_dns.add("hooks.example.com", "A", "93.184.216.34")
    data = error(create(target_type="webhook", target_value="https://hooks.example.com/x\r\nHost: evil"))
    assert (data["attr"], data["detail"]) == (
        "target_value",
        "Invalid webhook URL: Invalid URL: contains whitespace or control characters",
    )


def test_addresses_differing_only_in_case_are_one_recipient(create):
    data = create(target_value="a@example.com, A@EXAMPLE.COM,b@example.com,B@example.com").json()
    assert data["target_value"] == "a@example.com,b@example.com"


def test_unicode_domains_are_stored_in_their_sendable_form(create):
    data = create(target_value="user@bücher.de").json()
    assert data["target_value"] == "user@xn--bcher-kva.de"


@pytest.mark.parametrize("address", ["jöhn@example.com", '"john doe"@example.com', "a@b"])
def test_addresses_that_cannot_be_sent_as_written_are_refused(create, address):
    data = error(create(target_value=f"ok@example.com,{address}"))
    assert (data["attr"], data["detail"]) == ("target_value", f"Enter a valid email address: {address}")


def test_a_subscription_holds_at_most_a_hundred_addresses(create):
    addresses = ",".join(f"user{n}@example.com" for n in range(101))
    data = error(create(target_value=addresses))
    assert data["detail"] == "A subscription can have at most 100 email addresses."
    assert create(target_value=addresses.rsplit(",", 1)[0]).status_code == 201


def test_only_live_webhook_subscriptions_rotate_a_secret(tenant, create, fake_dns):
    email = create().json()
    data = error(tenant.client.post(tenant.url(f"subscriptions/{email['id']}/rotate-webhook-secret/")))
    assert data == {
        "type": "validation_error",
        "code": "invalid_input",
        "detail": "Only webhook subscriptions have a signing secret.",
        "attr": "target_type",
    }
    fake_dns.add("hooks.example.com", "A", "93.184.216.34")
    hook = create(target_type="webhook", target_value="https://hooks.example.com/x").json()
    tenant.client.patch(tenant.url(f"subscriptions/{hook['id']}/"), {"deleted": True}, format="json")
    error(tenant.client.post(tenant.url(f"subscriptions/{hook['id']}/rotate-webhook-secret/")), 404)
