"""Heartbeats of the background processes: each scheduler beats at every tick, each Celery worker every
WORKER_BEAT_SECONDS. A process is live while its last beat is younger than three of its intervals, the
rule the readiness probe (`/_readyz?role=scheduler|worker`) and `burrow status` share."""

import logging
import os
import socket
import threading
from datetime import datetime, timedelta
from functools import cache
from importlib.metadata import PackageNotFoundError, version

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from burrow.core.models import Heartbeat

logger = logging.getLogger("burrow.heartbeats")

WORKER_BEAT_SECONDS = 30
MISSED_BEATS = 3  # a process silent for this many of its intervals is taken to be gone
FORGET_AFTER = timedelta(days=1)
_STARTED_AT = timezone.now()


@cache
def burrow_version() -> str:
    try:
        return version("burrow")
    except PackageNotFoundError:
        return "unknown"


def interval_of(role: str) -> float:
    return settings.SCHEDULER_INTERVAL if role == "scheduler" else WORKER_BEAT_SECONDS


def live_since(role: str, now: datetime | None = None) -> datetime:
    """The oldest beat that still counts as alive for `role`."""
    return (now or timezone.now()) - timedelta(seconds=MISSED_BEATS * interval_of(role))


def beat(role: str) -> None:
    """Records that this process (of `role`) is alive now; forgets processes silent for a day."""
    host, pid, now = socket.gethostname(), os.getpid(), timezone.now()
    Heartbeat.objects.update_or_create(
        process=f"{role}@{host}:{pid}",
        defaults={
            "role": role,
            "host": host,
            "pid": pid,
            "version": burrow_version(),
            "started_at": _STARTED_AT,
            "beat_at": now,
        },
    )
    Heartbeat.objects.filter(beat_at__lt=now - FORGET_AFTER).delete()


def live(role: str) -> list[Heartbeat]:
    return list(Heartbeat.objects.filter(role=role, beat_at__gte=live_since(role)).order_by("process"))


def start_beating(role: str, every: float = WORKER_BEAT_SECONDS) -> threading.Event:
    """A daemon thread beating for this process every `every` seconds until the returned event is set."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            try:
                close_old_connections()
                beat(role)
            except Exception:
                logger.exception("heartbeat failed", extra={"role": role})
            stop.wait(every)

    threading.Thread(target=loop, name=f"{role}-heartbeat", daemon=True).start()
    return stop
