"""`burrow status`'s report and the heartbeats it reads: live processes only, the backlog and its oldest
slot, recent deliveries by status, deliveries stuck in "starting" with the reason, auto-disabled ones."""

import json
from datetime import timedelta

from django.utils import timezone

from burrow.commands.status import report
from burrow.core import heartbeats
from burrow.core.models import Heartbeat
from tests.factories import make


def test_heartbeats_live_while_recent(db, settings):
    settings.SCHEDULER_INTERVAL = 30
    heartbeats.beat("scheduler")
    assert [beat.role for beat in heartbeats.live("scheduler")] == ["scheduler"]
    Heartbeat.objects.update(beat_at=timezone.now() - timedelta(seconds=91))
    assert heartbeats.live("scheduler") == []
    heartbeats.beat("worker")
    Heartbeat.objects.filter(role="scheduler").update(beat_at=timezone.now() - timedelta(days=2))
    heartbeats.beat("worker")
    assert set(Heartbeat.objects.values_list("role", flat=True)) == {"worker"}  # a day silent: forgotten


def test_report_says_what_is_due_stuck_and_disabled(tenant, settings):
    settings.BROKER_URL = ""
    now = timezone.now()
    overdue = make("subscriptions.Subscription", tenant, next_delivery_date=now - timedelta(minutes=5))
    make("subscriptions.Subscription", tenant, next_delivery_date=now - timedelta(minutes=1))
    make("subscriptions.Subscription", tenant, next_delivery_date=now + timedelta(hours=1))
    make(
        "subscriptions.Subscription",
        tenant,
        enabled=False,
        consecutive_failures=settings.DELIVERY_AUTO_DISABLE_AFTER,
    )
    make("subscriptions.SubscriptionDelivery", tenant, status="completed")
    make("subscriptions.SubscriptionDelivery", tenant, status="failed", created_at=now - timedelta(hours=3))
    make(
        "subscriptions.SubscriptionDelivery", tenant, status="starting", created_at=now - timedelta(minutes=2)
    )

    data = report()
    assert data["schedulers"] == [] and data["workers"] == []
    assert data["broker"] is None
    assert data["due_backlog"] == 2
    assert data["oldest_overdue_slot"] == overdue.next_delivery_date.isoformat().replace("+00:00", "Z")
    assert 290 <= data["oldest_overdue_seconds"] <= 400
    assert data["deliveries_last_hour"] == {"completed": 1, "starting": 1}
    assert data["deliveries_last_day"] == {"completed": 1, "failed": 1, "starting": 1}
    assert data["starting_over_a_minute"] == 1
    assert "no scheduler is running" in data["starting_reason"]
    assert data["disabled_by_failures"] == 1

    heartbeats.beat("scheduler")
    settings.BROKER_URL = "redis://127.0.0.1:1/0"
    data = report()
    assert [p["pid"] for p in data["schedulers"]] and data["broker"] is False
    assert "broker (BURROW_BROKER_URL) is unreachable" in data["starting_reason"]
    json.dumps(data)  # what `--json` prints
