"""Tokens and credentials are encrypted at rest (read back from the raw database row), readable again after
a key rotation, and never appear in a response, an error or a log line."""

import json
import logging

import pytest
from cryptography.fernet import Fernet
from django.db import connection

from burrow.integrations.models import Integration, OrganizationIntegration
from tests.factories import make
from tests.fakes import twilio
from tests.integrations.conftest import connect

pytestmark = pytest.mark.django_db


def raw_sensitive_config(model, pk) -> str:
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT sensitive_config FROM {table} WHERE id = %s", [pk])
        return str(cursor.fetchone()[0])


def test_tokens_from_a_real_connect_are_encrypted_in_the_database_row(tenant, fake_slack_workspace):
    created = connect(tenant, "slack", fake_slack_workspace.connect_code()).json()
    integration = Integration.objects.get(id=created["id"])
    token = integration.sensitive_config["access_token"]
    assert token in fake_slack_workspace.tokens
    stored = raw_sensitive_config(Integration, integration.id)
    assert token not in stored and "access_token" not in stored and stored.startswith("gAAAA")
    # The Slack user's token (authed_user.access_token) was taken out of `config` too.
    assert integration.sensitive_config["authed_user.access_token"] == "xoxp-user-secret"
    assert "xoxp-user-secret" not in json.dumps(integration.config)


def test_organization_integration_secrets_are_encrypted_too(tenant):
    row = make("integrations.OrganizationIntegration", tenant, sensitive_config={"token": "vercel-secret-1"})
    stored = raw_sensitive_config(
        OrganizationIntegration, OrganizationIntegration._meta.pk.get_db_prep_value(row.id, connection)
    )
    assert "vercel-secret-1" not in stored and stored.startswith("gAAAA")
    assert OrganizationIntegration.objects.get(id=row.id).sensitive_config == {"token": "vercel-secret-1"}


def test_secrets_written_before_a_key_rotation_are_still_read(tenant, settings):
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.ENCRYPTION_KEYS = [old_key]
    integration = make(
        "integrations.Integration", tenant, sensitive_config={"access_token": "xoxb-rotate-me"}
    )
    settings.ENCRYPTION_KEYS = [new_key, old_key]
    assert Integration.objects.get(id=integration.id).sensitive_config == {"access_token": "xoxb-rotate-me"}
    Integration.objects.get(id=integration.id).save()  # re-encrypted with the newest key
    settings.ENCRYPTION_KEYS = [new_key]
    assert Integration.objects.get(id=integration.id).sensitive_config == {"access_token": "xoxb-rotate-me"}


def test_no_secret_reaches_a_response_an_error_or_a_log_line(tenant, fake_providers, caplog, settings):
    caplog.set_level(logging.DEBUG)
    bodies = []
    for kind, fake in (("slack", fake_providers.slack), ("linear", fake_providers.linear)):
        bodies.append(connect(tenant, kind, fake.connect_code()).content)
    config = {"account_sid": twilio.ACCOUNT_SID, "auth_token": twilio.AUTH_TOKEN}
    bodies.append(
        tenant.client.post(
            tenant.url("integrations/"), {"kind": "twilio", "config": config}, format="json"
        ).content
    )
    wrong = {"account_sid": twilio.ACCOUNT_SID, "auth_token": "wrong-token-that-is-secret"}
    bodies.append(
        tenant.client.post(
            tenant.url("integrations/"), {"kind": "twilio", "config": wrong}, format="json"
        ).content
    )
    integrations = {i.kind: i for i in Integration.objects.all()}
    secrets = [v for i in integrations.values() for v in i.sensitive_config.values()]
    secrets += ["wrong-token-that-is-secret", "slack-client-secret", "linear-client-secret"]
    fake_providers.linear.fail["graphql"] = 503  # a 502
    bodies.append(
        tenant.client.get(tenant.url(f"integrations/{integrations['linear'].id}/linear_teams/")).content
    )
    fake_providers.linear.fail.clear()
    fake_providers.slack.revoke_all()  # a 401, then the reconnect 400
    for _ in range(2):
        bodies.append(
            tenant.client.get(tenant.url(f"integrations/{integrations['slack'].id}/channels/")).content
        )
    bodies.append(
        tenant.client.get(
            tenant.url(f"integrations/{integrations['twilio'].id}/twilio_phone_numbers/")
        ).content
    )
    bodies.append(tenant.client.get(tenant.url("integrations/")).content)
    bodies.append(tenant.client.get(tenant.url("activity_log/")).content)
    for integration in integrations.values():
        bodies.append(tenant.client.delete(tenant.url(f"integrations/{integration.id}/")).content)

    records = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    everything = b"\n".join(bodies).decode() + records
    assert len(secrets) >= 6
    leaked = [secret for secret in secrets if secret in everything]
    assert leaked == []
