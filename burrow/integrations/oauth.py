"""OAuth `state`: issued by `authorize`, checked and spent when the provider sends the person back.

A state is signed (Django's signer, a salt of its own) and names an `OAuthState` row holding the user, the
project, the kind and `next`. It expires after STATE_MAX_AGE and works once: spending it is a compare-and-set
of `used_at` from NULL, so two callbacks racing with one state cannot both connect. The state is the flow's
CSRF token: the callback page acts for the user and project the state was issued to, never for whoever
happens to open it, and a state cannot be forged or moved to another user, project or provider.

The state alone does not say who opened the callback: an attacker can start a flow for their own project and
send the provider's consent link to a victim, whose browser then comes back with the victim's code and the
attacker's state. So the callback also asks the browser for proof that it started the flow: the flow cookie
`authorize` set (signed, naming the state's nonce, sent only to the callback's path), or a session of the
state's own user (a flow started over the API, whose browser never saw `authorize`)."""

import secrets
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from rest_framework.exceptions import PermissionDenied, ValidationError

from burrow.core.models import Team, User
from burrow.integrations.models import OAuthState
from burrow.links import integration_callback_url

STATE_MAX_AGE = timedelta(minutes=10)
_SALT = "burrow.integrations.oauth-state"
INVALID_STATE = "Invalid or expired state token"
NEXT_MUST_BE_RELATIVE = "next must be a relative path starting with /"
NEXT_MAX_LENGTH = 2000


FLOW_COOKIE = "burrow_oauth_flow"
_FLOW_COOKIE_SALT = "burrow.integrations.oauth-flow-cookie"
STARTED_ELSEWHERE = (
    "This connection was started in another browser or by another person, so Burrow did not complete it. "
    "Start connecting again from Burrow in this browser."
)


@dataclass(frozen=True)
class FlowStart:
    url: str  # the provider page to send the browser to
    state: str


class InvalidState(ValidationError):
    def __init__(self) -> None:
        super().__init__(INVALID_STATE)


class SignInRequired(Exception):
    """The callback's browser proved nothing and nobody is signed in: signing in as the state's user may."""


def clean_next(value) -> str:
    """`next` is where the person lands after connecting: a path on this site, never another host
    (`//evil.example`, `/\\evil.example`, `https://…`), so the flow cannot be used to send anyone elsewhere."""
    if value in (None, ""):
        return ""
    text = str(value)
    if (
        not text.startswith("/")
        or text.startswith(("//", "/\\"))
        or "\\" in text
        or len(text) > NEXT_MAX_LENGTH
        or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in text)
    ):
        raise ValidationError({"next": NEXT_MUST_BE_RELATIVE})
    return text


def issue_state(
    *, user: User, team: Team, kind: str, flow: str, next_path: str = "", installation_id: str = ""
) -> str:
    now = timezone.now()
    OAuthState.objects.filter(expires_at__lt=now - timedelta(days=1)).delete()  # keeps the table small
    row = OAuthState.objects.create(
        nonce=secrets.token_urlsafe(32),
        flow=flow,
        kind=kind,
        team=team,
        user=user,
        next=next_path,
        installation_id=installation_id,
        expires_at=now + STATE_MAX_AGE,
    )
    return signing.dumps({"n": row.nonce, "u": user.id, "t": team.id, "k": kind}, salt=_SALT, compress=False)


def _payload(state, kind: str) -> dict:
    """The signed content of a state of `kind`, or InvalidState."""
    if not isinstance(state, str) or not state or len(state) > 1000:
        raise InvalidState()
    try:
        payload = signing.loads(state, salt=_SALT, max_age=STATE_MAX_AGE.total_seconds())
    except (signing.BadSignature, ValueError, TypeError):
        raise InvalidState() from None
    if not isinstance(payload, dict) or payload.get("k") != kind or not isinstance(payload.get("n"), str):
        raise InvalidState()
    return payload


def bind_browser(response: HttpResponse, state: str, kind: str) -> None:
    """Gives the browser that receives `response` the flow cookie proving it started the flow `state` names."""
    response.set_signed_cookie(
        FLOW_COOKIE,
        _payload(state, kind)["n"],
        salt=_FLOW_COOKIE_SALT,
        max_age=int(STATE_MAX_AGE.total_seconds()),
        path=_callback_path(kind),
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",  # sent on the provider's top-level redirect back, not on another site's requests
    )


def forget_browser(response: HttpResponse, kind: str) -> None:
    response.delete_cookie(FLOW_COOKIE, path=_callback_path(kind), samesite="Lax")


def _callback_path(kind: str) -> str:
    return urlsplit(integration_callback_url(kind)).path


@dataclass(frozen=True)
class CallbackBrowser:
    """What the browser opening a callback can show: the flow cookie's nonce and who is signed in."""

    flow_nonce: str | None
    user_id: int | None

    @classmethod
    def of(cls, request: HttpRequest) -> "CallbackBrowser":
        nonce = request.get_signed_cookie(
            FLOW_COOKIE, default=None, salt=_FLOW_COOKIE_SALT, max_age=STATE_MAX_AGE.total_seconds()
        )
        user = getattr(request, "user", None)
        return cls(nonce, user.id if user is not None and user.is_authenticated else None)


def check_browser(state, *, kind: str, browser: CallbackBrowser) -> None:
    """Passes when `browser` started the flow `state` names or is signed in as its user. Otherwise
    SignInRequired (nobody signed in) or 403 (someone else is): the state stays unspent either way. A spent
    or expired state is refused first, so reloading a finished callback says so instead of asking to sign in."""
    payload = _payload(state, kind)
    if not _unspent(payload, kind).exists():
        raise InvalidState()
    if browser.flow_nonce and constant_time_compare(browser.flow_nonce, payload["n"]):
        return
    if browser.user_id is not None and browser.user_id == payload.get("u"):
        return
    if browser.user_id is None:
        raise SignInRequired()
    raise PermissionDenied(STARTED_ELSEWHERE)


def _unspent(payload: dict, kind: str) -> QuerySet:
    return OAuthState.objects.filter(
        nonce=payload["n"],
        user_id=payload.get("u"),
        team_id=payload.get("t"),
        kind=kind,
        used_at__isnull=True,
        expires_at__gt=timezone.now(),
    )


def spend_state(state, *, kind: str, user: User | None = None, team: Team | None = None) -> OAuthState:
    """The flow `state` names, spent now. With `user` and `team` (an API call) the state must have been
    issued to them; the callback page passes neither and acts for the state's own user and project (after
    `check_browser`)."""
    payload = _payload(state, kind)
    if user is not None and payload.get("u") != user.id:
        raise InvalidState()
    if team is not None and payload.get("t") != team.id:
        raise InvalidState()
    spent = _unspent(payload, kind).update(used_at=timezone.now())
    if spent != 1:
        raise InvalidState()
    return OAuthState.objects.select_related("team__organization", "user").get(nonce=payload["n"])
