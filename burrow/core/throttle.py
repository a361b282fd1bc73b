"""Counting failed attempts at a secret (wrong share passwords, wrong sign-in passwords) in fixed windows kept
in the database: at most `limit` failures per bucket per `window`.

Counters live in the database so that every web worker and every server counts the same attempts (the cache
is per process unless Redis is configured). An attempt *claims* a slot before its secret is checked, with
compare-and-set updates (`UPDATE … WHERE failures < limit`), so concurrent attempts can never exceed the
limit; a correct secret gives its slot back. Windows that have closed are deleted whenever a new one opens.

The model of a throttle needs three fields: `bucket` (unique, a hash: neither the secret's owner nor the
client address is stored), `window_start` and `failures`."""

import math
from datetime import datetime, timedelta

from django.db import IntegrityError, models, transaction
from django.db.models import F
from django.utils import timezone


def claim_attempt(model: type[models.Model], bucket: str, limit: int, window: timedelta) -> int | None:
    """Takes one attempt of the bucket's window: None when granted, else the seconds until attempts reopen."""
    windows = model.objects.filter(bucket=bucket)
    for _ in range(3):
        now = timezone.now()
        opened_after = now - window
        if windows.filter(window_start__gt=opened_after, failures__lt=limit).update(
            failures=F("failures") + 1
        ):
            return None
        if windows.filter(window_start__lte=opened_after).update(window_start=now, failures=1):
            return None  # the previous window had closed: this attempt opens a new one
        current = windows.values_list("window_start", "failures").first()
        if current is None:
            if _open_window(model, bucket, now, window):
                return None
            continue  # another request opened it first
        window_start, failures = current
        if window_start > opened_after and failures >= limit:
            return max(1, math.ceil((window_start + window - now).total_seconds()))
        # The window closed or a slot came back between our statements: try again.
    return math.ceil(window.total_seconds())


def release_attempt(model: type[models.Model], bucket: str) -> None:
    """Gives a claimed attempt back: correct secrets are not counted."""
    model.objects.filter(bucket=bucket, failures__gt=0).update(failures=F("failures") - 1)


def _open_window(model: type[models.Model], bucket: str, now: datetime, window: timedelta) -> bool:
    try:
        with transaction.atomic():
            model.objects.create(bucket=bucket, window_start=now, failures=1)
    except IntegrityError:
        return False
    model.objects.filter(window_start__lte=now - window).delete()
    return True
