"""The delivery rules every layer applies alike: how long a worker holds a delivery (its lease), whether a
recipient's failure is worth another attempt, and when that attempt is due. They sit at the bottom of the
app (settings only), so the scheduler's claims, the engine and API triggers all read them from one place."""

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone


def lease_deadline(now: datetime | None = None) -> datetime:
    """When a lease taken at `now` (by default, the current time) runs out."""
    return (now or timezone.now()) + timedelta(seconds=settings.DELIVERY_LEASE_SECONDS)


def retryable(result: dict) -> bool:
    """Whether a recipient's last result asks for another attempt: it failed transiently, with attempts
    left."""
    return (
        result["status"] != "success"
        and not result.get("permanent")
        and result["attempts"] < settings.DELIVERY_MAX_ATTEMPTS
    )


def retry_at(attempt: int) -> datetime:
    """When a recipient whose attempt number `attempt` failed is tried again: exponential back-off."""
    return timezone.now() + timedelta(seconds=settings.DELIVERY_RETRY_DELAY * 2 ** (attempt - 1))
