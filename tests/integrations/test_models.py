"""Integration rows: secrets are encrypted at rest, and a team holds one integration per provider account."""

import pytest
from django.db import IntegrityError, connection, transaction

from burrow.integrations.models import Integration

pytestmark = pytest.mark.django_db


def _stored_sensitive_config(integration: Integration) -> str:
    table = connection.ops.quote_name(Integration._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT sensitive_config FROM {table} WHERE id = %s", [integration.id])
        return str(cursor.fetchone()[0])


def test_sensitive_config_is_encrypted_in_the_database_and_read_back(tenant):
    secret = "xoxb-very-secret-token"
    integration = Integration.objects.create(
        team=tenant.team, kind="slack", integration_id="T1", sensitive_config={"access_token": secret}
    )
    stored = _stored_sensitive_config(integration)
    assert secret not in stored and "access_token" not in stored
    assert Integration.objects.get(id=integration.id).sensitive_config == {"access_token": secret}


def test_one_integration_per_team_kind_and_account(tenant, other_tenant):
    Integration.objects.create(team=tenant.team, kind="slack", integration_id="T1")
    Integration.objects.create(team=other_tenant.team, kind="slack", integration_id="T1")
    with pytest.raises(IntegrityError), transaction.atomic():
        Integration.objects.create(team=tenant.team, kind="slack", integration_id="T1")
