"""OAuth `state`: issued by `authorize`, checked and spent when the provider sends the person back.

A state is signed (Django's signer, a salt of its own) and names an `OAuthState` row holding the user, the
project, the kind and `next`. It expires after STATE_MAX_AGE and works once: spending it is a compare-and-set
of `used_at` from NULL, so two callbacks racing with one state cannot both connect. The state is the flow's
CSRF token: the callback page acts for the user and project the state was issued to, never for whoever
happens to open it, and a state cannot be forged or moved to another user, project or provider."""

import secrets
from datetime import timedelta

from django.core import signing
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from burrow.core.models import Team, User
from burrow.integrations.models import OAuthState

STATE_MAX_AGE = timedelta(minutes=10)
_SALT = "burrow.integrations.oauth-state"
INVALID_STATE = "Invalid or expired state token"
NEXT_MUST_BE_RELATIVE = "next must be a relative path starting with /"
NEXT_MAX_LENGTH = 2000


class InvalidState(ValidationError):
    def __init__(self) -> None:
        super().__init__(INVALID_STATE)


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


def spend_state(state, *, kind: str, user: User | None = None, team: Team | None = None) -> OAuthState:
    """The flow `state` names, spent now. With `user` and `team` (an API call) the state must have been
    issued to them; the callback page passes neither and acts for the state's own user and project."""
    if not isinstance(state, str) or not state or len(state) > 1000:
        raise InvalidState()
    try:
        payload = signing.loads(state, salt=_SALT, max_age=STATE_MAX_AGE.total_seconds())
    except (signing.BadSignature, ValueError, TypeError):
        raise InvalidState() from None
    if not isinstance(payload, dict) or payload.get("k") != kind:
        raise InvalidState()
    if user is not None and payload.get("u") != user.id:
        raise InvalidState()
    if team is not None and payload.get("t") != team.id:
        raise InvalidState()
    now = timezone.now()
    spent = OAuthState.objects.filter(
        nonce=payload.get("n"),
        user_id=payload.get("u"),
        team_id=payload.get("t"),
        kind=kind,
        used_at__isnull=True,
        expires_at__gt=now,
    ).update(used_at=now)
    if spent != 1:
        raise InvalidState()
    return OAuthState.objects.select_related("team__organization", "user").get(nonce=payload["n"])
