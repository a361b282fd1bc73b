"""`/api/organizations/:id/integrations/`: members list and read, admins disconnect, nobody creates or edits
over the API (405): operators add them with `burrow org-integration add`."""

import json

import pytest

from burrow.cli import main
from burrow.core.bootstrap import join_organization
from burrow.integrations.models import Integration, OrganizationIntegration
from tests.conftest import client_for
from tests.factories import make
from tests.helpers import error

pytestmark = pytest.mark.django_db

FIELDS = {"id", "kind", "integration_id", "config", "created_at", "updated_at", "created_by"}


def test_members_list_and_read_them_with_posthogs_fields(tenant):
    row = make(
        "integrations.OrganizationIntegration",
        tenant,
        integration_id="icfg_1",
        config={"type": "marketplace"},
    )
    member = client_for(
        join_organization("m@example.com", tenant.organization, "member", ["*"]).personal_api_key
    )
    page = member.get(tenant.org_url("integrations/")).json()
    assert set(page) == {"count", "next", "previous", "results"} and page["count"] == 1
    [shown] = page["results"]
    assert set(shown) == FIELDS
    assert shown["id"] == str(row.id) and shown["integration_id"] == "icfg_1"
    assert shown["config"] == {"type": "marketplace"} and shown["created_by"]["email"] == tenant.user.email
    assert "vercel-" not in json.dumps(page)  # the secret
    assert member.get(tenant.org_url(f"integrations/{row.id}/")).json() == shown
    assert tenant.client.get(tenant.org_url("integrations/@current/")).status_code == 404


def test_only_admins_disconnect_and_nothing_is_created_or_edited_over_the_api(tenant):
    row = make("integrations.OrganizationIntegration", tenant)
    member = client_for(
        join_organization("m@example.com", tenant.organization, "member", ["*"]).personal_api_key
    )
    body = error(member.delete(tenant.org_url(f"integrations/{row.id}/")), 403)
    assert body["detail"] == "Your organization access level is insufficient."
    for method in ("post", "patch", "put"):
        url = tenant.org_url("integrations/" if method == "post" else f"integrations/{row.id}/")
        assert (
            error(getattr(tenant.client, method)(url, {}, format="json"), 405)["code"] == "method_not_allowed"
        )
    assert tenant.client.delete(tenant.org_url(f"integrations/{row.id}/")).status_code == 204
    assert error(tenant.client.delete(tenant.org_url(f"integrations/{row.id}/")), 404)
    assert error(tenant.client.get(tenant.org_url("integrations/not-a-uuid/")), 404)


def test_removing_a_vercel_installation_removes_the_projects_vercel_connections(tenant):
    row = make("integrations.OrganizationIntegration", tenant, kind="vercel")
    Integration.objects.create(team=tenant.team, kind="vercel", integration_id="v1")
    Integration.objects.create(team=tenant.team, kind="slack", integration_id="T1")
    assert tenant.client.delete(tenant.org_url(f"integrations/{row.id}/")).status_code == 204
    assert list(Integration.objects.values_list("kind", flat=True)) == ["slack"]


def test_another_organizations_integrations_are_out_of_reach(tenant, other_tenant):
    row = make("integrations.OrganizationIntegration", tenant)
    assert error(other_tenant.client.get(tenant.org_url("integrations/")), 403)
    assert error(other_tenant.client.get(other_tenant.org_url(f"integrations/{row.id}/")), 404)
    assert error(other_tenant.client.delete(other_tenant.org_url(f"integrations/{row.id}/")), 404)
    assert OrganizationIntegration.objects.filter(id=row.id).exists()


def test_the_cli_adds_and_updates_an_organization_integration(tenant, capsys):
    org = str(tenant.organization.id)
    args = ["org-integration", "add", "--organization", org, "--kind", "vercel", "--integration-id", "icfg_9"]
    assert main([*args, "--config", '{"type": "connectable"}']) == 0
    added = json.loads(capsys.readouterr().out)
    assert added["kind"] == "vercel" and added["integration_id"] == "icfg_9" and added["created"] is True
    assert main([*args, "--config", '{"type": "marketplace"}']) == 0
    assert json.loads(capsys.readouterr().out)["created"] is False
    [shown] = tenant.client.get(tenant.org_url("integrations/")).json()["results"]
    assert shown["id"] == added["id"] and shown["config"] == {"type": "marketplace"}


@pytest.mark.parametrize(
    "change, message",
    [
        (["--organization", "00000000-0000-0000-0000-000000000000"], "does not exist"),
        (["--organization", "nope"], "does not exist"),
        (["--kind", "myspace"], "unknown kind 'myspace'"),
        (["--config", "{nope"], "--config is not valid JSON"),
        (["--config", "[1]"], "--config must be a JSON object"),
    ],
)
def test_the_cli_refuses_bad_input_with_a_message(tenant, capsys, change, message):
    args = {"--organization": str(tenant.organization.id), "--kind": "vercel", "--integration-id": "x"}
    args.update(dict(zip(change[::2], change[1::2], strict=True)))
    assert main(["org-integration", "add", *[part for pair in args.items() for part in pair]]) == 2
    assert message in capsys.readouterr().err
    assert not OrganizationIntegration.objects.exists()
