"""Slack: OAuth v2 install, the `channels` look-up, and the Web API client subscriptions deliver with
(`slack_token`, `chat.postMessage`). Every Web API call goes to BURROW_SLACK_API_URL."""

import time
from datetime import UTC, datetime

import httpx
from django.conf import settings
from django.core.cache import cache
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.exceptions import APIException, ValidationError

from burrow.core import metrics
from burrow.integrations.models import ERROR_TOKEN_REFRESH_FAILED, Integration
from burrow.integrations.providers.base import (
    Lookup,
    LookupRequest,
    OAuthProvider,
    dot_get,
    query_bool,
    query_int,
)
from burrow.integrations.providers.errors import (
    ProviderForbidden,
    ProviderRejected,
    ProviderUnauthorized,
    ProviderUnavailable,
)
from burrow.integrations.providers.http import call
from burrow.integrations.tokens import usable

TIMEOUT = 10.0
# Slack's own errors that a later attempt can get past; every other error needs a person to act.
_TRANSIENT_ERRORS = {"ratelimited", "internal_error", "service_unavailable", "request_timeout", "fatal_error"}
# Errors meaning the token itself is no longer good: the integration has to be reconnected.
_AUTH_ERRORS = {"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired"}
SCOPES = "channels:read,groups:read,chat:write,chat:write.customize"
PRIVATE_CHANNEL_WITHOUT_ACCESS = "PRIVATE_CHANNEL_WITHOUT_ACCESS"
CHANNELS_PAGE_SIZE = 1000
CHANNELS_MAX_PAGES = 10
CACHE_SECONDS = 3600


class SlackError(Exception):
    """Slack refused or could not be reached; `transient` says whether trying again later can help."""

    def __init__(self, message: str, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


def posting_integrations(team_id: int, named: list[Integration | None]) -> list[Integration | None]:
    """Which integration each of a team's Slack subscriptions posts with, given the ones they name: the
    named one when it is one of the team's Slack integrations, else (gone, not Slack, another team's) the
    team's first Slack integration, or None when it has none. Only the team's own integrations are ever
    considered. Many subscriptions at once, so the first is looked up once."""

    def own(integration: Integration | None) -> bool:
        return (
            integration is not None
            and integration.kind == Integration.Kind.SLACK
            and integration.team_id == team_id
        )

    first = None
    if not all(own(integration) for integration in named):
        first = (
            Integration.objects.filter(team_id=team_id, kind=Integration.Kind.SLACK).order_by("id").first()
        )
    return [integration if own(integration) else first for integration in named]


def slack_token(team_id: int, integration: Integration | None) -> str:
    """The access token of the integration a Slack subscription of the team naming `integration` posts
    with (`posting_integrations`), refreshed when due."""
    [integration] = posting_integrations(team_id, [integration])
    if integration is not None and integration.errors == ERROR_TOKEN_REFRESH_FAILED:
        raise SlackError(
            "Slack no longer accepts this integration's token: reconnect Slack.", transient=False
        )
    if integration is not None and provider.needs_refresh(integration, time.time()):
        integration = _refreshed(integration)
    token = (integration.sensitive_config or {}).get("access_token") if integration else None
    if not token:
        raise SlackError(
            "No Slack integration: connect Slack to the project and pick it on the subscription.",
            transient=False,
        )
    return token


def _refreshed(integration: Integration) -> Integration:
    """A workspace with token rotation on: its token is refreshed at half its lifetime, as for look-ups."""
    try:
        return usable(integration, provider)
    except APIException as exc:
        raise SlackError(f"Slack token refresh: {exc.detail}", transient=exc.status_code >= 500) from None


def post_message(token: str, payload: dict) -> dict:
    """`chat.postMessage`; returns Slack's answer (with the message `ts`) or raises SlackError."""
    try:
        with metrics.provider_call("slack"):
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


def web_api(token: str, method: str, params: dict) -> dict:
    """A read of the Web API for a look-up, with Slack's `ok: false` errors sorted into provider errors."""
    response = call(
        "Slack", "GET", f"{settings.SLACK_API_URL}/{method}", params=params, headers=_bearer(token)
    )
    if response.status_code == 429:
        raise ProviderUnavailable("Slack", "is rate limiting Burrow")
    body = response.json_object()
    if body.get("ok"):
        return body
    error = str(body.get("error") or f"HTTP {response.status_code}")
    if error in _AUTH_ERRORS:
        raise ProviderUnauthorized("Slack", error)
    if error == "missing_scope":
        raise ProviderForbidden("Slack", error)
    if error in _TRANSIENT_ERRORS:
        raise ProviderUnavailable("Slack", f"answered {error}")
    raise ProviderRejected("Slack", f"Slack refused the request: {error}.")


def _bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def _channel(raw: dict, hide_private: bool) -> dict:
    hidden = bool(raw.get("is_private")) and hide_private
    return {
        "id": raw.get("id"),
        "name": PRIVATE_CHANNEL_WITHOUT_ACCESS if hidden else raw.get("name"),
        "is_private": bool(raw.get("is_private")),
        "is_member": bool(raw.get("is_member", True)),
        "is_ext_shared": bool(raw.get("is_ext_shared")),
        "is_private_without_access": hidden,
    }


def _all_channels(token: str, method: str, params: dict, hide_private: bool) -> list[dict]:
    channels, cursor = [], ""
    for _ in range(CHANNELS_MAX_PAGES):
        page = web_api(token, method, {**params, "limit": CHANNELS_PAGE_SIZE, "cursor": cursor})
        channels += [_channel(c, hide_private) for c in page.get("channels") or [] if isinstance(c, dict)]
        cursor = dot_get(page, "response_metadata.next_cursor") or ""
        if not cursor:
            break
    return channels


def list_channels(integration: Integration, request: LookupRequest) -> dict:
    """Public channels and the private ones the connecting Slack user is in (named only for the person who
    connected Slack), cached an hour per integration; `search`, `limit`, `offset` and `channel_id` narrow."""
    query = request.query
    authed_user = dot_get(integration.config or {}, "authed_user.id")
    if not authed_user:
        raise ValidationError("SlackIntegration: Missing authed_user_id in integration config")
    limit = query_int(query, "limit", 50, 1, 200)
    offset = query_int(query, "offset", 0, 0, 1_000_000)
    hide_private = request.user_id != integration.created_by_id
    token = integration.sensitive_config.get("access_token", "")
    channel_id = str(query.get("channel_id", "")).strip()
    if channel_id:
        try:
            found = web_api(token, "conversations.info", {"channel": channel_id[:64]})
            channels = [_channel(found.get("channel") or {}, hide_private)]
        except ProviderRejected:
            channels = []  # channel_not_found and the like: no such channel for this workspace
        return {"channels": channels, "lastRefreshedAt": _now(), "has_more": False}

    key = f"slack/{integration.pk}/{not hide_private}/channels"
    listing = None if query_bool(query, "force_refresh") else cache.get(key)
    if listing is None:
        public = _all_channels(
            token, "conversations.list", {"exclude_archived": "true", "types": "public_channel"}, hide_private
        )
        private = _all_channels(
            token,
            "users.conversations",
            {"exclude_archived": "true", "types": "private_channel", "user": authed_user},
            hide_private,
        )
        listing = {"channels": sorted(public + private, key=lambda c: str(c["name"])), "at": _now()}
        cache.set(key, listing, CACHE_SECONDS)
    channels = listing["channels"]
    search = str(query.get("search", "")).strip().lower()
    if search:
        channels = [c for c in channels if search in str(c["name"]).lower() or search in str(c["id"]).lower()]
    return {
        "channels": channels[offset : offset + limit],
        "lastRefreshedAt": listing["at"],
        "has_more": offset + limit < len(channels),
    }


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


class SlackProvider(OAuthProvider):
    kind = "slack"
    label = "Slack"
    name_path = "team.name"
    id_path = "team.id"
    authorize_endpoint = "https://slack.com/oauth/v2/authorize"
    scope = SCOPES
    client_id_setting = "SLACK_CLIENT_ID"
    client_secret_setting = "SLACK_CLIENT_SECRET"
    lookups = (
        Lookup(
            name="channels",
            run=list_channels,
            description="Channels of the connected Slack workspace, cached for an hour.",
            parameters=(
                OpenApiParameter("search", OpenApiTypes.STR, description="Part of a channel name or id."),
                OpenApiParameter("limit", OpenApiTypes.INT, description="1–200, default 50."),
                OpenApiParameter("offset", OpenApiTypes.INT),
                OpenApiParameter("channel_id", OpenApiTypes.STR, description="Look up this one channel."),
                OpenApiParameter("force_refresh", OpenApiTypes.BOOL, description="Skip the one-hour cache."),
            ),
            response={
                "channels": serializers.ListField(child=serializers.DictField()),
                "lastRefreshedAt": serializers.DateTimeField(),
                "has_more": serializers.BooleanField(),
            },
        ),
    )

    def token_url(self) -> str:
        return f"{settings.SLACK_API_URL}/oauth.v2.access"

    def shown(self, integration) -> dict:
        return {"files_write_requestable": "files:write" in SCOPES.split(",")}

    def revoke(self, integration, *, last_for_account: bool) -> None:
        # A workspace's bot token is shared by every install of the app there: keep it while in use.
        token = integration.sensitive_config.get("access_token")
        if token and last_for_account:
            call("Slack", "POST", f"{settings.SLACK_API_URL}/auth.revoke", headers=_bearer(token))


provider = SlackProvider()
