"""Every write to an integration, and every call to a provider on an integration's behalf. The API, the
callback page and the CLI come through here, so a connection is made, refreshed, checked and removed the
same way whichever door it came in by.

Provider failures leave as API errors, never as 500s (DECISIONS §5): unreachable, slow or 5xx → 502 naming
the provider; the provider's 401 → the integration is marked `TOKEN_REFRESH_FAILED` and the answer is 400
asking to reconnect (later calls get that 400 without calling the provider); 403 → 400 about permissions."""

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from rest_framework import status
from rest_framework.exceptions import APIException, PermissionDenied, ValidationError

from burrow.core.activity import log_activity
from burrow.core.ids import parse_id
from burrow.core.models import Organization, OrganizationMembership, Team, User
from burrow.integrations.models import (
    ERROR_TOKEN_REFRESH_FAILED,
    Integration,
    OAuthState,
    OrganizationIntegration,
)
from burrow.integrations.oauth import clean_next, issue_state, spend_state
from burrow.integrations.providers import display_name, get_provider, lookups
from burrow.integrations.providers.base import (
    Connection,
    LookupRequest,
    Provider,
    ProviderError,
    ProviderForbidden,
    ProviderRejected,
    ProviderUnauthorized,
    ProviderUnavailable,
)
from burrow.integrations.providers.github import provider as github
from burrow.integrations.providers.github import valid_installation_id
from burrow.links import integration_callback_url

logger = logging.getLogger(__name__)

ACTIVITY_SCOPE = "Integration"
KIND_NOT_SUPPORTED = "Kind not supported"
DEPRECATED_KIND = "This integration kind is deprecated and can no longer be created."
STATE_REQUIRED = "A state token must be provided"
REFRESH_FAILED = (
    "This integration's authentication token could not be refreshed. Please reconnect or disconnect this "
    "integration and connect a different account."
)
AUTH_NO_LONGER_VALID = (
    "This integration's authentication is no longer valid. Please reconnect or disconnect this integration "
    "and connect a different account."
)
NO_PERMISSION = (
    "This integration does not have permission to access this resource. Please check the account "
    "permissions on the provider side."
)
ADMIN_TO_OVERWRITE = "Editing an existing integration requires project admin access."
ADMIN_OR_CREATOR_TO_DELETE = "You don't have sufficient permissions in the project."


class ProviderFailed(APIException):
    """502: the provider could not give an answer; the detail names it and says to try again."""

    status_code = status.HTTP_502_BAD_GATEWAY
    default_code = "provider_unavailable"
    default_type = "server_error"


def _is_admin(user: User, organization_id) -> bool:
    return OrganizationMembership.objects.filter(
        organization_id=organization_id, user=user, level__gte=OrganizationMembership.Level.ADMIN
    ).exists()


@contextmanager
def _provider_errors(integration: Integration | None = None) -> Iterator[None]:
    """Provider errors as API errors. With `integration` (a look-up or refresh), a 401 marks it."""
    try:
        yield
    except ProviderUnavailable as exc:
        raise _unavailable(exc) from None
    except ProviderUnauthorized as exc:
        if integration is None:
            raise ValidationError(
                f"{exc.provider} refused the connection while Burrow confirmed the account. "
                "Please try connecting again."
            ) from None
        Integration.objects.filter(pk=integration.pk).update(errors=ERROR_TOKEN_REFRESH_FAILED)
        logger.info(
            "integration needs reconnecting", extra={"integration": integration.pk, "kind": integration.kind}
        )
        raise ValidationError(AUTH_NO_LONGER_VALID) from None
    except ProviderForbidden:
        raise ValidationError(NO_PERMISSION) from None
    except ProviderRejected as exc:
        raise ValidationError(str(exc)) from None


def _unavailable(exc: ProviderUnavailable) -> ProviderFailed:
    return ProviderFailed(f"{exc.provider} {exc.message}. Try again in a few minutes.")


def _provider(kind) -> Provider:
    provider = get_provider(kind) if isinstance(kind, str) else None
    if provider is None:
        raise ValidationError(KIND_NOT_SUPPORTED)
    return provider


# Connecting


def authorize(user: User, team: Team, kind, next_value) -> str:
    """The provider URL that starts a connect flow for `user` in `team`, with a fresh state."""
    provider = _provider(kind)
    if not provider.uses_state:
        raise ValidationError(KIND_NOT_SUPPORTED)  # credential-only kinds (Twilio) have no consent page
    if not provider.is_configured():
        raise ValidationError(provider.not_configured_message)
    next_path = clean_next(next_value)
    state = issue_state(user=user, team=team, kind=kind, flow=provider.authorize_flow, next_path=next_path)
    return provider.authorize_url(state, integration_callback_url(kind))


def connect(
    team: Team, user: User, kind, config, *, spent: OAuthState | None = None
) -> tuple[Integration, bool]:
    """Creates or refreshes the team's connection to a provider account (one row per team, kind and
    account). OAuth kinds need a state issued to this user and team; `spent` is one already spent (the
    callback page). Returns the row and whether it is new."""
    if kind == "slack-posthog-code":
        raise ValidationError(DEPRECATED_KIND)
    if kind == Integration.Kind.EMAIL:  # a sender domain: Burrow makes the keys, no provider to call
        from burrow.integrations import email_domains

        return email_domains.connect(team, user, config)
    provider = _provider(kind)
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
    with _provider_errors():
        connection = provider.connect(
            config, redirect_uri=integration_callback_url(kind), installation_id=installation_id
        )
    return _upsert(team, user, kind, connection)


def _upsert(team: Team, user: User, kind: str, connection: Connection) -> tuple[Integration, bool]:
    for _ in range(2):  # a concurrent first connect of the same account: the second turns into an update
        try:
            with transaction.atomic():
                existing = (
                    Integration.objects.select_for_update()
                    .filter(team=team, kind=kind, integration_id=connection.integration_id)
                    .first()
                )
                if existing is None:
                    integration = Integration.objects.create(
                        team=team,
                        kind=kind,
                        integration_id=connection.integration_id,
                        config=connection.config,
                        sensitive_config=connection.sensitive_config,
                        created_by=user,
                    )
                    _log(integration, user, "created")
                    return integration, True
                if existing.created_by_id != user.id and not _is_admin(user, team.organization_id):
                    raise PermissionDenied(ADMIN_TO_OVERWRITE)
                existing.config = connection.config
                existing.sensitive_config = connection.sensitive_config
                existing.errors = ""
                existing.created_by = user
                existing.save(update_fields=["config", "sensitive_config", "errors", "created_by"])
                return existing, False
        except IntegrityError:
            continue
    raise ValidationError("This account was being connected twice at once. Please try again.")


@dataclass
class CallbackResult:
    integration: Integration | None
    redirect: str  # where the browser goes next ("" → the page shows the result)


def complete_callback(kind: str, params) -> CallbackResult:
    """The provider sent the person back to /integrations/<kind>/callback: spend the state, then connect
    for the state's user and project (the page has no login of its own: the state is the proof)."""
    provider = _provider(kind)
    if not provider.uses_state:
        raise ValidationError(KIND_NOT_SUPPORTED)
    error = params.get("error")
    if error:
        description = params.get("error_description") or error
        raise ValidationError(f"{provider.label} did not connect: {str(description)[:200]}.")
    spent = spend_state(params.get("state"), kind=kind)
    if (
        not spent.user.is_active
        or not OrganizationMembership.objects.filter(
            organization_id=spent.team.organization_id, user=spent.user
        ).exists()
    ):
        raise PermissionDenied("You don't have access to the project.")
    config = {name: params.get(name) for name in ("code", "installation_id") if params.get(name)}
    if kind == github.kind and not config.get("code"):
        # The App does not ask for user authorization on install: ask for it now, for this installation.
        installation_id = valid_installation_id(config.get("installation_id") or spent.installation_id)
        return CallbackResult(
            None, github_user_authorize(spent.user, spent.team, installation_id, spent.next)
        )
    integration, _ = connect(spent.team, spent.user, kind, config, spent=spent)
    return CallbackResult(integration, spent.next)


# GitHub App


def github_user_authorize(user: User, team: Team, installation_id, next_value, connect_from=None) -> str:
    """GitHub's user-authorization URL for an installation, when the install flow came back without a code."""
    if installation_id in (None, ""):
        raise ValidationError("installation_id is required")
    installation_id = valid_installation_id(installation_id)
    next_path = clean_next(next_value)
    github.user_authorize_url("", "")  # refuses before a state is issued when the client id is missing
    state = issue_state(
        user=user,
        team=team,
        kind=github.kind,
        flow=OAuthState.Flow.GITHUB_OAUTH,
        next_path=next_path,
        installation_id=installation_id,
    )
    return github.user_authorize_url(state, integration_callback_url(github.kind))


def github_link_existing(user: User, team: Team, source_team_id=None, installation_id=None) -> Integration:
    """Connects `team` to a GitHub installation another project of the organization already has."""
    if installation_id not in (None, ""):
        installation_id = valid_installation_id(installation_id)
    siblings = Integration.objects.filter(
        kind=github.kind, team__organization_id=team.organization_id
    ).exclude(team=team)
    if source_team_id not in (None, ""):
        source_id = parse_id(source_team_id)
        if (
            source_id is None
            or source_id == team.id
            or not Team.objects.filter(id=source_id, organization_id=team.organization_id).exists()
        ):
            raise ValidationError("Source team not found in your organization")
        rows = siblings.filter(team_id=source_id)
        if installation_id:
            rows = rows.filter(integration_id=installation_id)
        source = rows.order_by("id").first()
        if source is None:
            raise ValidationError("Source team does not have a GitHub integration")
    elif installation_id:
        source = siblings.filter(integration_id=installation_id).order_by("id").first()
        if source is None:
            raise ValidationError(
                "No team in your organization has this GitHub installation linked",
                code="github_link_existing_orphan_installation",
            )
    else:
        installations = set(siblings.values_list("integration_id", flat=True))
        if not installations:
            raise ValidationError("No team in your organization has a GitHub installation to link")
        if len(installations) > 1:
            raise ValidationError(
                "Your organization has multiple GitHub installations; specify which one to link via installation_id"
            )
        source = siblings.order_by("id").first()
    if not _is_admin(user, team.organization_id):
        raise ValidationError(
            "Linking another project's GitHub installation needs organization admin access; ask an admin, "
            "or connect GitHub to this project through the install flow.",
            code="github_link_existing_personal_github_required",
        )
    with _provider_errors():
        connection = github.installation_connection(
            str(source.integration_id), (source.config or {}).get("connecting_user_github_login")
        )
    integration, _ = _upsert(team, user, github.kind, connection)
    return integration


# Using a connection


def usable(integration: Integration, provider: Provider) -> Integration:
    """The integration with a token the provider still takes: refused without calling the provider when
    a refresh already failed, refreshed when past half its lifetime."""
    if integration.errors == ERROR_TOKEN_REFRESH_FAILED:
        raise ValidationError(REFRESH_FAILED)
    if not provider.needs_refresh(integration, time.time()):
        return integration
    failed = False
    with transaction.atomic():
        # One refresh at a time per row: whoever waited finds the token fresh and uses it (providers that
        # rotate refresh tokens would refuse a second refresh with the spent one).
        current = Integration.objects.select_for_update().get(pk=integration.pk)
        if current.errors == ERROR_TOKEN_REFRESH_FAILED:
            failed = True
        elif provider.needs_refresh(current, time.time()):
            try:
                update = provider.refresh(current)
            except ProviderUnavailable as exc:
                raise _unavailable(exc) from None  # nothing is marked: trying later may work
            except ProviderError:
                current.errors = ERROR_TOKEN_REFRESH_FAILED
                current.save(update_fields=["errors"])
                logger.info("token refresh failed", extra={"integration": current.pk, "kind": current.kind})
                failed = True
            else:
                current.config = {**(current.config or {}), **update.config}
                current.sensitive_config = {**(current.sensitive_config or {}), **update.sensitive_config}
                current.save(update_fields=["config", "sensitive_config"])
    if failed:
        raise ValidationError(REFRESH_FAILED)
    return current


def run_lookup(integration: Integration, name: str, query, user: User) -> dict:
    provider, lookup = lookups()[name]
    if integration.kind != provider.kind:
        raise ValidationError(f"{name} endpoint is only supported for {provider.label} integrations")
    integration = usable(integration, provider)
    with _provider_errors(integration):
        return lookup.run(integration, LookupRequest(query, user.id))


# Disconnecting


def subscriptions_delivering_through(integration: Integration) -> list:
    """Enabled, live Slack subscriptions that post with this integration: those naming it, and, when it is
    the team's first Slack integration, those naming none (delivery falls back to that one). Read through
    the reverse relations, so this app imports nothing from subscriptions."""
    if integration.kind != Integration.Kind.SLACK:
        return []
    live = integration.team.subscriptions.filter(enabled=True, deleted=False, target_type="slack")
    first_slack = (
        Integration.objects.filter(team_id=integration.team_id, kind=Integration.Kind.SLACK)
        .order_by("id")
        .values_list("id", flat=True)
        .first()
    )
    if first_slack == integration.id:
        live = live.exclude(integration__kind=Integration.Kind.SLACK) | live.filter(integration=integration)
    else:
        live = live.filter(integration=integration)
    return list(live.order_by("id").only("id", "title")[:6])


def delete(integration: Integration, user: User) -> None:
    if integration.created_by_id != user.id and not _is_admin(user, integration.team.organization_id):
        raise PermissionDenied(ADMIN_OR_CREATOR_TO_DELETE)
    with transaction.atomic():
        current = Integration.objects.select_for_update().filter(pk=integration.pk).first()
        if current is None:
            return
        users = subscriptions_delivering_through(current)
        if users:
            names = ", ".join(
                f'"{s.title}" (id {s.id})' if s.title else f"untitled (id {s.id})" for s in users[:5]
            )
            more = " and more" if len(users) > 5 else ""
            raise ValidationError(
                f"This integration is used by enabled subscriptions: {names}{more}. Update them to use a "
                "different integration, or disable them, before disconnecting it."
            )
        last_for_account = (
            not Integration.objects.filter(kind=current.kind, integration_id=current.integration_id)
            .exclude(pk=current.pk)
            .exists()
        )
        current.delete()
        current.pk = integration.pk
        _log(current, user, "deleted")
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


def _log(integration: Integration, user: User | None, activity: str) -> None:
    log_activity(
        team=integration.team,
        user=user,
        scope=ACTIVITY_SCOPE,
        item_id=integration.pk,
        activity=activity,
        name=display_name(integration),
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
