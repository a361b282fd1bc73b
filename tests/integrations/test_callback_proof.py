"""The callback page completes a flow only for the browser that started it (the flow cookie `authorize` sets,
limited to the callback's path) or for the state's own user signed in; anyone else opening a callback URL
(a victim sent an attacker's state) connects nothing. A provider's error shows Burrow's own sentence."""

from urllib.parse import parse_qs, quote, urlencode, urlsplit

import pytest

from burrow.core.bootstrap import join_organization
from burrow.integrations.models import Integration, OAuthState
from tests.integrations.conftest import authorize

pytestmark = pytest.mark.django_db

CALLBACK = "/integrations/slack/callback"


def callback_path(state: str, code: str) -> str:
    return f"{CALLBACK}?code={quote(code)}&state={quote(state)}"


def test_authorize_sets_a_signed_flow_cookie_limited_to_the_callback_path(tenant, fake_slack_workspace):
    state = authorize(tenant, "slack")["state"]
    cookie = tenant.client.cookies["burrow_oauth_flow"]
    assert cookie["path"] == CALLBACK
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and cookie["max-age"] == 600
    assert state not in cookie.value  # the cookie is its own proof, not a copy of the state


def test_a_callback_without_the_flow_cookie_sends_the_browser_to_sign_in_and_connects_nothing(
    tenant, fake_slack_workspace, client
):
    state = authorize(tenant, "slack", "/done")["state"]
    path = callback_path(state, fake_slack_workspace.connect_code())
    response = client.get(path)
    assert response.status_code == 302 and response["Location"] == f"/login?{urlencode({'next': path})}"
    assert not Integration.objects.exists() and fake_slack_workspace.calls_to("oauth.v2.access") == []
    assert OAuthState.objects.get().used_at is None  # the state's user can still finish after signing in
    client.force_login(tenant.user)
    finished = client.get(path)
    assert finished.status_code == 302 and finished["Location"] == "/done"
    assert Integration.objects.get().team == tenant.team


def test_a_callback_opened_by_another_signed_in_person_is_refused(
    tenant, other_tenant, fake_slack_workspace, client
):
    state = authorize(tenant, "slack")["state"]
    colleague = join_organization("colleague@example.com", tenant.organization, "admin", ["*"])
    for person in (colleague.user, other_tenant.user):
        client.force_login(person)
        response = client.get(callback_path(state, fake_slack_workspace.connect_code()))
        assert response.status_code == 403
        assert b"This connection was started in another browser" in response.content
    assert not Integration.objects.exists() and fake_slack_workspace.calls_to("oauth.v2.access") == []


def test_the_flow_cookie_of_another_flow_proves_nothing(tenant, other_tenant, fake_slack_workspace):
    victim_state = authorize(tenant, "slack")["state"]
    authorize(other_tenant, "slack")  # the other browser holds a cookie, for its own flow
    response = other_tenant.client.get(callback_path(victim_state, fake_slack_workspace.connect_code()))
    assert response.status_code == 302 and response["Location"].startswith("/login?next=")
    assert not Integration.objects.exists()


def test_the_browser_holding_the_flow_cookie_completes_and_the_cookie_is_cleared(
    tenant, fake_slack_workspace
):
    state = authorize(tenant, "slack")["state"]
    response = tenant.client.get(callback_path(state, fake_slack_workspace.connect_code()))
    assert response.status_code == 200 and b"Slack connected" in response.content
    assert Integration.objects.get().created_by == tenant.user
    cleared = response.cookies["burrow_oauth_flow"]
    assert cleared.value == "" and cleared["path"] == CALLBACK


@pytest.mark.parametrize(
    "code, sentence",
    [
        ("access_denied", "Slack did not connect: the request was declined on Slack's page."),
        ("invalid_scope", "Slack did not connect: Slack refused the permissions Burrow asks for."),
        ("server_error", "Slack did not connect: Slack had a problem. Please try again."),
        ("temporarily_unavailable", "Slack did not connect: Slack is busy right now. Please try again."),
        ("<b>made-up</b>", "Slack did not connect. Please try again."),
    ],
)
def test_a_provider_error_shows_a_fixed_sentence_never_the_providers_text(
    tenant, fake_slack_workspace, code, sentence
):
    state = authorize(tenant, "slack")["state"]
    response = tenant.client.get(
        CALLBACK, {"error": code, "error_description": "Call +1-555 now: evil.example", "state": state}
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert sentence.replace("'", "&#x27;") in text
    assert "evil.example" not in text and "made-up" not in text


def test_github_user_authorization_binds_the_browser_that_asked_for_it(tenant, fake_github, client):
    from tests.fakes.github import INSTALLATION_ID

    response = tenant.client.post(
        tenant.url("integrations/github/oauth_authorize/"),
        {"installation_id": INSTALLATION_ID},
        format="json",
    )
    assert tenant.client.cookies["burrow_oauth_flow"]["path"] == "/integrations/github/callback"
    state = parse_qs(urlsplit(response.json()["oauth_url"]).query)["state"][0]
    params = {"code": fake_github.connect_code(), "state": state}
    assert client.get("/integrations/github/callback", params)["Location"].startswith("/login?next=")
    assert tenant.client.get("/integrations/github/callback", params).status_code == 200
    assert Integration.objects.get().integration_id == INSTALLATION_ID
