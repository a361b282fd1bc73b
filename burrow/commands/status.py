"""`burrow status [--json]`: is it delivering? Live schedulers and workers, the due backlog and the oldest
overdue slot, deliveries of the last hour and day by status, deliveries stuck in "starting" and why, and
subscriptions disabled by failures."""

import argparse
import json
from datetime import timedelta
from typing import Any

STUCK_AFTER = timedelta(minutes=1)


def add_parsers(commands: argparse._SubParsersAction) -> None:
    status = commands.add_parser("status", help="is Burrow delivering? processes, backlog, recent deliveries")
    status.add_argument("--json", action="store_true", help="one JSON object, for scripts")
    status.set_defaults(func=cmd_status)


def _iso(moment) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def _by_status(deliveries, since) -> dict[str, int]:
    from django.db.models import Count

    rows = deliveries.filter(created_at__gte=since).values("status").annotate(n=Count("id"))
    return {row["status"]: row["n"] for row in rows.order_by("status")}


def _stuck_reason(schedulers: list, workers: list, broker_ok: bool) -> str | None:
    """Why deliveries would wait in "starting", most basic cause first; None when nothing explains it."""
    from django.conf import settings

    if not schedulers:
        return "no scheduler is running: start `burrow serve` (it runs one) or `burrow scheduler`"
    if settings.BROKER_URL and not broker_ok:
        return "the broker (BURROW_BROKER_URL) is unreachable: check Redis"
    if settings.BROKER_URL and not workers:
        return "no worker is running: start `burrow worker` (BURROW_BROKER_URL is set)"
    return None


def report() -> dict[str, Any]:
    from django.conf import settings
    from django.db.models import Min
    from django.utils import timezone

    from burrow.core import health, heartbeats
    from burrow.subscriptions.models import Subscription, SubscriptionDelivery

    now = timezone.now()
    processes = {
        role: [
            {
                "process": beat.process,
                "host": beat.host,
                "pid": beat.pid,
                "version": beat.version,
                "started_at": _iso(beat.started_at),
                "last_beat_seconds_ago": round((now - beat.beat_at).total_seconds(), 1),
            }
            for beat in heartbeats.live(role)
        ]
        for role in ("scheduler", "worker")
    }
    broker_ok = health.broker_reachable()
    due = Subscription.objects.filter(enabled=True, deleted=False, next_delivery_date__lte=now)
    oldest = due.aggregate(oldest=Min("next_delivery_date"))["oldest"]
    deliveries = SubscriptionDelivery.objects.all()
    stuck = deliveries.filter(
        status=SubscriptionDelivery.Status.STARTING, created_at__lt=now - STUCK_AFTER, finished_at=None
    )
    stuck_count = stuck.count()
    disabled = Subscription.objects.filter(
        enabled=False, deleted=False, consecutive_failures__gte=settings.DELIVERY_AUTO_DISABLE_AFTER
    )
    return {
        "schedulers": processes["scheduler"],
        "workers": processes["worker"],
        "broker": None if not settings.BROKER_URL else broker_ok,
        "due_backlog": due.count(),
        "oldest_overdue_slot": _iso(oldest),
        "oldest_overdue_seconds": round((now - oldest).total_seconds()) if oldest else None,
        "deliveries_last_hour": _by_status(deliveries, now - timedelta(hours=1)),
        "deliveries_last_day": _by_status(deliveries, now - timedelta(days=1)),
        "starting_over_a_minute": stuck_count,
        "starting_reason": _stuck_reason(processes["scheduler"], processes["worker"], broker_ok)
        if stuck_count
        else None,
        "disabled_by_failures": disabled.count(),
    }


def _counts(by_status: dict[str, int]) -> str:
    return ", ".join(f"{n} {status}" for status, n in by_status.items()) or "none"


def cmd_status(args: argparse.Namespace) -> int:
    data = report()
    if args.json:
        print(json.dumps(data))
        return 0
    for role in ("schedulers", "workers"):
        live = data[role]
        print(
            f"{role:22} {len(live)} live"
            + "".join(
                f"\n  {p['process']} (v{p['version']}, beat {p['last_beat_seconds_ago']} s ago)" for p in live
            )
        )
    if data["broker"] is not None:
        print(f"{'broker':22} {'reachable' if data['broker'] else 'UNREACHABLE'}")
    overdue = data["oldest_overdue_seconds"]
    print(
        f"{'due now':22} {data['due_backlog']}" + (f" (oldest slot {overdue} s overdue)" if overdue else "")
    )
    print(f"{'deliveries, last hour':22} {_counts(data['deliveries_last_hour'])}")
    print(f"{'deliveries, last day':22} {_counts(data['deliveries_last_day'])}")
    stuck = data["starting_over_a_minute"]
    print(
        f"{'starting for > 1 min':22} {stuck}"
        + (f": {data['starting_reason']}" if data["starting_reason"] else "")
    )
    print(f"{'disabled by failures':22} {data['disabled_by_failures']}")
    return 0
