"""Assertions shared by every test module: PostHog's error envelope."""

ERROR_KEYS = {"type", "code", "detail", "attr"}


def error_envelope(response) -> dict:
    """The body of an error response, after checking it has exactly PostHog's four keys."""
    body = response.json()
    assert set(body) == ERROR_KEYS, body
    return body


def error(response, status: int = 400) -> dict:
    assert response.status_code == status, response.content
    return error_envelope(response)


def deliver_due(subscription):
    """Makes `subscription` due, runs one scheduler tick and waits for its deliveries; returns the scheduled
    delivery."""
    from datetime import timedelta

    from django.utils import timezone

    from burrow.subscriptions.delivery.dispatch import local_pool
    from burrow.subscriptions.models import Subscription, SubscriptionDelivery
    from burrow.subscriptions.scheduler import tick

    Subscription.objects.filter(id=subscription.id).update(
        next_delivery_date=timezone.now() - timedelta(seconds=1)
    )
    tick()
    local_pool().drain(timeout=30)
    return SubscriptionDelivery.objects.get(subscription=subscription, trigger_type="scheduled")
