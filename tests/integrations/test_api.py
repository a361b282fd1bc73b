"""The project integrations API: what a list and an integration show, `?kind=`, Twilio connected from its
credentials, methods that do not exist, and list cost."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from burrow.integrations.models import Integration
from tests.fakes import twilio
from tests.helpers import error
from tests.integrations.conftest import connect

pytestmark = pytest.mark.django_db

FIELDS = {
    "id",
    "kind",
    "config",
    "created_at",
    "created_by",
    "errors",
    "display_name",
    "files_write_requestable",
    "installation_shared",
    "installation_status",
}
CREDENTIALS = {"account_sid": twilio.ACCOUNT_SID, "auth_token": twilio.AUTH_TOKEN}


def test_an_integration_shows_posthogs_fields_and_never_its_secrets(tenant, fake_providers):
    for kind in ("slack", "linear", "linkedin-ads", "twilio", "github"):
        fake_providers.connected(tenant, kind)
    for route in ("projects", "environments"):
        page = tenant.client.get(tenant.url("integrations/", route)).json()
        assert page["count"] == 5
        for item in page["results"]:
            assert set(item) == FIELDS
            detail = tenant.client.get(tenant.url(f"integrations/{item['id']}/", route)).json()
            assert detail == item
    shown = {item["kind"]: item for item in page["results"]}
    assert shown["slack"]["display_name"] == "Acme Workspace"
    assert shown["linear"]["display_name"] == "Acme Linear"
    assert shown["linkedin-ads"]["display_name"] == "ads@acme.example"
    assert shown["twilio"]["display_name"] == f"ID: {twilio.ACCOUNT_SID}"
    assert shown["github"]["display_name"] == "acme-org"
    assert shown["github"]["installation_status"] == "connected"
    assert shown["github"]["installation_shared"] is False
    assert (
        shown["slack"]["installation_status"] is None and shown["slack"]["files_write_requestable"] is False
    )
    assert shown["slack"]["created_by"]["email"] == tenant.user.email
    text = tenant.client.get(tenant.url("integrations/")).content.decode()
    for integration in Integration.objects.all():
        for secret in integration.sensitive_config.values():
            assert secret not in text
    assert "sensitive_config" not in text and "integration_id" not in text


def test_kind_filters_the_list_and_an_unknown_kind_is_a_400(tenant, fake_providers):
    fake_providers.connected(tenant, "slack")
    fake_providers.connected(tenant, "twilio")
    kinds = [i["kind"] for i in tenant.client.get(tenant.url("integrations/?kind=twilio")).json()["results"]]
    assert kinds == ["twilio"]
    assert error(tenant.client.get(tenant.url("integrations/?kind=myspace")))["attr"] == "kind"


def test_twilio_connects_from_credentials_checked_against_the_account(tenant, fake_twilio):
    response = tenant.client.post(
        tenant.url("integrations/"), {"kind": "twilio", "config": CREDENTIALS}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["config"] == {"account_sid": twilio.ACCOUNT_SID}
    stored = Integration.objects.get()
    assert stored.integration_id == twilio.ACCOUNT_SID
    assert stored.sensitive_config == {"auth_token": twilio.AUTH_TOKEN}
    assert fake_twilio.calls_to("account")[0].path.endswith(f"/Accounts/{twilio.ACCOUNT_SID}.json")


def test_twilio_refuses_missing_or_wrong_credentials(tenant, fake_twilio):
    for config in ({}, {"account_sid": twilio.ACCOUNT_SID}, {"account_sid": "", "auth_token": "x"}):
        response = tenant.client.post(
            tenant.url("integrations/"), {"kind": "twilio", "config": config}, format="json"
        )
        assert error(response)["detail"] == "Account SID and auth token must be provided"
    wrong = {"account_sid": twilio.ACCOUNT_SID, "auth_token": "wrong"}
    response = tenant.client.post(
        tenant.url("integrations/"), {"kind": "twilio", "config": wrong}, format="json"
    )
    assert error(response) == {
        "type": "validation_error",
        "code": "invalid_input",
        "detail": "Failed to get account info",
        "attr": "account_info",
    }
    odd = {"account_sid": "../../evil", "auth_token": "x"}
    response = tenant.client.post(
        tenant.url("integrations/"), {"kind": "twilio", "config": odd}, format="json"
    )
    assert error(response)["attr"] == "account_sid"
    assert not Integration.objects.exists()


def test_patch_and_put_are_405(tenant, fake_providers):
    integration = fake_providers.connected(tenant, "slack")
    for method in ("patch", "put"):
        response = getattr(tenant.client, method)(
            tenant.url(f"integrations/{integration.id}/"), {}, format="json"
        )
        assert error(response, 405)["code"] == "method_not_allowed"


def test_unknown_and_impossible_ids_are_404(tenant):
    for raw in ("424242", "abc", str(2**63)):
        assert error(tenant.client.get(tenant.url(f"integrations/{raw}/")), 404)["detail"] == "Not found."
        assert error(tenant.client.get(tenant.url(f"integrations/{raw}/linear_teams/")), 404)


def test_a_github_installation_used_by_two_projects_is_shown_as_shared(tenant, fake_providers):
    from burrow.core.models import Project

    fake_providers.connected(tenant, "github")
    sibling = Project.objects.create_with_environment(tenant.organization, "Sibling").environments.get()
    fake_providers.connected(tenant, "github", team=sibling)
    [shown] = tenant.client.get(tenant.url("integrations/")).json()["results"]
    assert shown["installation_shared"] is True


def test_the_list_costs_the_same_number_of_queries_for_two_or_twenty_integrations(tenant):
    from tests.factories import make_integration

    def queries() -> int:
        tenant.client.get(tenant.url("integrations/"))
        with CaptureQueriesContext(connection) as ctx:
            assert tenant.client.get(tenant.url("integrations/?limit=30")).status_code == 200
        return len(ctx.captured_queries)

    for _ in range(2):
        make_integration(tenant)
    make_integration(tenant, kind="github", integration_id="1")
    small = queries()
    for n in range(18):
        make_integration(tenant, kind="github" if n % 2 else "slack", integration_id=str(n + 2))
    assert queries() == small


def test_connecting_writes_the_activity_log_without_secrets(tenant, fake_slack_workspace):
    created = connect(tenant, "slack", fake_slack_workspace.connect_code()).json()
    tenant.client.delete(tenant.url(f"integrations/{created['id']}/"))
    entries = tenant.client.get(tenant.url("activity_log/?scope=Integration")).json()["results"]
    assert [e["activity"] for e in entries] == ["deleted", "created"]
    assert entries[1]["detail"]["name"] == "Acme Workspace" and entries[1]["item_id"] == str(created["id"])
    assert "access" not in str(entries)
