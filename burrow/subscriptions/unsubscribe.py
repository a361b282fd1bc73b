"""One-click unsubscribe links: a signed, expiring token naming one subscription and one address."""

from datetime import timedelta

from django.core import signing
from django.db import transaction

from burrow.core.activity import field_changes, log_activity
from burrow.subscriptions.models import Subscription

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


def unsubscribe(token: str) -> bool:
    """Remove the token's address from its subscription; the subscription is soft-deleted once nobody is
    left. An address already removed is a no-op that still succeeds (links get clicked twice)."""
    payload = read_unsubscribe_token(token)
    if payload is None:
        return False
    email = payload["email"].strip().lower()
    with transaction.atomic():
        subscription = Subscription.objects.select_for_update().filter(pk=payload["id"]).first()
        if subscription is None:
            return False
        addresses = [a.strip() for a in subscription.target_value.split(",") if a.strip()]
        remaining = [a for a in addresses if a.lower() != email]
        if remaining == addresses:
            return True
        before = {"target_value": subscription.target_value, "deleted": subscription.deleted}
        subscription.target_value = ",".join(remaining)
        subscription.deleted = subscription.deleted or not remaining
        subscription.save(update_fields=["target_value", "deleted"])
        log_activity(
            team=subscription.team,
            user=None,
            scope="Subscription",
            item_id=subscription.id,
            activity="updated",
            name=str(subscription),
            changes=field_changes(
                before, {"target_value": subscription.target_value, "deleted": subscription.deleted}
            ),
        )
    return True
