"""The browser's round trip through a provider's consent page: the URL that starts it (with a fresh state),
and the callback that checks the browser started the flow, spends the state and hands the code to
`services.connect`, unless the provider's `callback_detour` sends the browser on another trip first (GitHub's
App install comes back without a code: it asks for the user's authorization)."""

from dataclasses import dataclass

from rest_framework.exceptions import PermissionDenied, ValidationError

from burrow.core.models import OrganizationMembership, Team, User
from burrow.integrations import services
from burrow.integrations.models import Integration
from burrow.integrations.oauth import (
    CallbackBrowser,
    FlowStart,
    check_browser,
    clean_next,
    issue_state,
    spend_state,
)
from burrow.integrations.services import KIND_NOT_SUPPORTED, provider_for
from burrow.links import integration_callback_url

# A provider's `error` (RFC 6749 §4.1.2.1) in Burrow's words: the page never shows the provider's own text
# (`error_description` is whatever the link's author wrote).
PROVIDER_ERRORS = {
    "access_denied": "{provider} did not connect: the request was declined on {provider}'s page.",
    "invalid_scope": "{provider} did not connect: {provider} refused the permissions Burrow asks for.",
    "invalid_request": "{provider} did not connect: {provider} found the request malformed.",
    "unauthorized_client": "{provider} did not connect: {provider} does not accept Burrow's app for this.",
    "unsupported_response_type": "{provider} did not connect: {provider} does not accept Burrow's app for this.",
    "server_error": "{provider} did not connect: {provider} had a problem. Please try again.",
    "temporarily_unavailable": "{provider} did not connect: {provider} is busy right now. Please try again.",
}
PROVIDER_ERROR_OTHER = "{provider} did not connect. Please try again."


def authorize(user: User, team: Team, kind, next_value) -> FlowStart:
    """The provider URL that starts a connect flow for `user` in `team`, with a fresh state."""
    provider = provider_for(kind)
    if not provider.uses_state:
        raise ValidationError(KIND_NOT_SUPPORTED)  # credential-only kinds (Twilio) have no consent page
    if not provider.is_configured():
        raise ValidationError(provider.not_configured_message)
    next_path = clean_next(next_value)
    state = issue_state(user=user, team=team, kind=kind, flow=provider.authorize_flow, next_path=next_path)
    return FlowStart(provider.authorize_url(state, integration_callback_url(kind)), state)


@dataclass
class CallbackResult:
    integration: Integration | None
    redirect: str  # where the browser goes next ("" → the page shows the result)
    started: FlowStart | None = None  # a further flow the browser goes on to (`callback_detour`)


def complete_callback(kind: str, params, browser: CallbackBrowser) -> CallbackResult:
    """The provider sent the person back to /integrations/<kind>/callback: check `browser` started the flow
    (or is its user signed in), spend the state, then connect for the state's user and project."""
    provider = provider_for(kind)
    if not provider.uses_state:
        raise ValidationError(KIND_NOT_SUPPORTED)
    error = params.get("error")
    if error:
        sentence = PROVIDER_ERRORS.get(str(error), PROVIDER_ERROR_OTHER)
        raise ValidationError(sentence.format(provider=provider.label))
    check_browser(params.get("state"), kind=kind, browser=browser)
    spent = spend_state(params.get("state"), kind=kind)
    if (
        not spent.user.is_active
        or not OrganizationMembership.objects.filter(
            organization_id=spent.team.organization_id, user=spent.user
        ).exists()
    ):
        raise PermissionDenied("You don't have access to the project.")
    config = {name: params.get(name) for name in ("code", "installation_id") if params.get(name)}
    started = provider.callback_detour(spent, config)
    if started is not None:
        return CallbackResult(None, started.url, started)
    integration, _ = services.connect(spent.team, spent.user, kind, config, spent=spent)
    return CallbackResult(integration, spent.next)
