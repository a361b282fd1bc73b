"""The browser's round trip through a provider's consent page: the URL that starts it (with a fresh state),
and the callback that spends the state and hands the code to `services.connect`. GitHub's App install
comes back without a code, so it takes a second trip for the user's authorization."""

from dataclasses import dataclass

from rest_framework.exceptions import PermissionDenied, ValidationError

from burrow.core.models import OrganizationMembership, Team, User
from burrow.integrations import services
from burrow.integrations.models import Integration, OAuthState
from burrow.integrations.oauth import clean_next, issue_state, spend_state
from burrow.integrations.providers.github import provider as github
from burrow.integrations.providers.github import valid_installation_id
from burrow.integrations.services import KIND_NOT_SUPPORTED, provider_for
from burrow.links import integration_callback_url


def authorize(user: User, team: Team, kind, next_value) -> str:
    """The provider URL that starts a connect flow for `user` in `team`, with a fresh state."""
    provider = provider_for(kind)
    if not provider.uses_state:
        raise ValidationError(KIND_NOT_SUPPORTED)  # credential-only kinds (Twilio) have no consent page
    if not provider.is_configured():
        raise ValidationError(provider.not_configured_message)
    next_path = clean_next(next_value)
    state = issue_state(user=user, team=team, kind=kind, flow=provider.authorize_flow, next_path=next_path)
    return provider.authorize_url(state, integration_callback_url(kind))


@dataclass
class CallbackResult:
    integration: Integration | None
    redirect: str  # where the browser goes next ("" → the page shows the result)


def complete_callback(kind: str, params) -> CallbackResult:
    """The provider sent the person back to /integrations/<kind>/callback: spend the state, then connect
    for the state's user and project (the page has no login of its own: the state is the proof)."""
    provider = provider_for(kind)
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
    integration, _ = services.connect(spent.team, spent.user, kind, config, spent=spent)
    return CallbackResult(integration, spent.next)


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
