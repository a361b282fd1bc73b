"""Unsubscribe tokens: signed and expiring, naming one subscription and one address. What a token does is
`services.remove_recipient`."""

from datetime import timedelta

from django.core import signing

SALT = "burrow.subscriptions.unsubscribe"
TOKEN_MAX_AGE = timedelta(days=30)


def make_unsubscribe_token(subscription_id: int, email: str) -> str:
    return signing.dumps({"id": subscription_id, "email": email}, salt=SALT, compress=True)


def read_unsubscribe_token(token: str) -> dict | None:
    """The payload of a genuine, unexpired token; None otherwise."""
    try:
        payload = signing.loads(token, salt=SALT, max_age=TOKEN_MAX_AGE)
    except signing.BadSignature:  # also SignatureExpired
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("email"), str):
        return None
    if not isinstance(payload.get("id"), int):
        return None
    return payload
