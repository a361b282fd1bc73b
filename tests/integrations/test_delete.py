"""Disconnecting: 204, revoked at the provider where it can be (and only when no other project still uses the
same account), refused while an enabled subscription still delivers through the integration."""

import pytest

from burrow.core.bootstrap import join_organization
from burrow.core.models import Project
from burrow.integrations.models import Integration
from tests.conftest import client_for
from tests.factories import make_subscription
from tests.helpers import error

pytestmark = pytest.mark.django_db


def delete(tenant, integration, client=None):
    return (client or tenant.client).delete(tenant.url(f"integrations/{integration.id}/"))


def test_delete_removes_the_integration_and_revokes_the_token(tenant, fake_providers):
    for kind, fake in (("slack", fake_providers.slack), ("linear", fake_providers.linear)):
        integration = fake_providers.connected(tenant, kind)
        token = integration.sensitive_config["access_token"]
        assert delete(tenant, integration).status_code == 204
        assert not Integration.objects.filter(id=integration.id).exists()
        assert fake.revoked == [token]
    linkedin = fake_providers.connected(tenant, "linkedin-ads")
    assert delete(tenant, linkedin).status_code == 204
    [revoke] = fake_providers.linkedin.calls_to("revoke")
    assert revoke.form["token"] == linkedin.sensitive_config["access_token"]
    assert revoke.form["client_secret"] == "linkedin-client-secret"
    assert error(delete(tenant, linkedin), 404)


def test_a_shared_slack_workspace_token_is_kept_while_another_project_uses_it(tenant, fake_providers):
    sibling = Project.objects.create_with_environment(tenant.organization, "Sibling").environments.get()
    first = fake_providers.connected(tenant, "slack")
    fake_providers.connected(tenant, "slack", team=sibling)
    assert delete(tenant, first).status_code == 204
    assert fake_providers.slack.revoked == []


def test_a_failed_revoke_does_not_stop_the_disconnect(tenant, fake_providers):
    integration = fake_providers.connected(tenant, "linear")
    fake_providers.linear.fail["revoke"] = 503
    assert delete(tenant, integration).status_code == 204
    assert not Integration.objects.exists()


def test_github_uninstalls_the_app_only_when_the_last_project_lets_go(tenant, fake_providers):
    sibling = Project.objects.create_with_environment(tenant.organization, "Sibling").environments.get()
    mine = fake_providers.connected(tenant, "github")
    theirs = fake_providers.connected(tenant, "github", team=sibling)
    assert delete(tenant, mine).status_code == 204
    assert fake_providers.github.uninstalled == []
    assert tenant.client.delete(f"/api/projects/{sibling.id}/integrations/{theirs.id}/").status_code == 204
    assert fake_providers.github.uninstalled == ["9001"]


def test_delete_is_refused_while_an_enabled_subscription_delivers_through_it(tenant, fake_providers):
    slack = fake_providers.connected(tenant, "slack")
    subscription = make_subscription(
        tenant, target_type="slack", target_value="C001|#general", integration=slack, title="Weekly KPIs"
    )
    body = error(delete(tenant, slack))
    assert body["detail"] == (
        f'This integration is used by enabled subscriptions: "Weekly KPIs" (id {subscription.id}). Update them '
        "to use a different integration, or disable them, before disconnecting it."
    )
    assert Integration.objects.filter(id=slack.id).exists() and fake_providers.slack.revoked == []
    tenant.client.patch(tenant.url(f"subscriptions/{subscription.id}/"), {"enabled": False}, format="json")
    assert delete(tenant, slack).status_code == 204


def test_a_deleted_subscription_does_not_hold_an_integration(tenant, fake_providers):
    slack = fake_providers.connected(tenant, "slack")
    make_subscription(tenant, target_type="slack", target_value="C001", integration=slack, deleted=True)
    make_subscription(tenant, target_type="email", target_value="a@example.com", integration=slack)
    assert delete(tenant, slack).status_code == 204


def test_subscriptions_naming_no_integration_hold_the_slack_integration_they_fall_back_to(
    tenant, fake_providers
):
    first = fake_providers.connected(tenant, "slack")
    second = fake_providers.connected(tenant, "slack", integration_id="T0SECOND")
    subscription = make_subscription(tenant, target_type="slack", target_value="C001", integration=None)
    assert str(subscription.id) in error(delete(tenant, first))["detail"]
    assert delete(tenant, second).status_code == 204  # not the fallback: nothing delivers through it


def test_any_app_can_hold_an_integration_through_an_in_use_hook(tenant, fake_providers, monkeypatch):
    from burrow.integrations import in_use

    twilio = fake_providers.connected(tenant, "twilio")
    exports = in_use.InUseBy(
        users=lambda integration, limit: (
            [f"export {n}" for n in range(limit)] if integration == twilio else []
        ),
        refusal="This integration is used by exports: {names}.",
    )
    monkeypatch.setattr(in_use, "_HOOKS", [*in_use._HOOKS, exports])
    body = error(delete(tenant, twilio))
    assert (
        body["detail"]
        == "This integration is used by exports: export 0, export 1, export 2, export 3, export 4 and more."
    )
    assert delete(tenant, fake_providers.connected(tenant, "linear")).status_code == 204


def test_only_an_admin_or_the_creator_may_disconnect(tenant, fake_providers):
    integration = fake_providers.connected(tenant, "twilio")
    member = join_organization("member@example.com", tenant.organization, "member", ["*"])
    member_client = client_for(member.personal_api_key)
    body = error(delete(tenant, integration, member_client), 403)
    assert body["detail"] == "You don't have sufficient permissions in the project."
    own = fake_providers.connected(tenant, "linear", created_by=member.user)
    assert delete(tenant, own, member_client).status_code == 204
