"""The OAuth connect flow: `authorize` redirects to the provider with a signed, expiring, single-use state
bound to the user, the project and the provider; the callback (API or page) connects with it once."""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from burrow.core.bootstrap import join_organization
from burrow.core.models import Project
from burrow.integrations.models import Integration, OAuthState
from tests.conftest import client_for
from tests.helpers import error
from tests.integrations.conftest import authorize, connect

pytestmark = pytest.mark.django_db


def callback(client, kind: str, **params):
    return client.get(f"/integrations/{kind}/callback", params)


@pytest.mark.parametrize(
    "kind, host, scope, extra",
    [
        ("slack", "slack.com", "channels:read,groups:read,chat:write,chat:write.customize", {}),
        ("linear", "linear.app", "read issues:create", {"actor": "application"}),
        ("linkedin-ads", "www.linkedin.com", "r_ads rw_conversions r_ads_reporting openid profile email", {}),
    ],
)
def test_authorize_redirects_to_the_real_provider_with_client_scope_and_callback(
    tenant, fake_providers, settings, kind, host, scope, extra
):
    settings.SITE_URL = "https://burrow.example.com"
    query = authorize(tenant, kind, "/settings/integrations")
    assert urlsplit(query["url"]).scheme == "https" and urlsplit(query["url"]).hostname == host
    assert query["client_id"] == getattr(settings, f"{kind.split('-')[0].upper()}_CLIENT_ID")
    assert query["scope"] == scope
    assert query["response_type"] == "code"
    assert query["redirect_uri"] == f"https://burrow.example.com/integrations/{kind}/callback"
    assert all(query[name] == value for name, value in extra.items())
    assert query["state"] and "settings" not in query["state"]  # the state names a row; it carries no data


def test_github_authorize_goes_to_the_apps_installation_page(tenant, fake_github):
    query = authorize(tenant, "github", "/after")
    assert query["url"].startswith("https://github.com/apps/burrow-test-app/installations/new?state=")


def test_authorize_refuses_unknown_credential_only_and_unconfigured_kinds(tenant, settings):
    for kind in ("", "vercel", "twilio", "nope", "hubspot"):
        response = tenant.client.get(tenant.url(f"integrations/authorize/?kind={kind}"))
        assert error(response)["detail"] == "Kind not supported", kind
    settings.SLACK_CLIENT_ID = ""
    assert error(tenant.client.get(tenant.url("integrations/authorize/?kind=slack")))["detail"] == (
        "Kind not configured: set BURROW_SLACK_CLIENT_ID and BURROW_SLACK_CLIENT_SECRET (your Slack app's "
        "OAuth credentials) and restart."
    )
    settings.GITHUB_APP_SLUG = ""
    detail = error(tenant.client.get(tenant.url("integrations/authorize/?kind=github")))["detail"]
    assert detail == "GitHub App is not configured on this instance (missing BURROW_GITHUB_APP_SLUG)."
    assert OAuthState.objects.count() == 0


@pytest.mark.parametrize(
    "next_path",
    [
        "//evil.example/x",
        "https://evil.example/",
        "evil",
        "/\\evil.example",
        "/ok\r\nSet-Cookie: x=1",
        "javascript:x",
    ],
)
def test_next_must_be_a_relative_path_on_this_site(tenant, fake_slack_workspace, next_path):
    from urllib.parse import quote

    response = tenant.client.get(tenant.url(f"integrations/authorize/?kind=slack&next={quote(next_path)}"))
    body = error(response)
    assert body["detail"] == "next must be a relative path starting with /" and body["attr"] == "next"


def test_the_api_callback_connects_once_with_a_state_of_the_same_user_and_project(
    tenant, fake_slack_workspace
):
    state = authorize(tenant, "slack")["state"]
    body = {"kind": "slack", "config": {"code": fake_slack_workspace.connect_code(), "state": state}}
    response = tenant.client.post(tenant.url("integrations/"), body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["display_name"] == "Acme Workspace"
    body["config"]["code"] = fake_slack_workspace.connect_code()
    again = tenant.client.post(tenant.url("integrations/"), body, format="json")
    assert error(again)["detail"] == "Invalid or expired state token"
    assert len(fake_slack_workspace.calls_to("oauth.v2.access")) == 1  # the spent state never reached Slack


def test_a_state_is_refused_for_another_user_another_project_or_another_provider(
    tenant, other_tenant, fake_slack_workspace, fake_linear
):
    colleague = join_organization("colleague@example.com", tenant.organization, "admin", ["*"])
    colleague_client = client_for(colleague.personal_api_key)
    sibling = Project.objects.create_with_environment(tenant.organization, "Second")
    state = authorize(tenant, "slack")["state"]
    code = fake_slack_workspace.connect_code()
    attempts = [
        (colleague_client, tenant.url("integrations/"), "slack"),  # same project, another user
        (tenant.client, f"/api/projects/{sibling.id}/integrations/", "slack"),  # same user, another project
        (other_tenant.client, other_tenant.url("integrations/"), "slack"),  # another tenant altogether
        (tenant.client, tenant.url("integrations/"), "linear"),  # the same state for another provider
    ]
    for client, url, kind in attempts:
        response = client.post(url, {"kind": kind, "config": {"code": code, "state": state}}, format="json")
        assert error(response)["detail"] == "Invalid or expired state token", (url, kind)
    assert fake_slack_workspace.calls_to("oauth.v2.access") == []
    # The state survived the refusals: its own user and project can still use it.
    response = tenant.client.post(
        tenant.url("integrations/"),
        {"kind": "slack", "config": {"code": code, "state": state}},
        format="json",
    )
    assert response.status_code == 201


def test_an_expired_or_tampered_state_is_refused(tenant, fake_slack_workspace):
    state = authorize(tenant, "slack")["state"]
    OAuthState.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    for bad in (state, state[:-2] + "xx", "not-a-state", ""):
        response = connect_with_state(tenant, fake_slack_workspace, bad)
        assert error(response)["detail"] in (
            "Invalid or expired state token",
            "A state token must be provided",
        )


def test_a_state_older_than_ten_minutes_is_refused_even_if_its_row_says_otherwise(
    tenant, fake_slack_workspace, monkeypatch
):
    import time

    state = authorize(tenant, "slack")["state"]
    OAuthState.objects.update(expires_at=timezone.now() + timedelta(days=1))
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + 601)  # the signature's own clock
    assert error(connect_with_state(tenant, fake_slack_workspace, state))["detail"] == (
        "Invalid or expired state token"
    )


def connect_with_state(tenant, fake, state):
    body = {"kind": "slack", "config": {"code": fake.connect_code(), "state": state}}
    return tenant.client.post(tenant.url("integrations/"), body, format="json")


def test_the_callback_page_connects_for_the_states_user_and_redirects_to_next(tenant, fake_slack_workspace):
    query = authorize(tenant, "slack", "/project/settings?tab=integrations")
    response = callback(
        tenant.client, "slack", code=fake_slack_workspace.connect_code(), state=query["state"]
    )
    assert response.status_code == 302
    assert response["Location"] == "/project/settings?tab=integrations"
    assert response["Referrer-Policy"] == "no-referrer" and response["Cache-Control"] == "no-store"
    integration = Integration.objects.get(team=tenant.team, kind="slack")
    assert integration.created_by == tenant.user and integration.integration_id == "T0FAKE"
    # Opening the same callback URL again (a reload, a leaked link) does nothing.
    again = callback(tenant.client, "slack", code="whatever", state=query["state"])
    assert again.status_code == 400 and b"Invalid or expired state token" in again.content
    assert Integration.objects.filter(team=tenant.team).count() == 1


def test_the_callback_page_without_next_says_what_was_connected(tenant, fake_linear):
    query = authorize(tenant, "linear")
    response = callback(tenant.client, "linear", code=fake_linear.connect_code(), state=query["state"])
    assert response.status_code == 200
    assert b"Linear connected" in response.content and b"Acme Linear" in response.content


def test_the_callback_page_explains_a_refusal_at_the_provider_and_a_refused_code(
    tenant, fake_slack_workspace
):
    query = authorize(tenant, "slack")
    denied = callback(tenant.client, "slack", error="access_denied", state=query["state"])
    assert (
        denied.status_code == 400
        and b"Slack did not connect: the request was declined on Slack&#x27;s page." in denied.content
    )
    query = authorize(tenant, "slack")
    bad_code = callback(tenant.client, "slack", code="code-never-issued", state=query["state"])
    assert bad_code.status_code == 400 and b"slack OAuth failed: invalid_code" in bad_code.content
    assert not Integration.objects.exists()


def test_the_callback_page_answers_get_only_so_link_scanners_cannot_spend_a_state(
    tenant, fake_slack_workspace
):
    query = authorize(tenant, "slack")
    assert (
        tenant.client.head(f"/integrations/slack/callback?state={query['state']}&code=x").status_code == 405
    )
    assert (
        tenant.client.post(f"/integrations/slack/callback?state={query['state']}&code=x").status_code == 405
    )
    response = callback(
        tenant.client, "slack", code=fake_slack_workspace.connect_code(), state=query["state"]
    )
    assert response.status_code == 200


def test_the_callback_page_refuses_a_user_who_left_the_organization(tenant, fake_slack_workspace):
    from burrow.core.models import OrganizationMembership

    query = authorize(tenant, "slack")
    OrganizationMembership.objects.filter(user=tenant.user).delete()
    response = callback(
        tenant.client, "slack", code=fake_slack_workspace.connect_code(), state=query["state"]
    )
    assert response.status_code == 403 and not Integration.objects.exists()
    assert "You don&#x27;t have access to the project." in response.content.decode()


def test_the_callback_page_refuses_a_user_who_left_the_organization_for_another(
    tenant, other_tenant, fake_slack_workspace
):
    """Still a member of some organization, and the project's organization still has members: neither is the
    membership that counts."""
    from burrow.core.models import OrganizationMembership

    join_organization("colleague@example.com", tenant.organization, "member", ["*"])
    OrganizationMembership.objects.create(organization=other_tenant.organization, user=tenant.user, level=1)
    query = authorize(tenant, "slack")
    OrganizationMembership.objects.filter(user=tenant.user, organization=tenant.organization).delete()
    response = callback(
        tenant.client, "slack", code=fake_slack_workspace.connect_code(), state=query["state"]
    )
    assert response.status_code == 403 and not Integration.objects.exists()
    assert "You don&#x27;t have access to the project." in response.content.decode()


def test_reconnecting_the_same_account_updates_the_integration(tenant, fake_slack_workspace):
    first = connect(tenant, "slack", fake_slack_workspace.connect_code()).json()
    Integration.objects.filter(id=first["id"]).update(errors="TOKEN_REFRESH_FAILED")
    second = connect(tenant, "slack", fake_slack_workspace.connect_code())
    assert second.status_code == 201 and second.json()["id"] == first["id"]
    assert second.json()["errors"] == ""
    other_workspace = fake_slack_workspace.connect_code(team={"id": "T0OTHER", "name": "Other"})
    other = connect(tenant, "slack", other_workspace)
    assert other.status_code == 201 and other.json()["id"] != first["id"]
    assert Integration.objects.filter(team=tenant.team, kind="slack").count() == 2


def test_a_member_may_connect_but_not_take_over_another_persons_connection(tenant, fake_slack_workspace):
    connect(tenant, "slack", fake_slack_workspace.connect_code())
    member = join_organization("member@example.com", tenant.organization, "member", ["*"])
    member_client = client_for(member.personal_api_key)
    response = connect(tenant, "slack", fake_slack_workspace.connect_code(), client=member_client)
    assert error(response, 403)["detail"] == "Editing an existing integration requires project admin access."
    assert Integration.objects.get().created_by == tenant.user
    own_workspace = fake_slack_workspace.connect_code(team={"id": "T0MINE", "name": "Mine"})
    assert connect(tenant, "slack", own_workspace, client=member_client).status_code == 201
    # …and reconnect their own.
    again = fake_slack_workspace.connect_code(team={"id": "T0MINE", "name": "Mine"})
    assert connect(tenant, "slack", again, client=member_client).status_code == 201


def test_api_create_validates_kind_and_body(tenant, fake_slack_workspace):
    bad_kind = tenant.client.post(
        tenant.url("integrations/"), {"kind": "myspace", "config": {}}, format="json"
    )
    assert error(bad_kind)["attr"] == "kind"
    deprecated = tenant.client.post(
        tenant.url("integrations/"), {"kind": "slack-posthog-code", "config": {}}, format="json"
    )
    assert error(deprecated)["detail"] == "This integration kind is deprecated and can no longer be created."
    for kind in ("vercel", "hubspot"):  # `email` is a sender domain (test_email_domains.py)
        response = tenant.client.post(
            tenant.url("integrations/"), {"kind": kind, "config": {}}, format="json"
        )
        assert error(response)["detail"] == "Kind not supported", kind
    no_state = tenant.client.post(
        tenant.url("integrations/"), {"kind": "slack", "config": {"code": "x"}}, format="json"
    )
    assert error(no_state)["detail"] == "A state token must be provided"
    state = authorize(tenant, "slack")["state"]
    no_code = tenant.client.post(
        tenant.url("integrations/"), {"kind": "slack", "config": {"state": state}}, format="json"
    )
    assert error(no_code)["detail"] == "An OAuth code must be provided"
    assert OAuthState.objects.get().used_at is None  # refused before the state was spent
    not_a_dict = tenant.client.post(
        tenant.url("integrations/"), {"kind": "slack", "config": [1]}, format="json"
    )
    assert error(not_a_dict)["attr"] == "config"


def test_the_callback_page_of_a_kind_without_a_consent_page_says_so(tenant):
    response = callback(tenant.client, "twilio", code="x", state="y")
    assert response.status_code == 400 and "Kind not supported" in response.content.decode()
