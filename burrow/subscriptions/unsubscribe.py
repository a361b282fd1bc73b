"""Unsubscribe tokens: signed and expiring, naming one subscription, one address and when they were issued
(a token does not remove an address added back after it). What a token does is `services.remove_recipient`."""

import time
from datetime import timedelta

from django.core import signing

SALT = "burrow.subscriptions.unsubscribe"
TOKEN_MAX_AGE = timedelta(days=30)


def make_unsubscribe_token(subscription_id: int, email: str) -> str:
    payload = {"id": subscription_id, "email": email, "iat": time.time()}
    return signing.dumps(payload, salt=SALT, compress=True)


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
    if not isinstance(payload.setdefault("iat", 0), int | float):  # tokens from before "iat" have none
        return None
    return payload
