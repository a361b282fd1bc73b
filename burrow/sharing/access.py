"""Who may see a share: resolving a public access token, password logins and the sessions they open.

A session token is signed with Django's signing (HMAC-SHA256 over SECRET_KEY, with a timestamp checked
against SESSION_MAX_AGE) rather than a JWT library: Burrow signs its other public links the same way, it
adds no dependency, and rotating SECRET_KEY with SECRET_KEY_FALLBACKS works for it too. Clients treat
PostHog's `shareToken` as opaque. The token names its password, its configuration, the configuration's
session generation and a digest of the access token it was issued for; it is honoured only while that
password is active, the configuration enabled and password-protected, its session generation unchanged
(switching password protection off or on moves it on) and the access token unchanged."""

import hmac
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.hashers import check_password
from django.core import signing

from burrow.core.prepared import PreparedQuery
from burrow.sharing import services
from burrow.sharing.models import SharePassword, SharingConfiguration, token_digest
from burrow.sharing.throttle import claim_guess, release_guess

SESSION_SALT = "burrow.sharing.session"
SESSION_MAX_AGE = timedelta(hours=24)
SESSION_COOKIE = "posthog_sharing_token"  # PostHog's name
MAX_TOKEN_LENGTH = 400
MAX_PASSWORD_LENGTH = 4096  # longer is never a password of ours; no need to hash it


# Every view of a shared page asks this: compiled once (burrow/core/prepared.py).
_ENABLED_BY_DIGEST = PreparedQuery(
    lambda p: (
        SharingConfiguration.objects.select_related("dashboard", "insight", "recording")
        .filter(access_token_digest=p.digest, enabled=True)
        .order_by("pk")[:1]
    ),
    digest=str,
)


def resolve(access_token: str) -> SharingConfiguration | None:
    """The enabled configuration whose current token is `access_token`, with its resource loaded; None for
    unknown, disabled and rotated tokens alike, and when the resource is deleted."""
    if not access_token or len(access_token) > MAX_TOKEN_LENGTH:
        return None
    config = _ENABLED_BY_DIGEST.first(digest=token_digest(access_token))
    if config is None or not hmac.compare_digest(config.access_token, access_token):
        return None
    resource = getattr(config, config.resource_kind)
    if getattr(resource, "deleted", False):
        return None
    return config


def issue_session(config: SharingConfiguration, password: SharePassword) -> str:
    payload = {
        "p": password.id,
        "c": config.id,
        "g": config.session_generation,
        "d": config.access_token_digest,
    }
    return signing.dumps(payload, salt=SESSION_SALT)


def session_is_valid(config: SharingConfiguration, session: str | None) -> bool:
    if not session or not config.password_required:
        return False
    try:
        payload = signing.loads(session, salt=SESSION_SALT, max_age=SESSION_MAX_AGE)
    except signing.BadSignature:  # also SignatureExpired
        return False
    if not isinstance(payload, dict) or payload.get("c") != config.id:
        return False
    if payload.get("g") != config.session_generation:
        return False  # issued before password protection was last switched off or on
    password_id, digest = payload.get("p"), payload.get("d")
    if not isinstance(password_id, int) or not isinstance(digest, str):
        return False
    if not hmac.compare_digest(digest, config.access_token_digest):
        return False  # issued for a link that has since been refreshed
    return SharePassword.objects.filter(id=password_id, sharing_configuration=config, is_active=True).exists()


@dataclass(frozen=True)
class LoginResult:
    session: str | None = None
    retry_after: int | None = None  # set when the guess was refused by the throttle


def login(config: SharingConfiguration, raw_password: object, client_ip: str) -> LoginResult:
    """Checks a password against the configuration's active passwords, within the guess throttle (a refused
    guess is answered before any password is hashed). Every correct password is written to the activity
    log; of the wrong ones only the first of the client's throttle window, so a guesser cannot flood it."""
    guess = claim_guess(config.access_token_digest, client_ip)
    if guess.retry_after is not None:
        return LoginResult(retry_after=guess.retry_after)
    password = _matching_password(config, raw_password)
    if password is None:
        if guess.first_of_window:
            services.log_login(config, None, client_ip)
        return LoginResult()
    release_guess(guess)
    services.log_login(config, password, client_ip)
    return LoginResult(session=issue_session(config, password))


def _matching_password(config: SharingConfiguration, raw_password: object) -> SharePassword | None:
    if not isinstance(raw_password, str) or not raw_password or len(raw_password) > MAX_PASSWORD_LENGTH:
        return None
    for password in SharePassword.objects.filter(sharing_configuration=config, is_active=True).order_by("id"):
        if check_password(raw_password, password.password_hash):
            return password
    return None
