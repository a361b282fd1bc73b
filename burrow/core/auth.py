"""API authentication: personal API keys (`Authorization: Bearer phx_…`, body or query string) for machines,
and the session of a signed-in person (`burrow.domains.signin`)."""

import re

from rest_framework import authentication
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed, ParseError
from rest_framework.request import Request

from burrow.core.keys import find_active_key, touch_last_used
from burrow.core.models import PersonalAPIKey, User

_BEARER = re.compile(r"^Bearer\s+(\S.+)$")


def _find_key_in_request(request: Request) -> tuple[str, str] | None:
    """The first candidate wins, in PostHog's order: header, body, query string."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    match = _BEARER.match(header)
    if match:
        return match.group(1).strip(), "Authorization header"
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        try:
            data = request.data
        except ParseError:
            data = None
        if isinstance(data, dict) and isinstance(data.get("personal_api_key"), str):
            return data["personal_api_key"], "body"
    if "personal_api_key" in request.query_params:
        return request.query_params["personal_api_key"], "query string"
    return None


class PersonalAPIKeyAuthentication(BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[User, PersonalAPIKey] | None:
        found = _find_key_in_request(request)
        if found is None:
            return None
        value, source = found
        key = find_active_key(value)
        if key is None:
            raise AuthenticationFailed(f"Personal API key found in request {source} is invalid.")
        touch_last_used(key)
        return key.user, key

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class SessionAuthentication(authentication.SessionAuthentication):
    """The Django session of a person signed in at `/login` or `POST /api/login`.

    A browser sends the session cookie with every request, so a write (any method but GET, HEAD, OPTIONS,
    TRACE) must also carry the CSRF token (`X-CSRFToken` header or `csrfmiddlewaretoken` field); without it
    the request is refused with 403 `permission_denied` ("CSRF Failed: …") in the error envelope. Sessions
    carry every scope, as in PostHog; the organization level of the member still applies
    (burrow/core/permissions.py)."""

    def authenticate_header(self, request: Request) -> str:
        # Only the first authenticator's header is used (keys come first); named for completeness.
        return "Session"
