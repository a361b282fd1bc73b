"""The GitHub App: installed from GitHub's page, the person's OAuth code proving they can see the installation,
installation tokens minted with the App's JWT (signature checked by the fake), `github/oauth_authorize` when
the install came back without a code, and `github/link_existing` for sibling projects."""

from urllib.parse import parse_qs, urlsplit

import pytest

from burrow.core.bootstrap import join_organization
from burrow.core.models import Project
from burrow.integrations.models import Integration
from tests.conftest import client_for
from tests.fakes.github import INSTALLATION_ID
from tests.helpers import error
from tests.integrations.conftest import authorize

pytestmark = pytest.mark.django_db


def test_the_install_flow_connects_through_the_callback_page(tenant, fake_github):
    state = authorize(tenant, "github", "/after-install")["state"]
    response = tenant.client.get(
        "/integrations/github/callback",
        {
            "installation_id": INSTALLATION_ID,
            "setup_action": "install",
            "code": fake_github.connect_code(),
            "state": state,
        },
    )
    assert response.status_code == 302 and response["Location"] == "/after-install"
    integration = Integration.objects.get(team=tenant.team, kind="github")
    assert integration.integration_id == INSTALLATION_ID
    assert integration.config["account"] == {"type": "Organization", "name": "acme-org"}
    assert integration.config["connecting_user_github_login"] == "octocat"
    assert integration.config["repository_selection"] == "selected"
    assert integration.sensitive_config["access_token"] in fake_github.installation_tokens
    assert fake_github.jwts_seen >= 2  # the installation and its token, both asked for with a valid App JWT


def test_an_install_without_a_code_asks_github_for_user_authorization_then_connects(
    tenant, fake_github, settings
):
    state = authorize(tenant, "github", "/done")["state"]
    first = tenant.client.get(
        "/integrations/github/callback",
        {"installation_id": INSTALLATION_ID, "setup_action": "install", "state": state},
    )
    assert first.status_code == 302
    location = urlsplit(first["Location"])
    assert (location.scheme, location.hostname, location.path) == (
        "https",
        "github.com",
        "/login/oauth/authorize",
    )
    query = {k: v[0] for k, v in parse_qs(location.query).items()}
    assert query["client_id"] == "Iv1.github-client-id"
    assert query["redirect_uri"] == f"{settings.SITE_URL}/integrations/github/callback"
    # GitHub sends the person back with a code and the new state (bound to the installation).
    second = tenant.client.get(
        "/integrations/github/callback", {"code": fake_github.connect_code(), "state": query["state"]}
    )
    assert second.status_code == 302 and second["Location"] == "/done"
    assert Integration.objects.get(team=tenant.team).integration_id == INSTALLATION_ID


def test_the_api_create_checks_installation_state_code_and_access(tenant, fake_github):
    def create(config):
        return tenant.client.post(
            tenant.url("integrations/"), {"kind": "github", "config": config}, format="json"
        )

    assert error(create({"installation_id": INSTALLATION_ID, "code": "x"}))["detail"] == (
        "A state token must be provided"
    )
    state = authorize(tenant, "github")["state"]
    assert (
        error(create({"installation_id": "0x1", "state": state, "code": "x"}))["detail"]
        == "Invalid installation_id"
    )
    assert error(create({"installation_id": INSTALLATION_ID, "state": state}))["detail"] == (
        "An OAuth code must be provided"
    )
    assert error(create({"state": state, "code": fake_github.connect_code()}))["detail"] == (
        "An installation_id must be provided"
    )
    state = authorize(tenant, "github")["state"]
    refused = create({"installation_id": INSTALLATION_ID, "state": state, "code": "bad-code"})
    assert error(refused)["detail"] == (
        "Failed to exchange the OAuth code — ensure BURROW_GITHUB_CLIENT_SECRET is configured"
    )
    state = authorize(tenant, "github")["state"]
    stranger = create(
        {"installation_id": INSTALLATION_ID, "state": state, "code": fake_github.connect_code("mallory")}
    )
    body = error(stranger)
    assert body["detail"] == "You do not have access to this GitHub installation"
    assert body["code"] == "installation_access_denied"
    state = authorize(tenant, "github")["state"]
    created = create({"installation_id": INSTALLATION_ID, "state": state, "code": fake_github.connect_code()})
    assert created.status_code == 201 and created.json()["display_name"] == "acme-org"
    assert created.json()["installation_status"] == "connected"


def test_a_misconfigured_app_key_is_a_clear_400(tenant, fake_github, settings):
    settings.GITHUB_APP_PRIVATE_KEY = "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----"
    state = authorize(tenant, "github")["state"]
    config = {"installation_id": INSTALLATION_ID, "state": state, "code": fake_github.connect_code()}
    response = tenant.client.post(
        tenant.url("integrations/"), {"kind": "github", "config": config}, format="json"
    )
    assert error(response)["detail"] == (
        "GitHub App is not configured on this instance: set BURROW_GITHUB_APP_ID and BURROW_GITHUB_APP_PRIVATE_KEY."
    )


def test_a_private_key_squeezed_onto_one_line_works(tenant, fake_github, settings):
    settings.GITHUB_APP_PRIVATE_KEY = settings.GITHUB_APP_PRIVATE_KEY.replace("\n", "\\n")
    state = authorize(tenant, "github")["state"]
    config = {"installation_id": INSTALLATION_ID, "state": state, "code": fake_github.connect_code()}
    response = tenant.client.post(
        tenant.url("integrations/"), {"kind": "github", "config": config}, format="json"
    )
    assert response.status_code == 201, response.content


def test_oauth_authorize_mints_a_user_authorization_url(tenant, fake_github, settings):
    url = tenant.url("integrations/github/oauth_authorize/")
    response = tenant.client.post(url, {"installation_id": INSTALLATION_ID, "next": "/x"}, format="json")
    assert response.status_code == 200
    oauth_url = response.json()["oauth_url"]
    assert oauth_url.startswith("https://github.com/login/oauth/authorize?client_id=Iv1.github-client-id&")
    assert error(tenant.client.post(url, {}, format="json"))["detail"] == "installation_id is required"
    assert error(tenant.client.post(url, {"installation_id": "01"}, format="json"))["detail"] == (
        "Invalid installation_id"
    )
    bad_next = tenant.client.post(
        url, {"installation_id": INSTALLATION_ID, "next": "https://evil"}, format="json"
    )
    assert error(bad_next)["attr"] == "next"
    settings.GITHUB_CLIENT_ID = ""
    assert error(tenant.client.post(url, {"installation_id": INSTALLATION_ID}, format="json"))["detail"] == (
        "GitHub App client ID is not configured (BURROW_GITHUB_CLIENT_ID missing)."
    )


@pytest.fixture
def sibling(tenant, fake_providers):
    """Another project of the organization, with the GitHub installation connected."""
    team = Project.objects.create_with_environment(tenant.organization, "Sibling").environments.get()
    fake_providers.connected(
        tenant,
        "github",
        team=team,
        config={
            "installation_id": INSTALLATION_ID,
            "account": {"type": "Organization", "name": "acme-org"},
            "connecting_user_github_login": "octocat",
        },
    )
    return team


def test_link_existing_reuses_a_sibling_projects_installation(tenant, fake_providers, sibling):
    url = tenant.url("integrations/github/link_existing/")
    response = tenant.client.post(url, {}, format="json")
    assert response.status_code == 200, response.content
    linked = response.json()
    assert linked["kind"] == "github" and linked["display_name"] == "acme-org"
    assert linked["installation_shared"] is True
    assert linked["config"]["connecting_user_github_login"] == "octocat"
    assert Integration.objects.get(id=linked["id"]).team == tenant.team
    again = tenant.client.post(
        url, {"source_team_id": sibling.id, "installation_id": INSTALLATION_ID}, format="json"
    )
    assert again.status_code == 200 and again.json()["id"] == linked["id"]


def test_link_existing_explains_what_is_missing(tenant, other_tenant, fake_providers):
    url = tenant.url("integrations/github/link_existing/")
    assert error(tenant.client.post(url, {}, format="json"))["detail"] == (
        "No team in your organization has a GitHub installation to link"
    )
    assert error(tenant.client.post(url, {"installation_id": "abc"}, format="json"))["detail"] == (
        "Invalid installation_id"
    )
    orphan = error(tenant.client.post(url, {"installation_id": "123"}, format="json"))
    assert orphan["code"] == "github_link_existing_orphan_installation"
    fake_providers.connected(other_tenant, "github")  # another organization's installation is never a source
    for source in (other_tenant.team.id, tenant.team.id, str(tenant.team.id + 1000), 2**70):
        body = error(tenant.client.post(url, {"source_team_id": source}, format="json"))
        assert body["detail"] == "Source team not found in your organization", source
    empty = Project.objects.create_with_environment(tenant.organization, "Empty").environments.get()
    assert error(tenant.client.post(url, {"source_team_id": empty.id}, format="json"))["detail"] == (
        "Source team does not have a GitHub integration"
    )


@pytest.mark.parametrize("source", ["abc", "", "1.5", True, [1]])
def test_link_existing_validates_source_team_id_as_an_integer(tenant, fake_providers, sibling, source):
    url = tenant.url("integrations/github/link_existing/")
    body = error(tenant.client.post(url, {"source_team_id": source}, format="json"))
    assert body == {
        "type": "validation_error",
        "code": "invalid_input",
        "detail": "A valid integer is required.",
        "attr": "source_team_id",
    }
    assert Integration.objects.filter(team=tenant.team).count() == 0


def test_link_existing_with_several_installations_asks_which(tenant, fake_providers, sibling):
    fake_providers.github.installations["9002"] = dict(fake_providers.github.installations[INSTALLATION_ID])
    third = Project.objects.create_with_environment(tenant.organization, "Third").environments.get()
    fake_providers.connected(tenant, "github", team=third, integration_id="9002")
    url = tenant.url("integrations/github/link_existing/")
    assert error(tenant.client.post(url, {}, format="json"))["detail"] == (
        "Your organization has multiple GitHub installations; specify which one to link via installation_id"
    )
    linked = tenant.client.post(url, {"installation_id": "9002"}, format="json")
    assert linked.status_code == 200
    assert Integration.objects.get(id=linked.json()["id"]).integration_id == "9002"


def test_link_existing_needs_an_organization_admin(tenant, fake_providers, sibling):
    member = client_for(
        join_organization("m@example.com", tenant.organization, "member", ["*"]).personal_api_key
    )
    body = error(member.post(tenant.url("integrations/github/link_existing/"), {}, format="json"))
    assert body["code"] == "github_link_existing_personal_github_required"
    assert not Integration.objects.filter(team=tenant.team).exists()
