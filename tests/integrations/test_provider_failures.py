"""Provider failures are clear errors, never 500s (docs/deviations.md): unreachable, slow, 5xx, oversized or garbled
answers → 502 naming the provider; the provider's 401 marks the integration and asks to reconnect (later
calls answer without asking the provider); 403 → 400 about permissions. Tokens refresh at half their
lifetime; a refused refresh marks the integration."""

import threading
import time

import pytest

from burrow.integrations.models import Integration
from tests.conftest import client_for
from tests.fakes.smtp import free_port
from tests.helpers import error
from tests.integrations.conftest import connect

pytestmark = pytest.mark.django_db

REFRESH_FAILED = (
    "This integration's authentication token could not be refreshed. Please reconnect or disconnect this "
    "integration and connect a different account."
)
NO_LONGER_VALID = (
    "This integration's authentication is no longer valid. Please reconnect or disconnect this integration "
    "and connect a different account."
)
NO_PERMISSION = (
    "This integration does not have permission to access this resource. Please check the account "
    "permissions on the provider side."
)
# kind, look-up, the fake, its endpoint the look-up calls, the provider's name, its API URL setting
LOOKUPS = [
    ("slack", "channels", "slack", "conversations.list", "Slack", "SLACK_API_URL"),
    ("linear", "linear_teams", "linear", "graphql", "Linear", "LINEAR_API_URL"),
    ("linkedin-ads", "linkedin_ads_accounts", "linkedin", "adAccounts", "LinkedIn Ads", "LINKEDIN_API_URL"),
    ("twilio", "twilio_phone_numbers", "twilio", "numbers", "Twilio", "TWILIO_API_URL"),
    ("github", "github_repos", "github", "installation_repositories", "GitHub", "GITHUB_API_URL"),
]


def lookup(tenant, integration, name):
    return tenant.client.get(tenant.url(f"integrations/{integration.id}/{name}/"))


@pytest.mark.parametrize("kind, name, fake, endpoint, label, setting", LOOKUPS)
@pytest.mark.parametrize(
    "failure, says",
    [
        (503, "answered 503"),
        (500, "answered 500"),
        ("slow", "did not answer in time"),
        ("huge", "answered more than 2 MB"),
        ("garbage", "answered 200 without JSON"),
        ("unreachable", "could not be reached"),
    ],
)
def test_an_unavailable_provider_is_a_502_naming_it(
    tenant, fake_providers, settings, kind, name, fake, endpoint, label, setting, failure, says
):
    integration = fake_providers.connected(tenant, kind)
    if failure == "unreachable":
        setattr(settings, setting, f"http://127.0.0.1:{free_port()}/api")
    else:
        getattr(fake_providers, fake).fail[endpoint] = failure
    body = error(lookup(tenant, integration, name), 502)
    assert body == {
        "type": "server_error",
        "code": "provider_unavailable",
        "detail": f"{label} {says}. Try again in a few minutes.",
        "attr": None,
    }
    integration.refresh_from_db()
    assert integration.errors == ""  # trying again later may work: nothing is marked


@pytest.mark.parametrize("kind, name, fake, endpoint, label, setting", LOOKUPS)
def test_a_provider_401_marks_the_integration_and_later_calls_do_not_reach_the_provider(
    tenant, fake_providers, kind, name, fake, endpoint, label, setting
):
    integration = fake_providers.connected(tenant, kind)
    provider = getattr(fake_providers, fake)
    provider.revoke_all()
    if kind == "github":
        provider.installation_tokens.clear()
    if kind == "twilio":
        provider.accounts = {}
    assert error(lookup(tenant, integration, name))["detail"] == NO_LONGER_VALID
    integration.refresh_from_db()
    assert integration.errors == "TOKEN_REFRESH_FAILED"
    calls = len(provider.calls)
    assert error(lookup(tenant, integration, name))["detail"] == REFRESH_FAILED
    assert len(provider.calls) == calls
    shown = tenant.client.get(tenant.url(f"integrations/{integration.id}/")).json()
    assert shown["errors"] == "TOKEN_REFRESH_FAILED"


@pytest.mark.parametrize("kind, name, fake, endpoint, label, setting", LOOKUPS[1:])  # Slack: below
def test_a_provider_403_is_a_400_about_permissions(
    tenant, fake_providers, kind, name, fake, endpoint, label, setting
):
    integration = fake_providers.connected(tenant, kind)
    getattr(fake_providers, fake).fail[endpoint] = 403
    assert error(lookup(tenant, integration, name))["detail"] == NO_PERMISSION
    integration.refresh_from_db()
    assert integration.errors == ""


def test_slack_missing_scope_is_a_400_about_permissions(tenant, fake_providers, httpserver):
    from tests.fakes.provider import json_response

    integration = fake_providers.connected(tenant, "slack")
    httpserver.clear_all_handlers()
    httpserver.expect_request("/api/conversations.list").respond_with_handler(
        lambda request: json_response({"ok": False, "error": "missing_scope", "needed": "channels:read"})
    )
    assert error(lookup(tenant, integration, "channels"))["detail"] == NO_PERMISSION


def test_linkedin_conversion_rules_of_an_account_without_access_is_a_400_about_permissions(
    tenant, fake_providers
):
    integration = fake_providers.connected(tenant, "linkedin-ads")
    response = tenant.client.get(
        tenant.url(f"integrations/{integration.id}/linkedin_ads_conversion_rules/?accountId=6666")
    )
    assert error(response)["detail"] == NO_PERMISSION


def test_connect_time_failures(tenant, fake_linear, settings):
    refused = connect(tenant, "linear", "code-never-issued")
    assert error(refused)["detail"] == "linear OAuth failed: invalid_grant: The code has expired"
    fake_linear.fail["token"] = 502
    assert error(connect(tenant, "linear", fake_linear.connect_code()), 502)["detail"] == (
        "Linear answered 502. Try again in a few minutes."
    )
    fake_linear.fail.clear()
    fake_linear.fail["graphql"] = "slow"  # the account look-up after the token exchange
    assert error(connect(tenant, "linear", fake_linear.connect_code()), 502)["detail"] == (
        "Linear did not answer in time. Try again in a few minutes."
    )
    fake_linear.fail.clear()
    settings.LINEAR_API_URL = f"http://127.0.0.1:{free_port()}"
    assert error(connect(tenant, "linear", fake_linear.connect_code()), 502)["detail"] == (
        "Linear could not be reached. Try again in a few minutes."
    )
    assert not Integration.objects.exists()


def test_twilio_unreachable_at_connect_is_a_502(tenant, fake_twilio, settings):
    from tests.fakes import twilio

    settings.TWILIO_API_URL = f"http://127.0.0.1:{free_port()}"
    config = {"account_sid": twilio.ACCOUNT_SID, "auth_token": twilio.AUTH_TOKEN}
    response = tenant.client.post(
        tenant.url("integrations/"), {"kind": "twilio", "config": config}, format="json"
    )
    assert error(response, 502)["detail"] == "Twilio could not be reached. Try again in a few minutes."


def _age(integration, seconds: int) -> None:
    integration.config = {**integration.config, "refreshed_at": int(time.time()) - seconds}
    integration.save(update_fields=["config"])


@pytest.mark.parametrize("kind, fake", [("linear", "linear"), ("linkedin-ads", "linkedin")])
def test_tokens_are_refreshed_at_half_their_lifetime_and_rotated_refresh_tokens_kept(
    tenant, fake_providers, kind, fake
):
    provider = getattr(fake_providers, fake)
    integration = fake_providers.connected(tenant, kind)
    name = "linear_teams" if kind == "linear" else "linkedin_ads_accounts"
    expires_in = integration.config["expires_in"]
    _age(integration, expires_in // 2 - 60)
    assert lookup(tenant, integration, name).status_code == 200
    assert provider.calls_to("token") == []  # not yet half-way
    _age(integration, expires_in // 2 + 60)
    old = dict(integration.sensitive_config)
    assert lookup(tenant, integration, name).status_code == 200
    [refresh] = provider.calls_to("token")
    assert (
        refresh.form["grant_type"] == "refresh_token"
        and refresh.form["refresh_token"] == old["refresh_token"]
    )
    integration.refresh_from_db()
    assert integration.sensitive_config["access_token"] != old["access_token"]
    assert integration.sensitive_config["refresh_token"] != old["refresh_token"]  # rotated, and kept
    assert integration.config["refreshed_at"] >= int(time.time()) - 5 and integration.errors == ""


def test_a_refused_refresh_marks_the_integration_and_later_calls_do_not_reach_the_provider(
    tenant, fake_providers
):
    integration = fake_providers.connected(tenant, "linear")
    _age(integration, 86400)
    fake_providers.linear.refresh_tokens.clear()  # the person revoked Burrow at Linear
    assert error(lookup(tenant, integration, "linear_teams"))["detail"] == REFRESH_FAILED
    integration.refresh_from_db()
    assert integration.errors == "TOKEN_REFRESH_FAILED"
    calls = len(fake_providers.linear.calls)
    assert error(lookup(tenant, integration, "linear_teams"))["detail"] == REFRESH_FAILED
    assert len(fake_providers.linear.calls) == calls


def test_a_refresh_while_the_provider_is_down_is_a_502_and_marks_nothing(tenant, fake_providers):
    integration = fake_providers.connected(tenant, "linear")
    _age(integration, 86400)
    fake_providers.linear.fail["token"] = 503
    assert error(lookup(tenant, integration, "linear_teams"), 502)["detail"].startswith("Linear answered 503")
    integration.refresh_from_db()
    assert integration.errors == ""
    fake_providers.linear.fail.clear()
    assert lookup(tenant, integration, "linear_teams").status_code == 200


def test_github_installation_tokens_are_minted_again_at_half_their_lifetime(tenant, fake_providers):
    integration = fake_providers.connected(tenant, "github")
    _age(integration, 1900)
    assert lookup(tenant, integration, "github_repos").status_code == 200
    assert len(fake_providers.github.calls_to("access_tokens")) == 1
    integration.refresh_from_db()
    assert integration.sensitive_config["access_token"] in fake_providers.github.installation_tokens


@pytest.mark.django_db(transaction=True)
def test_concurrent_lookups_refresh_a_rotating_token_once(tenant, fake_providers):
    from django.db import connection

    integration = fake_providers.connected(tenant, "linear")
    _age(integration, 86400)
    statuses = []

    def ask():
        try:
            statuses.append(
                client_for(tenant.key)
                .get(tenant.url(f"integrations/{integration.id}/linear_teams/"))
                .status_code
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=ask) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert statuses == [200, 200, 200]
    assert len(fake_providers.linear.calls_to("token")) == 1
    integration.refresh_from_db()
    assert integration.errors == ""
