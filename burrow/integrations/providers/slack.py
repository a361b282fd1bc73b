"""Slack Web API client: which token a team posts with, and `chat.postMessage`."""

import httpx
from django.conf import settings

from burrow.integrations.models import Integration

TIMEOUT = 10.0
# Slack's own errors that a later attempt can get past; every other error needs a person to act.
_TRANSIENT_ERRORS = {"ratelimited", "internal_error", "service_unavailable", "request_timeout", "fatal_error"}


class SlackError(Exception):
    """Slack refused or could not be reached; `transient` says whether trying again later can help."""

    def __init__(self, message: str, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


def slack_token(team_id: int, integration: Integration | None) -> str:
    """The access token of `integration`, or of the team's first Slack integration when that one is gone
    or not Slack. Only the team's own integrations are ever considered."""
    if integration is None or integration.kind != Integration.Kind.SLACK or integration.team_id != team_id:
        integration = (
            Integration.objects.filter(team_id=team_id, kind=Integration.Kind.SLACK).order_by("id").first()
        )
    token = (integration.sensitive_config or {}).get("access_token") if integration else None
    if not token:
        raise SlackError(
            "No Slack integration: connect Slack to the project and pick it on the subscription.",
            transient=False,
        )
    return token


def post_message(token: str, payload: dict) -> dict:
    """`chat.postMessage`; returns Slack's answer (with the message `ts`) or raises SlackError."""
    try:
        response = httpx.post(
            f"{settings.SLACK_API_URL}/chat.postMessage",
            json=payload,
            headers={"Authorization": f"Bearer {token}"},
            timeout=TIMEOUT,
        )
    except httpx.HTTPError as exc:
        raise SlackError(f"Slack unreachable: {exc}", transient=True) from exc
    if response.status_code == 429 or response.status_code >= 500:
        raise SlackError(f"Slack answered {response.status_code}", transient=True)
    try:
        body = response.json()
    except ValueError as exc:
        raise SlackError(f"Slack answered {response.status_code} without JSON", transient=True) from exc
    if not body.get("ok"):
        error = str(body.get("error") or f"HTTP {response.status_code}")
        raise SlackError(f"Slack error: {error}", transient=error in _TRANSIENT_ERRORS)
    return body
