"""Personal API key scopes on integrations: `integration:read` for reads and look-ups, `integration:write` for
connecting, disconnecting, linking and `authorize` — including the routes where PostHog refuses every key
(docs/deviations.md) — and the key's project/organization scoping."""

import pytest

from tests.helpers import error

pytestmark = pytest.mark.django_db

LOOKUPS = [
    ("slack", "channels/"),
    ("linear", "linear_teams/"),
    ("linkedin-ads", "linkedin_ads_accounts/"),
    ("linkedin-ads", "linkedin_ads_conversion_rules/?accountId=5001"),
    ("twilio", "twilio_phone_numbers/"),
    ("github", "github_repos/"),
]


@pytest.mark.parametrize("kind, path", LOOKUPS)
def test_lookups_need_integration_read(tenant, fake_providers, key_client, kind, path):
    integration = fake_providers.connected(tenant, kind)
    url = tenant.url(f"integrations/{integration.id}/{path}")
    assert key_client(["integration:read"]).get(url).status_code == 200
    assert key_client(["integration:write"]).get(url).status_code == 200
    body = error(key_client(["subscription:read"]).get(url), 403)
    assert body["detail"] == "API key missing required scope 'integration:read'"


def test_reads_need_integration_read_and_writes_integration_write(tenant, fake_providers, key_client):
    integration = fake_providers.connected(tenant, "twilio")
    reader, writer = key_client(["integration:read"]), key_client(["integration:write"])
    assert reader.get(tenant.url("integrations/")).status_code == 200
    assert reader.get(tenant.url(f"integrations/{integration.id}/")).status_code == 200
    writes = [
        ("get", "integrations/authorize/?kind=slack", None),
        ("post", "integrations/", {"kind": "twilio", "config": {}}),
        ("post", "integrations/github/oauth_authorize/", {"installation_id": "9001"}),
        ("post", "integrations/github/link_existing/", {}),
        ("delete", f"integrations/{integration.id}/", None),
    ]
    for method, path, body in writes:
        response = getattr(reader, method)(tenant.url(path), body, format="json")
        assert error(response, 403)["detail"] == "API key missing required scope 'integration:write'", path
    assert writer.get(tenant.url("integrations/authorize/?kind=slack")).status_code == 302
    assert writer.delete(tenant.url(f"integrations/{integration.id}/")).status_code == 204


def test_a_key_scoped_to_another_project_reaches_no_integration(tenant, fake_providers, key_client):
    integration = fake_providers.connected(tenant, "linear")
    client = key_client(["*"], scoped_teams=[tenant.team.id + 1000])
    for path in (
        "integrations/",
        f"integrations/{integration.id}/linear_teams/",
        "integrations/authorize/?kind=linear",
    ):
        assert error(client.get(tenant.url(path)), 403)["detail"].startswith(
            "API key does not have access to the requested project"
        )
    org_only = key_client(["*"], scoped_teams=[tenant.team.id])
    assert error(org_only.get(tenant.org_url("integrations/")), 403)["detail"] == (
        "API keys with scoped projects are only supported on project-based endpoints."
    )


def test_organization_integrations_use_their_own_scopes(tenant, key_client):
    from tests.factories import make

    row = make("integrations.OrganizationIntegration", tenant)
    reader = key_client(["organization_integration:read"])
    assert reader.get(tenant.org_url("integrations/")).status_code == 200
    assert reader.get(tenant.org_url(f"integrations/{row.id}/")).status_code == 200
    assert error(reader.delete(tenant.org_url(f"integrations/{row.id}/")), 403)["detail"] == (
        "API key missing required scope 'organization_integration:write'"
    )
    assert error(key_client(["integration:write"]).get(tenant.org_url("integrations/")), 403)["detail"] == (
        "API key missing required scope 'organization_integration:read'"
    )
    assert (
        key_client(["organization_integration:write"])
        .delete(tenant.org_url(f"integrations/{row.id}/"))
        .status_code
        == 204
    )
