"""Personal API keys: generation, keyed hashing and masking. Plaintext keys are never stored."""

import hashlib
import hmac
import secrets
from collections.abc import Iterable

from django.conf import settings
from django.utils import timezone

from burrow.core.models import Installation, PersonalAPIKey, User
from burrow.core.prepared import PreparedQuery
from burrow.core.scopes import validate_scopes

KEY_PREFIX = "phx_"
_BASE57 = "23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def generate_key_value() -> str:
    number = int.from_bytes(secrets.token_bytes(35), "big") | (1 << 279)
    digits = []
    while number:
        number, rem = divmod(number, len(_BASE57))
        digits.append(_BASE57[rem])
    return KEY_PREFIX + "".join(reversed(digits))


def hash_key_value(value: str) -> str:
    """Keyed SHA-256: a leaked database alone cannot be brute-forced into working keys."""
    pepper = hashlib.sha256(b"burrow-personal-api-key:" + settings.SECRET_KEY.encode()).digest()
    return "hmac-sha256$" + hmac.new(pepper, value.encode(), hashlib.sha256).hexdigest()


def mask_key_value(value: str) -> str:
    if len(value) < 16:
        return "********"
    return f"{value[:4]}...{value[-4:]}"


def create_personal_api_key(
    user: User,
    label: str,
    scopes: Iterable[str],
    scoped_teams: list[int] | None = None,
    scoped_organizations: list[str] | None = None,
) -> tuple[PersonalAPIKey, str]:
    """Returns the stored key and its plaintext value, which is shown once and never again."""
    scopes = validate_scopes(list(scopes))
    value = generate_key_value()
    key = PersonalAPIKey.objects.create(
        user=user,
        label=label[:40],
        secure_value=hash_key_value(value),
        mask_value=mask_key_value(value),
        scopes=scopes,
        scoped_teams=scoped_teams or None,
        scoped_organizations=[str(o) for o in scoped_organizations] if scoped_organizations else None,
    )
    return key, value


# Every API request with a key runs this: compiled once (burrow/core/prepared.py).
_KEY_BY_HASH = PreparedQuery(
    lambda p: (
        PersonalAPIKey.objects.select_related("user").filter(secure_value=p.secure_value).order_by("id")[:1]
    ),
    secure_value=str,
)


def find_active_key(value: str) -> PersonalAPIKey | None:
    secure_value = hash_key_value(value)
    key = _KEY_BY_HASH.first(secure_value=secure_value)
    if key is None or not key.user.is_active:
        return None
    # The lookup is by hash; this comparison keeps the final check constant-time as well.
    if not hmac.compare_digest(key.secure_value, secure_value):
        return None
    return key


LAST_USED_RESOLUTION_SECONDS = 60


def touch_last_used(key: PersonalAPIKey) -> None:
    """At most one write a minute per key, so authentication is not a write per request."""
    now = timezone.now()
    if key.last_used_at and (now - key.last_used_at).total_seconds() < LAST_USED_RESOLUTION_SECONDS:
        return
    PersonalAPIKey.objects.filter(pk=key.pk).update(last_used_at=now)
    key.last_used_at = now


SECRET_KEY_MISMATCH = (
    "the secret key (BURROW_SECRET_KEY, else $BURROW_DATA_DIR/secret_key) is not the one that made this "
    "database's API keys, links and encrypted secrets: they will not work. Put the old key back (`burrow "
    "restore` brings it with a backup), or, if you replaced it on purpose, make new API keys (`burrow keys "
    "create`) and run `burrow migrate --accept-secret-key`."
)


def _secret_key_check() -> str:
    return hmac.new(
        settings.SECRET_KEY.encode(), b"burrow: this installation's secret key", "sha256"
    ).hexdigest()


def remember_secret_key() -> None:
    Installation.objects.update_or_create(pk=1, defaults={"secret_key_check": _secret_key_check()})


def secret_key_mismatch() -> str | None:
    """What to tell the operator when the secret key is not the one this database was made with; the first
    start of an installation records its key."""
    known = Installation.objects.filter(pk=1).values_list("secret_key_check", flat=True).first()
    if known is None:
        remember_secret_key()
        return None
    return None if hmac.compare_digest(known, _secret_key_check()) else SECRET_KEY_MISMATCH
