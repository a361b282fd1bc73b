"""One factory per tenant-owned model, used by the tenant-isolation matrix. A new area's model without a
factory here makes the matrix fail, so every route added later is covered."""

from collections.abc import Callable
from datetime import timedelta

from django.utils import timezone

FACTORIES: dict[str, Callable] = {}


def factory(label: str):
    def register(func: Callable) -> Callable:
        FACTORIES[label] = func
        return func

    return register


@factory("analytics.Dashboard")
def make_dashboard(tenant, **fields):
    from burrow.analytics.models import Dashboard

    return Dashboard.objects.create(team=tenant.team, name=fields.pop("name", "Secret dashboard"), **fields)


@factory("analytics.Insight")
def make_insight(tenant, **fields):
    from burrow.analytics.models import Insight

    return Insight.objects.create(team=tenant.team, name=fields.pop("name", "Secret insight"), **fields)


@factory("subscriptions.Subscription")
def make_subscription(tenant, **fields):
    from burrow.subscriptions.models import Subscription

    defaults = {
        "insight": make_insight(tenant),
        "target_type": "email",
        "target_value": "secret@example.com",
        "frequency": "daily",
        "start_date": timezone.now() + timedelta(days=1),
        "title": "Secret subscription",
        "created_by": tenant.user,
    }
    defaults.update(fields)
    subscription = Subscription(team=tenant.team, **defaults)
    if "next_delivery_date" not in fields:
        subscription.reschedule()
    subscription.save()
    return subscription


@factory("subscriptions.SubscriptionDelivery")
def make_delivery(tenant, **fields):
    from burrow.subscriptions.models import SubscriptionDelivery

    subscription = fields.pop("subscription", None) or make_subscription(tenant)
    return SubscriptionDelivery.objects.create(
        subscription=subscription,
        team=tenant.team,
        idempotency_key=f"test:{subscription.id}:{timezone.now().isoformat()}",
        trigger_type="manual",
        target_type=subscription.target_type,
        target_value=subscription.target_value,
        **fields,
    )


def make(label: str, tenant, **fields):
    if label not in FACTORIES:
        raise LookupError(
            f"No factory for {label}: add one to tests/factories.py so tenant isolation is tested."
        )
    return FACTORIES[label](tenant, **fields)
