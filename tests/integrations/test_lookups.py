"""Each provider's look-ups answer in PostHog's shapes, from the provider itself (fakes on loopback), with the
documented caching, paging and parameters; a look-up on another provider's integration is a 400 naming it."""

import pytest

from tests.helpers import error

pytestmark = pytest.mark.django_db


def lookup(tenant, integration, name: str, query: str = ""):
    return tenant.client.get(tenant.url(f"integrations/{integration.id}/{name}/{query}"))


def test_slack_channels_lists_public_and_private_channels_sorted(tenant, fake_providers):
    slack = fake_providers.connected(tenant, "slack")
    body = lookup(tenant, slack, "channels").json()
    assert [c["name"] for c in body["channels"]] == ["general", "marketing", "random", "secret-plans"]
    assert body["has_more"] is False and body["lastRefreshedAt"].endswith("Z")
    assert set(body["channels"][0]) == {
        "id",
        "name",
        "is_private",
        "is_member",
        "is_ext_shared",
        "is_private_without_access",
    }
    private_call = fake_providers.slack.calls_to("users.conversations")[0]
    assert private_call.args["user"] == "U0AUTHED" and private_call.args["types"] == "private_channel"


def test_slack_private_channel_names_are_shown_only_to_the_person_who_connected(tenant, fake_providers):
    from burrow.core.bootstrap import join_organization
    from tests.conftest import client_for

    slack = fake_providers.connected(tenant, "slack")
    colleague = client_for(
        join_organization("c@example.com", tenant.organization, "admin", ["*"]).personal_api_key
    )
    channels = colleague.get(tenant.url(f"integrations/{slack.id}/channels/")).json()["channels"]
    hidden = [c for c in channels if c["is_private"]]
    assert hidden == [
        {
            "id": "G001",
            "name": "PRIVATE_CHANNEL_WITHOUT_ACCESS",
            "is_private": True,
            "is_member": True,
            "is_ext_shared": False,
            "is_private_without_access": True,
        }
    ]


def test_slack_channels_search_limit_offset_and_one_channel(tenant, fake_providers):
    slack = fake_providers.connected(tenant, "slack")
    body = lookup(tenant, slack, "channels", "?search=AR").json()
    assert [c["name"] for c in body["channels"]] == ["marketing"]
    page = lookup(tenant, slack, "channels", "?limit=2&offset=1").json()
    assert [c["name"] for c in page["channels"]] == ["marketing", "random"] and page["has_more"] is True
    by_id = lookup(tenant, slack, "channels", "?search=c00").json()["channels"]
    assert sorted(c["id"] for c in by_id) == ["C001", "C002", "C003"]
    one = lookup(tenant, slack, "channels", "?channel_id=C002").json()
    assert [c["name"] for c in one["channels"]] == ["random"]
    assert lookup(tenant, slack, "channels", "?channel_id=C999").json()["channels"] == []
    for bad in ("?limit=0", "?limit=201", "?limit=x", "?offset=-1"):
        assert error(lookup(tenant, slack, "channels", bad))["attr"] in ("limit", "offset")


def test_slack_channels_are_cached_for_an_hour_unless_refresh_is_forced(tenant, fake_providers):
    slack = fake_providers.connected(tenant, "slack")
    lookup(tenant, slack, "channels")
    fake_providers.slack.public.append({"id": "C004", "name": "new-channel", "is_private": False})
    assert "new-channel" not in str(lookup(tenant, slack, "channels").json())
    assert len(fake_providers.slack.calls_to("conversations.list")) == 1
    assert "new-channel" in str(lookup(tenant, slack, "channels", "?force_refresh=true").json())


def test_slack_channels_page_through_slack_cursors(tenant, fake_providers, monkeypatch):
    from burrow.integrations.providers import slack as slack_provider

    monkeypatch.setattr(slack_provider, "CHANNELS_PAGE_SIZE", 2)
    slack = fake_providers.connected(tenant, "slack")
    assert len(lookup(tenant, slack, "channels").json()["channels"]) == 4
    assert len(fake_providers.slack.calls_to("conversations.list")) == 2


def test_slack_channels_need_the_connecting_users_id(tenant, fake_providers):
    slack = fake_providers.connected(tenant, "slack", config={"team": {"id": "T0FAKE", "name": "Acme"}})
    assert error(lookup(tenant, slack, "channels"))["detail"] == (
        "SlackIntegration: Missing authed_user_id in integration config"
    )


def test_linear_teams(tenant, fake_providers):
    linear = fake_providers.connected(tenant, "linear")
    assert lookup(tenant, linear, "linear_teams").json() == {
        "teams": [{"id": "team-eng", "name": "Engineering"}, {"id": "team-ops", "name": "Ops"}]
    }
    call = fake_providers.linear.calls_to("graphql")[-1]
    assert call.json == {"query": "{ teams { nodes { id name } } }", "variables": {}}
    assert call.headers["Authorization"] == f"Bearer {linear.sensitive_config['access_token']}"


def test_linkedin_ad_accounts_and_conversion_rules(tenant, fake_providers):
    linkedin = fake_providers.connected(tenant, "linkedin-ads")
    assert lookup(tenant, linkedin, "linkedin_ads_accounts").json() == {
        "adAccounts": [
            {"id": 5001, "name": "Acme Ads", "reference": "urn:li:organization:1"},
            {"id": 5002, "name": "Acme EU", "reference": "urn:li:organization:2"},
        ]
    }
    call = fake_providers.linkedin.calls_to("adAccounts")[-1]
    assert call.args == {"q": "search"} and call.headers["Linkedin-Version"] == "202607"
    rules = lookup(tenant, linkedin, "linkedin_ads_conversion_rules", "?accountId=5001").json()
    assert rules == {"conversionRules": [{"id": 77, "name": "Signup"}]}
    call = fake_providers.linkedin.calls_to("conversions")[-1]
    assert call.args["account"] == "urn:li:sponsoredAccount:5001" and call.args["q"] == "account"
    assert lookup(tenant, linkedin, "linkedin_ads_conversion_rules", "?accountId=5002").json() == {
        "conversionRules": []
    }
    for query in ("", "?accountId=", "?accountId=abc", "?accountId=1%26q%3Devil"):
        assert error(lookup(tenant, linkedin, "linkedin_ads_conversion_rules", query))["attr"] == "accountId"


def test_twilio_phone_numbers_page_through_and_are_cached_an_hour(tenant, fake_providers):
    twilio = fake_providers.connected(tenant, "twilio")
    body = lookup(tenant, twilio, "twilio_phone_numbers").json()
    assert body["phone_numbers"] == [
        {"sid": "PN001", "phone_number": "+15550000001", "friendly_name": "Support line"},
        {"sid": "PN002", "phone_number": "+15550000002", "friendly_name": "Alerts"},
    ]
    assert body["lastRefreshedAt"].endswith("Z")
    assert len(fake_providers.twilio.calls_to("numbers")) == 2  # two pages
    fake_providers.twilio.numbers.pop()
    assert lookup(tenant, twilio, "twilio_phone_numbers").json() == body  # from the cache
    refreshed = lookup(tenant, twilio, "twilio_phone_numbers", "?force_refresh=TRUE").json()
    assert [n["sid"] for n in refreshed["phone_numbers"]] == ["PN001"]


def test_an_account_without_phone_numbers_is_an_empty_list_not_an_error(tenant, fake_providers):
    fake_providers.twilio.numbers.clear()
    twilio = fake_providers.connected(tenant, "twilio")
    response = lookup(tenant, twilio, "twilio_phone_numbers")
    assert response.status_code == 200 and response.json()["phone_numbers"] == []


def test_github_repos_with_search_and_paging(tenant, fake_providers):
    github = fake_providers.connected(tenant, "github")
    body = lookup(tenant, github, "github_repos").json()
    assert body == {
        "repositories": [
            {"id": 1, "name": "api", "full_name": "acme-org/api"},
            {"id": 2, "name": "web", "full_name": "acme-org/web"},
        ],
        "has_more": False,
    }
    assert [
        r["name"] for r in lookup(tenant, github, "github_repos", "?search=WEB").json()["repositories"]
    ] == ["web"]
    assert lookup(tenant, github, "github_repos", "?limit=1").json()["has_more"] is True


@pytest.mark.parametrize(
    "name, kind, label",
    [
        ("channels", "linear", "Slack"),
        ("linear_teams", "slack", "Linear"),
        ("linkedin_ads_accounts", "twilio", "LinkedIn Ads"),
        ("linkedin_ads_conversion_rules", "github", "LinkedIn Ads"),
        ("twilio_phone_numbers", "slack", "Twilio"),
        ("github_repos", "linear", "GitHub"),
        # The reference's look-ups Burrow does not make answer the same way on another provider's integration.
        ("jira_projects", "slack", "Jira"),
        ("github_branches", "slack", "GitHub"),
        ("github_teams", "linear", "GitHub"),
        ("users", "github", "Slack"),
        ("google_conversion_actions", "slack", "Google Ads"),
        ("google_accessible_accounts", "slack", "Google Ads"),
        ("google_search_console_sites", "slack", "Google Search Console"),
        ("clickup_spaces", "slack", "ClickUp"),
        ("clickup_lists", "slack", "ClickUp"),
        ("clickup_workspaces", "slack", "ClickUp"),
    ],
)
def test_a_lookup_on_another_providers_integration_is_a_400_naming_the_provider(
    tenant, fake_providers, name, kind, label
):
    integration = fake_providers.connected(tenant, kind)
    body = error(lookup(tenant, integration, name, "?accountId=5001"))
    assert body["detail"] == f"{name} endpoint is only supported for {label} integrations"


@pytest.mark.parametrize(
    "name",
    ["anthropic_managed_agents", "anthropic_managed_agent_environments", "anthropic_managed_agent_vaults"],
)
def test_an_anthropic_lookup_on_another_providers_integration_names_anthropic(tenant, fake_providers, name):
    slack = fake_providers.connected(tenant, "slack")
    body = error(lookup(tenant, slack, name))
    assert body["detail"] == f"Integration {slack.id} is not an Anthropic integration (kind='slack')"


@pytest.mark.parametrize(
    "name, kind", [("users", "slack"), ("github_branches", "github"), ("github_teams", "github")]
)
def test_a_reference_lookup_burrow_does_not_make_says_so_on_its_own_providers_integration(
    tenant, fake_providers, name, kind
):
    integration = fake_providers.connected(tenant, kind)
    assert error(lookup(tenant, integration, name))["detail"] == f"Burrow does not offer the {name} look-up."


def test_unserved_lookups_stay_inside_the_project(tenant, other_tenant, fake_providers):
    theirs = fake_providers.connected(other_tenant, "slack")
    assert lookup(tenant, theirs, "jira_projects").status_code == 404
