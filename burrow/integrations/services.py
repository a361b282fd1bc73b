"""Making and removing connections: connecting a provider account (one upsert, `store`, whether the account
came through the API, the consent callback or a provider's own action), disconnecting it (refused while
another app says it is in use, `in_use.py`; then revoked at the provider), and the organization integrations
the operator adds. The API, the callback page and the CLI all come through here, so a connection is made and
removed the same way whichever door it came in by. Beside it: `consent.py` (the browser's trip to the
provider), `tokens.py` (using a stored connection), `provider_errors.py` (how provider failures read)."""

import logging

from django.db import IntegrityError, transaction
from rest_framework.exceptions import PermissionDenied, ValidationError

from burrow.core.activity import log_object_activity
from burrow.core.models import Organization, OrganizationMembership, Team, User
from burrow.integrations import in_use
from burrow.integrations.models import Integration, OAuthState, OrganizationIntegration
from burrow.integrations.oauth import spend_state
from burrow.integrations.provider_errors import as_api_errors
from burrow.integrations.providers import display_name, get_provider
from burrow.integrations.providers.base import Connection, Provider
from burrow.integrations.providers.errors import ProviderError
from burrow.links import integration_callback_url

logger = logging.getLogger(__name__)

ACTIVITY_SCOPE = "Integration"
KIND_NOT_SUPPORTED = "Kind not supported"
DEPRECATED_KIND = "This integration kind is deprecated and can no longer be created."
STATE_REQUIRED = "A state token must be provided"
ADMIN_TO_OVERWRITE = "Editing an existing integration requires project admin access."
ADMIN_OR_CREATOR_TO_DELETE = "You don't have sufficient permissions in the project."


def is_org_admin(user: User, organization_id) -> bool:
    return OrganizationMembership.objects.filter(
        organization_id=organization_id, user=user, level__gte=OrganizationMembership.Level.ADMIN
    ).exists()


def provider_for(kind) -> Provider:
    provider = get_provider(kind) if isinstance(kind, str) else None
    if provider is None:
        raise ValidationError(KIND_NOT_SUPPORTED)
    return provider


# Connecting


def connect(
    team: Team, user: User, kind, config, *, spent: OAuthState | None = None
) -> tuple[Integration, bool]:
    """Creates or refreshes the team's connection to a provider account (one row per team, kind and
    account). OAuth kinds need a state issued to this user and team; `spent` is one already spent (the
    callback page). Returns the row and whether it is new."""
    if kind == "slack-posthog-code":
        raise ValidationError(DEPRECATED_KIND)
    provider = provider_for(kind)
    if not isinstance(config, dict):
        raise ValidationError({"config": "Expected a dictionary of items."})
    if not provider.is_configured():
        raise ValidationError(provider.not_configured_message)
    installation_id = ""
    if provider.uses_state and spent is None:
        if config.get("state") in (None, ""):
            raise ValidationError(STATE_REQUIRED)
        provider.check_input(config)
        spent = spend_state(config.get("state"), kind=kind, user=user, team=team)
    if spent is not None:
        installation_id = spent.installation_id
    with as_api_errors():
        connection = provider.connect(
            config, redirect_uri=integration_callback_url(kind), installation_id=installation_id
        )
    return store(team, user, provider, connection)


def store(team: Team, user: User, provider: Provider, connection: Connection) -> tuple[Integration, bool]:
    """The one way a team's integration row is added or refreshed: one row per (team, kind, account); only
    its creator or an organization admin may overwrite it; what is stored is the provider's
    `stored(connection, existing)`. Returns the row and whether it is new."""
    for _ in range(2):  # a concurrent first connect of the same account: the second turns into an update
        try:
            with transaction.atomic():
                existing = (
                    Integration.objects.select_for_update()
                    .filter(team=team, kind=provider.kind, integration_id=connection.integration_id)
                    .first()
                )
                if existing is None:
                    stored = provider.stored(connection, None)
                    integration = Integration.objects.create(
                        team=team,
                        kind=provider.kind,
                        integration_id=stored.integration_id,
                        config=stored.config,
                        sensitive_config=stored.sensitive_config,
                        created_by=user,
                    )
                    log_integration(integration, user, "created")
                    return integration, True
                if existing.created_by_id != user.id and not is_org_admin(user, team.organization_id):
                    raise PermissionDenied(ADMIN_TO_OVERWRITE)
                stored = provider.stored(connection, existing)
                existing.config, existing.sensitive_config = stored.config, stored.sensitive_config
                existing.errors = ""
                fields = ["config", "sensitive_config", "errors"]
                if provider.reconnect_takes_over:
                    existing.created_by = user
                    fields.append("created_by")
                existing.save(update_fields=fields)
                return existing, False
        except IntegrityError:
            continue
    raise ValidationError(provider.connecting_twice)


# Disconnecting


def delete(integration: Integration, user: User) -> None:
    if integration.created_by_id != user.id and not is_org_admin(user, integration.team.organization_id):
        raise PermissionDenied(ADMIN_OR_CREATOR_TO_DELETE)
    with transaction.atomic():
        current = Integration.objects.select_for_update().filter(pk=integration.pk).first()
        if current is None:
            return
        in_use.refuse_while_used(current)
        last_for_account = (
            not Integration.objects.filter(kind=current.kind, integration_id=current.integration_id)
            .exclude(pk=current.pk)
            .exists()
        )
        current.delete()
        current.pk = integration.pk
        log_integration(current, user, "deleted")
    _revoke(current, last_for_account)


def _revoke(integration: Integration, last_for_account: bool) -> None:
    provider = get_provider(integration.kind)
    if provider is None:
        return
    try:
        provider.revoke(integration, last_for_account=last_for_account)
    except ProviderError as exc:
        logger.warning(
            "revoking at the provider failed",
            extra={"kind": integration.kind, "provider": exc.provider, "error": type(exc).__name__},
        )


def log_integration(
    integration: Integration, user: User | None, activity: str, changes: list[dict] | None = None
) -> None:
    log_object_activity(
        integration,
        scope=ACTIVITY_SCOPE,
        user=user,
        activity=activity,
        name=display_name(integration),
        changes=changes,
        context={"kind": integration.kind},
    )


# Organization integrations


def delete_organization_integration(org_integration: OrganizationIntegration) -> None:
    with transaction.atomic():
        if org_integration.kind == "vercel":  # PostHog removes the projects' Vercel rows with it
            Integration.objects.filter(
                team__organization_id=org_integration.organization_id, kind="vercel"
            ).delete()
        org_integration.delete()


def add_organization_integration(
    organization: Organization, kind: str, integration_id: str, config: dict
) -> tuple[OrganizationIntegration, bool]:
    """`burrow org-integration add`: one row per organization, kind and integration id (upsert)."""
    return OrganizationIntegration.objects.update_or_create(
        organization=organization, kind=kind, integration_id=integration_id, defaults={"config": config}
    )
